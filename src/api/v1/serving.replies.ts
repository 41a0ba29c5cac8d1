import { z } from 'zod';
import { LATENCY_BOUNDS_MS, type CheckResult, type Verdict, type VersionFigures } from '../../domain/serving/analysis.js';
import { BatchingSchema, LoggingSchema, RolloutSchema, RoutingSchema, ServedVersionSchema, StoredFeatureFetchSchema } from '../../domain/serving/schemas.js';
import type { DeploymentEvent, LoadTestResult, PredictionRecord, ShadowRecord } from '../../domain/serving/types.js';
import { described } from './replies.js';
import type { deploymentOut } from './serving.routes.js';

/** Deployments are described by the schemas their parts are checked with at the edge and when read back. */
const Millis = z.number().describe('milliseconds since the epoch');
const ServedVersionOut = ServedVersionSchema.meta({ id: 'ServedVersion' });

export const DeploymentOut = described<ReturnType<typeof deploymentOut>>()(z.object({
  name: z.string(),
  modelName: z.string(),
  target: z.string().describe('the registry alias or stage every served version must hold'),
  stable: ServedVersionOut,
  rollout: RolloutSchema.meta({ id: 'Rollout' }).optional().describe('the rollout in progress, when there is one'),
  previous: ServedVersionOut.optional().describe('what a rollback without a candidate returns to'),
  routing: RoutingSchema,
  batching: BatchingSchema,
  logging: LoggingSchema,
  features: StoredFeatureFetchSchema.optional().describe('the features the deployment fetches from the online store for requests that carry only join keys'),
  createdAt: Millis,
  createdBy: z.string(),
  updatedAt: Millis,
  revision: z.number().int().describe('bumped by every change'),
  status: z.enum(['stable', 'progressing', 'paused']),
  candidateWeight: z.number().describe("the candidate's share of traffic in percent (mirrored share for shadow), 0 without a rollout"),
  endpoints: z.object({ v2: z.string(), invocations: z.string() }).describe('where to send prediction requests (Open Inference Protocol v2, MLflow scoring)'),
}).meta({ id: 'Deployment' }));

export const DeploymentEventOut = described<DeploymentEvent>()(z.object({
  id: z.number().int(),
  deployment: z.string(),
  time: Millis,
  kind: z.enum(['created', 'rollout_started', 'step', 'promoted', 'rolled_back', 'paused', 'resumed', 'aborted', 'load_failed', 'deleted', 'updated']),
  actor: z.string(),
  fromVersion: z.string().optional(),
  toVersion: z.string().optional(),
  weight: z.number().optional(),
  reason: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'DeploymentEvent' }));

const VersionFiguresOut = described<VersionFigures>()(z.object({
  requests: z.number().int(),
  errors: z.number().int(),
  errorRate: z.number(),
  p99Ms: z.number().optional().describe('absent before any successful request'),
  latencyCounts: z.array(z.number().int()).describe(`successful requests per latency bucket: up to ${LATENCY_BOUNDS_MS.join(', ')} ms, then the rest`),
  compared: z.number().int().describe('shadow: mirrored requests whose outputs were compared'),
  mismatches: z.number().int(),
}).meta({ id: 'VersionFigures' }));

const CheckResultOut = described<CheckResult>()(z.object({ name: z.string(), passed: z.boolean(), message: z.string() }));

export const VerdictOut = described<Verdict>()(z.object({
  status: z.enum(['pass', 'fail', 'inconclusive']).describe('inconclusive: too few candidate requests yet, the rollout waits'),
  checks: z.array(CheckResultOut),
  candidate: VersionFiguresOut,
  baseline: VersionFiguresOut.optional(),
  concurrentBaseline: VersionFiguresOut.optional().describe('the baseline over the same window as the candidate (latency is judged on it)'),
}).meta({ id: 'Verdict' }));

const ShadowOut = described<ShadowRecord>()(z.object({
  version: z.string(), outputs: z.unknown().optional(), agreed: z.boolean().optional(), error: z.string().optional(),
}));

const FeatureVectorOut = z.object({ entity: z.record(z.string(), z.union([z.string(), z.number()])), values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])) });

export const PredictionOut = described<PredictionRecord>()(z.object({
  predictionId: z.string(),
  deployment: z.string(),
  modelName: z.string(),
  version: z.string(),
  time: Millis,
  inputs: z.unknown().describe('the request as sent'),
  outputs: z.unknown().describe('the answer as returned'),
  latencyMs: z.number(),
  shadow: ShadowOut.optional().describe("shadow rollouts: the candidate's answer to the mirrored request"),
  featureVector: FeatureVectorOut.optional()
    .describe('the join keys and feature values the model was given: from parameters.feature_vector, or fetched by the deployment'),
  featureVectors: z.array(FeatureVectorOut).optional().describe('a request of several rows to a deployment that fetches its features: each row\'s vector'),
}).meta({ id: 'Prediction' }));

export const LoadTestOut = described<LoadTestResult>()(z.object({
  id: z.string(),
  deployment: z.string(),
  modelName: z.string(),
  version: z.string(),
  time: Millis,
  createdBy: z.string(),
  endpoint: z.string(),
  connections: z.number().int(),
  durationS: z.number(),
  targetRps: z.number().optional(),
  requests: z.number().int(),
  throughputRps: z.number(),
  latencyMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() }),
  errors: z.number().int(),
  non2xx: z.number().int(),
}).meta({ id: 'LoadTest' }));
