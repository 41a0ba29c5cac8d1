import type { Deployment, DeploymentEvent, LoadTestResult, MetricSample, NewDeploymentEvent, PredictionRecord } from './types.js';

/** Deployment state in the database: shared by every replica, and what a restarted server resumes from. */
export interface ServingStore {
  /** Creates the deployment with its `created` event; RESOURCE_ALREADY_EXISTS when the name is taken. */
  create(d: Deployment, event: NewDeploymentEvent): Promise<void>;
  get(name: string): Promise<Deployment | undefined>;
  list(): Promise<Deployment[]>;
  /**
   * Replaces the deployment if it is still at `expectedRevision` (the new one is `d.revision`) and
   * records the event in the same transaction; false when another replica changed it first.
   */
  update(d: Deployment, expectedRevision: number, event: NewDeploymentEvent): Promise<boolean>;
  delete(name: string, event: NewDeploymentEvent): Promise<boolean>;
  /** An event that changes nothing, e.g. a rollout refused because its model failed to load. */
  addEvent(event: NewDeploymentEvent): Promise<void>;
  events(name: string, limit: number): Promise<DeploymentEvent[]>;

  addMetricSamples(samples: readonly MetricSample[]): Promise<void>;
  /** Samples of one version with `from ≤ bucketStart ≤ to`. */
  metricSamples(deployment: string, version: string, from: number, to: number): Promise<MetricSample[]>;
  pruneMetricSamples(before: number): Promise<void>;

  addPredictions(records: readonly PredictionRecord[]): Promise<void>;
  /** Newest first; `withFeatureVector`: only those that logged the features they used. */
  predictions(deployment: string, opts: { limit: number; version?: string; since?: number; withFeatureVector?: boolean }): Promise<PredictionRecord[]>;
  prediction(predictionId: string): Promise<PredictionRecord | undefined>;

  addLoadTest(result: LoadTestResult): Promise<void>;
  loadTests(modelName: string, version?: string): Promise<LoadTestResult[]>;
}
