import { z } from 'zod';
import { RUN_STATUSES, type Experiment } from '../../domain/tracking/types.js';
import { described, KeyValueOut, MetricValueOut } from './replies.js';
import type { metricOut, runOut } from './tracking.routes.js';

const LifecycleStage = z.enum(['active', 'deleted']);

export const ExperimentOut = described<Experiment>()(z.object({
  experimentId: z.string(),
  name: z.string(),
  artifactLocation: z.string(),
  lifecycleStage: LifecycleStage,
  creationTime: z.number().describe('milliseconds since the epoch'),
  lastUpdateTime: z.number(),
  tags: z.array(KeyValueOut),
}).meta({ id: 'Experiment' }));

export const MetricOut = described<ReturnType<typeof metricOut>>()(z.object({
  key: z.string(), value: MetricValueOut, timestamp: z.number().describe('milliseconds since the epoch'), step: z.number().int(),
}).meta({ id: 'Metric' }));

export const RunOut = described<ReturnType<typeof runOut>>()(z.object({
  info: z.object({
    runId: z.string(), runName: z.string(), experimentId: z.string(), userId: z.string(), status: z.enum(RUN_STATUSES),
    startTime: z.number(), endTime: z.number().nullable(), artifactUri: z.string(), lifecycleStage: LifecycleStage,
  }),
  data: z.object({
    metrics: z.array(MetricOut).describe('the latest value of each metric (highest step, then latest timestamp)'),
    params: z.array(KeyValueOut),
    tags: z.array(KeyValueOut),
  }),
  inputs: z.array(z.object({
    dataset: z.object({
      name: z.string(), digest: z.string(), sourceType: z.string(), source: z.string(), schema: z.string().optional(), profile: z.string().optional(),
    }),
    tags: z.array(KeyValueOut),
  })),
  modelInputs: z.array(z.string()).describe('ids of the logged models the run took as inputs'),
  modelOutputs: z.array(z.object({ modelId: z.string(), step: z.number().int() })).describe('the logged models it produced, with the step they came from'),
}).meta({ id: 'Run' }));
