import type { Actor } from '../../core/actor.js';
import type { OutputComparison } from './output-comparison.js';

/** Deployments of registry model versions, their rollouts and what they record. Times are epoch ms. */

export const STRATEGIES = ['canary', 'shadow', 'blue-green'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/**
 * How a version is run: ONNX in a supervised onnxruntime process, a supervised Python scoring process
 * (any other MLflow flavor; `command` overrides the server's), or forwarded to an HTTP model server.
 */
export type RuntimeSpec =
  | { readonly kind: 'onnx' }
  | { readonly kind: 'python'; readonly command?: string }
  | { readonly kind: 'external'; readonly url: string; readonly protocol: 'v2' | 'mlflow'; readonly remoteModel?: string };

export interface ServedVersion {
  readonly version: string;
  readonly runtime: RuntimeSpec;
}

/**
 * What a rollout compares between candidate and baseline; every figure is over the current step's
 * window. Every threshold can be set per rollout; DEFAULT_ANALYSIS holds the documented defaults.
 */
export interface AnalysisConfig {
  /** Requests each side needs in the window before a verdict is given. */
  readonly minRequests: number;
  /** Candidate error rate may exceed the baseline's by at most this (absolute, 0–1). */
  readonly maxErrorRateIncrease: number;
  readonly maxErrorRate?: number;
  /**
   * Candidate p99 ≤ baseline p99 × ratio + slack, both measured over the same window; the slack keeps
   * sub-millisecond noise from failing a check.
   */
  readonly maxLatencyRatio: number;
  readonly latencySlackMs: number;
  /** Successful requests each side needs in the same window before latency is judged at all. */
  readonly minLatencyRequests: number;
  /**
   * Latency fails only when the limit is broken in at least this share of bootstrap resamples of both
   * sides' latencies: one slow spell on a busy host does not roll a healthy candidate back.
   */
  readonly latencyConfidence: number;
  readonly maxP99Ms?: number;
  /** Shadow: share of mirrored requests whose outputs may disagree with the stable version's (see `compare`). */
  readonly maxMismatchRate: number;
  readonly compare: OutputComparison['compare'];
  readonly absTolerance: number;
  readonly relTolerance: number;
  /** Monitoring figures (e.g. a drift score) compared candidate vs baseline. */
  readonly figures: readonly FigureCheck[];
}

export interface FigureCheck {
  readonly name: string;
  /** Candidate − baseline may be at most this (for figures where higher is worse). */
  readonly maxIncrease?: number;
  /** Baseline − candidate may be at most this (for figures where lower is worse). */
  readonly maxDecrease?: number;
}

export const DEFAULT_ANALYSIS: AnalysisConfig = {
  minRequests: 20,
  maxErrorRateIncrease: 0.02,
  maxLatencyRatio: 1.5,
  latencySlackMs: 5,
  minLatencyRequests: 100,
  latencyConfidence: 0.95,
  maxMismatchRate: 0.05,
  compare: 'values',
  absTolerance: 1e-6,
  relTolerance: 1e-5,
  figures: [],
};

export interface Rollout {
  readonly candidate: ServedVersion;
  readonly strategy: Strategy;
  /** Canary: candidate traffic % per step; shadow: mirrored %; blue-green: one step of 100. */
  readonly steps: readonly number[];
  readonly stepIndex: number;
  readonly intervalMs: number;
  readonly stepStartedAt: number;
  readonly startedAt: number;
  readonly startedBy: string;
  readonly phase: 'progressing' | 'paused';
  readonly analysis: AnalysisConfig;
}

export interface RoutingConfig {
  /** Requests with the same key go to the same version (A/B tests): a header name, or a field of OIP `parameters`. */
  readonly stickyHeader?: string;
  readonly stickyParameter?: string;
  /** Per-request choice: this header names `stable`, `candidate` or a served version number. */
  readonly flagHeader: string;
}

export interface BatchingConfig {
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  readonly workers: number;
  /** Longest a request waits for the model's answer before a 503 naming the deployment (30 000 by default). */
  readonly timeoutMs: number;
}

export interface LoggingConfig {
  /** Share of predictions written to the prediction log (0–1). */
  readonly sampleRate: number;
}

/**
 * A deployment that fetches its own features: a request carries only the entities' join keys, the server reads the
 * features from the online store (the online API's path, TTL enforced) and gives them to the model as its input
 * columns, in this order. The vector each row was scored with is logged with a sampled prediction.
 */
export interface FeatureFetchConfig {
  /** `view:feature`, or a feature name only one view has; the model's input columns, in order. */
  readonly features: readonly string[];
  /** The request's columns: the join keys of the features' entities. */
  readonly entityKeys: readonly string[];
  /** A value older than its view's TTL: refuse the request (the default), or score it and say so in a response header. */
  readonly onStale: 'refuse' | 'warn';
}

/** Where a deployment's features come from (the feature store's online path); wired in by the composition root. */
export interface DeploymentFeatures {
  /** Checks the features for the one configuring the deployment and gives the join keys requests must carry. */
  keys(actor: Actor, input: { features: readonly string[]; entityKeys?: readonly string[] | undefined }): Promise<string[]>;
  /** The vector of each entity row, as the model's input columns (in `columns` order); `warnings` names stale values passed on. */
  vectors(input: { features: readonly string[]; entities: Readonly<Record<string, readonly unknown[]>>; onStale: FeatureFetchConfig['onStale'] }): Promise<{
    columns: readonly string[]; vectors: readonly FeatureVector[]; warnings: readonly string[];
  }>;
}

export interface Deployment {
  readonly name: string;
  readonly modelName: string;
  /** The registry alias or stage the served versions must hold (their promotion policy was checked there). */
  readonly target: string;
  readonly stable: ServedVersion;
  readonly rollout?: Rollout;
  /** What a rollback without a candidate returns to: the version that was stable before the last promotion. */
  readonly previous?: ServedVersion;
  readonly routing: RoutingConfig;
  readonly batching: BatchingConfig;
  readonly logging: LoggingConfig;
  readonly features?: FeatureFetchConfig;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly updatedAt: number;
  /** Bumped by every change; replicas update only the revision they read (optimistic concurrency). */
  readonly revision: number;
}

export type EventKind =
  | 'created' | 'rollout_started' | 'step' | 'promoted' | 'rolled_back' | 'paused' | 'resumed' | 'aborted' | 'load_failed' | 'deleted' | 'updated';

export interface DeploymentEvent {
  readonly id: number;
  readonly deployment: string;
  readonly time: number;
  readonly kind: EventKind;
  readonly actor: string;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  readonly weight?: number;
  readonly reason?: string;
  readonly details?: Record<string, unknown>;
}

export type NewDeploymentEvent = Omit<DeploymentEvent, 'id'>;

/** Counters of one version in one time bucket, as one replica saw them. */
export interface MetricSample {
  readonly deployment: string;
  readonly version: string;
  readonly bucketStart: number;
  readonly requests: number;
  readonly errors: number;
  /** Counts per latency bucket (LATENCY_BOUNDS_MS, last one open-ended). */
  readonly latencyCounts: readonly number[];
  readonly compared: number;
  readonly mismatches: number;
}

export interface PredictionRecord {
  readonly predictionId: string;
  readonly deployment: string;
  readonly modelName: string;
  readonly version: string;
  readonly time: number;
  readonly inputs: unknown;
  readonly outputs: unknown;
  readonly latencyMs: number;
  /** Shadow: the candidate's answer to the same mirrored request, and whether it agreed. */
  readonly shadow?: ShadowRecord;
  /** The feature vector the caller says the model was given (OIP `parameters.feature_vector`), for skew checks. */
  readonly featureVector?: FeatureVector;
  /** A request of several rows to a deployment that fetched its features: the vector of each row, in order. */
  readonly featureVectors?: readonly FeatureVector[];
}

/**
 * What a request's features were: the entity's join keys and each feature's value, as the caller fetched them
 * (from the online store, usually). `features skew` compares them with the offline values at the request's time.
 */
export interface FeatureVector {
  readonly entity: Readonly<Record<string, string | number>>;
  readonly values: Readonly<Record<string, string | number | boolean | null>>;
}

export interface ShadowRecord {
  readonly version: string;
  readonly outputs?: unknown;
  readonly agreed?: boolean;
  /** Why the candidate gave no answer. */
  readonly error?: string;
}

export interface LoadTestResult {
  readonly id: string;
  readonly deployment: string;
  readonly modelName: string;
  readonly version: string;
  readonly time: number;
  readonly createdBy: string;
  readonly endpoint: string;
  readonly connections: number;
  readonly durationS: number;
  readonly targetRps?: number;
  readonly requests: number;
  readonly throughputRps: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: number;
  readonly non2xx: number;
}
