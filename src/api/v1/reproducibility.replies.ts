import { z } from 'zod';
import { CaptureSchema, PipelineRunSchema, ToleranceSchema } from '../../domain/reproducibility/schemas.js';
import type { Capture, PipelineRun, Reproduction } from '../../domain/reproducibility/types.js';
import { described } from './replies.js';

/** What the server stored is what the CLI sent, with who and when: the request schemas, extended. */
export const CaptureOut = described<Capture>()(CaptureSchema.extend({
  runId: z.string(), experimentId: z.string(), createdBy: z.string(), createdAt: z.number().describe('milliseconds since the epoch'),
}).meta({ id: 'Capture' }));

export const ReproductionOut = described<Reproduction>()(z.object({
  id: z.string(),
  sourceRunId: z.string(),
  runId: z.string(),
  createdBy: z.string(),
  sourceAuthor: z.string(),
  createdAt: z.number(),
  tolerance: ToleranceSchema,
  exitCode: z.number().int().nullable(),
  metrics: z.array(z.object({
    key: z.string(),
    original: z.number().nullable(),
    reproduced: z.number().nullable(),
    delta: z.number().nullable().describe('reproduced − original; null when either is missing'),
    relativeDelta: z.number().nullable().describe('|delta| / |original|; null when the original is 0 or missing'),
    tolerance: z.string().describe('the margin that applied, as given (`0.01` or `2%`); `exact` when none was given'),
    withinTolerance: z.boolean(),
  })),
  environment: z.array(z.object({ field: z.string().describe('a dotted name: interpreters.python, hardware.cpus…'), original: z.string().nullable(), reproduced: z.string().nullable() })),
  passed: z.boolean().describe('every metric within tolerance, none missing, and the rerun exited 0'),
}).meta({ id: 'Reproduction' }));

export const PipelineRunOut = described<PipelineRun>()(PipelineRunSchema.extend({
  id: z.string(), createdBy: z.string(), createdAt: z.number(), updatedAt: z.number(),
}).meta({ id: 'PipelineRun' }));
