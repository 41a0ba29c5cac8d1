import { z } from 'zod';
import { DEFAULT_ANALYSIS, STRATEGIES } from './types.js';

/** The shapes of a deployment's parts, checked at the API edge and again when read back from the database. */

export const RuntimeSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('onnx') }),
  z.object({
    kind: z.literal('python'),
    command: z.string().min(1).max(2000).refine((c) => c.includes('{port}'), "the command must contain '{port}' (where the scoring server listens)").optional(),
  }),
  z.object({
    kind: z.literal('external'),
    url: z.url({ protocol: /^https?$/ }),
    protocol: z.enum(['v2', 'mlflow']).default('v2'),
    remoteModel: z.string().min(1).optional(),
  }),
]);

export const ServedVersionSchema = z.object({ version: z.string().min(1), runtime: RuntimeSpecSchema });

export const FigureCheckSchema = z.object({
  name: z.string().min(1).max(256),
  maxIncrease: z.number().finite().optional(),
  maxDecrease: z.number().finite().optional(),
});

export const AnalysisSchema = z.object({
  minRequests: z.number().int().min(1).default(DEFAULT_ANALYSIS.minRequests),
  maxErrorRateIncrease: z.number().min(0).max(1).default(DEFAULT_ANALYSIS.maxErrorRateIncrease),
  maxErrorRate: z.number().min(0).max(1).optional(),
  maxLatencyRatio: z.number().min(1).default(DEFAULT_ANALYSIS.maxLatencyRatio),
  latencySlackMs: z.number().min(0).default(DEFAULT_ANALYSIS.latencySlackMs),
  minLatencyRequests: z.number().int().min(1).default(DEFAULT_ANALYSIS.minLatencyRequests),
  latencyConfidence: z.number().min(0.5).max(0.999).default(DEFAULT_ANALYSIS.latencyConfidence),
  maxP99Ms: z.number().positive().optional(),
  maxMismatchRate: z.number().min(0).max(1).default(DEFAULT_ANALYSIS.maxMismatchRate),
  compare: z.enum(['values', 'labels']).default(DEFAULT_ANALYSIS.compare),
  absTolerance: z.number().min(0).default(DEFAULT_ANALYSIS.absTolerance),
  relTolerance: z.number().min(0).default(DEFAULT_ANALYSIS.relTolerance),
  figures: z.array(FigureCheckSchema).max(20).default([]),
});

export const Percent = z.number().min(0).max(100);

export const RolloutSchema = z.object({
  candidate: ServedVersionSchema,
  strategy: z.enum(STRATEGIES),
  steps: z.array(Percent).min(1),
  stepIndex: z.number().int().min(0),
  intervalMs: z.number().int().min(0),
  stepStartedAt: z.number(),
  startedAt: z.number(),
  startedBy: z.string(),
  phase: z.enum(['progressing', 'paused']),
  analysis: AnalysisSchema,
});

export const RoutingSchema = z.object({
  stickyHeader: z.string().min(1).max(128).toLowerCase().optional(),
  stickyParameter: z.string().min(1).max(128).optional(),
  flagHeader: z.string().min(1).max(128).toLowerCase().default('x-openexpert-model'),
});

export const BatchingSchema = z.object({
  maxBatchSize: z.number().int().min(1).max(4096).default(32),
  maxWaitMs: z.number().min(0).max(1000).default(2),
  workers: z.number().int().min(1).max(16).default(1),
  /** Longest a request waits for its model's answer (queue and inference) before it fails with 503 naming the deployment. */
  timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
});

export const LoggingSchema = z.object({ sampleRate: z.number().min(0).max(1).default(0) });

/** Routing as a PATCH gives it: `null` removes a sticky header or parameter. */
export const RoutingPatchSchema = RoutingSchema.extend({
  stickyHeader: RoutingSchema.shape.stickyHeader.nullable(),
  stickyParameter: RoutingSchema.shape.stickyParameter.nullable(),
});

/** OIP `parameters.feature_vector`: join keys and feature values the model was given, logged with a sampled prediction. */
export const FeatureVectorSchema = z.object({
  entity: z.record(z.string().min(1).max(128), z.union([z.string().max(1024), z.number()])).refine((e) => Object.keys(e).length > 0, 'needs at least one join key'),
  values: z.record(z.string().min(1).max(256), z.union([z.string().max(4096), z.number(), z.boolean(), z.null()])).refine((v) => Object.keys(v).length <= 1000, 'at most 1000 features'),
}).strict();

/** A deployment's own feature fetching: the features its model takes, the request's join key columns, what stale values do. */
export const FeatureFetchSchema = z.object({
  features: z.array(z.string().min(1).max(513)).min(1).max(1000),
  entityKeys: z.array(z.string().min(1).max(128)).min(1).max(16).optional(),
  onStale: z.enum(['refuse', 'warn']).default('refuse'),
}).strict();

/** As stored: the join keys settled when it was configured. */
export const StoredFeatureFetchSchema = FeatureFetchSchema.required({ entityKeys: true });
