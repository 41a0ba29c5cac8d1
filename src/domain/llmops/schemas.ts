import { z } from 'zod';
import { BUDGET_PERIODS, BUDGET_SCOPES, SPAN_KINDS, SPAN_STATUSES } from './types.js';

const Hex = (bytes: number, what: string) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex digits (${what})`);
const ProjectName = z.string().min(1).max(256);

export const SpanInSchema = z.object({
  traceId: Hex(16, 'a W3C trace id'),
  spanId: Hex(8, 'a W3C span id'),
  parentSpanId: Hex(8, 'a W3C span id').optional(),
  name: z.string().min(1).max(1000),
  kind: z.enum(SPAN_KINDS).default('span'),
  startTime: z.number().nonnegative().describe('epoch milliseconds'),
  endTime: z.number().nonnegative().optional(),
  status: z.enum(SPAN_STATUSES).default('unset'),
  error: z.string().max(100_000).optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  model: z.string().min(1).max(256).optional(),
  provider: z.string().min(1).max(128).optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  cost: z.number().nonnegative().optional().describe('US dollars; computed from the price table when absent'),
  promptName: z.string().min(1).max(256).optional(),
  promptVersion: z.string().min(1).max(64).optional(),
  userId: z.string().min(1).max(256).optional(),
  sessionId: z.string().min(1).max(256).optional(),
  attributes: z.record(z.string(), z.unknown()).default({}),
}).strict().meta({ id: 'SpanIn' });

export const IngestSchema = z.object({
  project: ProjectName.optional(),
  spans: z.array(SpanInSchema).min(1).max(10_000),
}).strict();
export type IngestInput = z.output<typeof IngestSchema>;

export const PriceSchema = z.object({
  provider: z.string().min(1).max(128),
  model: z.string().min(1).max(256).describe('exact model name, or a prefix ending in *'),
  inputPerMillion: z.number().nonnegative(),
  outputPerMillion: z.number().nonnegative(),
}).strict().meta({ id: 'Price' });
export const PricesSchema = z.object({ prices: z.array(PriceSchema).max(10_000) }).strict();

export const RedactionSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  kinds: z.array(z.enum(['email', 'phone', 'card', 'iban', 'ipv4', 'ipv6'])).optional(),
  custom: z.array(z.object({ name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a word'), pattern: z.string().min(1).max(1000), flags: z.string().regex(/^[imsu]*$/).optional() }).strict()).max(100).default([]),
}).strict().meta({ id: 'RedactionSettings' });
export type RedactionSettings = z.output<typeof RedactionSettingsSchema>;

export const CreateBudgetSchema = z.object({
  name: z.string().min(1).max(256),
  project: ProjectName.default('default'),
  scope: z.enum(BUDGET_SCOPES).default('project'),
  subject: z.string().min(1).max(256).optional().describe('the prompt name or user id, for prompt and user budgets'),
  period: z.enum(BUDGET_PERIODS),
  limitUsd: z.number().positive(),
  warnAt: z.number().gt(0).lt(1).optional().describe('fraction of the limit at which a warning goes out'),
  hardStop: z.boolean().default(false),
  webhookUrl: z.url().optional(),
  webhookSecret: z.string().min(16).max(128).optional(),
}).strict();
export type CreateBudgetInput = z.output<typeof CreateBudgetSchema>;

export const BudgetCheckSchema = z.object({
  project: ProjectName.default('default'),
  promptName: z.string().min(1).max(256).optional(),
  userId: z.string().min(1).max(256).optional(),
}).strict();
