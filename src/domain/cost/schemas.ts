import { z } from 'zod';
import { BUDGET_PERIODS, BUDGET_SCOPES } from './types.js';

const Seconds = z.number().min(0).max(1e10);
const Bytes = z.number().int().min(0).max(2 ** 53 - 1);

/** Usage a client reports for a run (or a part of it): added to what the run has; peaks take the larger. */
export const LogUsageSchema = z.object({
  cpuSeconds: Seconds.describe('CPU time, user + system, of every process'),
  peakMemoryBytes: Bytes.describe('peak resident memory of the process tree'),
  wallSeconds: Seconds.describe('wall time this usage covers'),
  gpuSeconds: Seconds.optional().describe('GPU time: seconds × GPUs in use'),
  gpuMemoryBytes: Bytes.optional(),
  gpuType: z.string().min(1).max(200).optional().describe('the GPU name nvidia-smi gives, priced by the price table'),
  source: z.enum(['run', 'pipeline-step', 'sweep-trial', 'reported']).default('reported').describe('who measured it'),
}).strict();
export type LogUsageInput = z.infer<typeof LogUsageSchema>;

export const CreateComputeBudgetSchema = z.object({
  name: z.string().min(1).max(256).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, dot, dash or underscore'),
  scope: z.enum(BUDGET_SCOPES).describe('experiment (subject: its id), tag (subject: key=value of a run tag) or user (subject: the user)'),
  subject: z.string().min(1).max(500),
  period: z.enum(BUDGET_PERIODS).describe('UTC day or calendar month'),
  limitUsd: z.number().positive().max(1e9),
  thresholds: z.array(z.number().gt(0).max(10)).min(1).max(10).optional().describe('fractions of the limit that raise an alert (default 0.5, 0.8, 1)'),
  hardStop: z.boolean().default(false).describe('refuse new runs and sweep trials in scope once the limit is reached'),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  webhookSecret: z.string().min(8).max(128).optional(),
}).strict();
export type CreateComputeBudgetInput = z.infer<typeof CreateComputeBudgetSchema>;
