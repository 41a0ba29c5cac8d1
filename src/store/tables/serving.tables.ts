import type { Generated } from 'kysely';

/** Deployments, their event history, per-replica metric samples, the prediction log and load tests. */
export interface ServingTables {
  serving_deployments: ServingDeploymentsTable;
  serving_events: ServingEventsTable;
  serving_metric_samples: ServingMetricSamplesTable;
  serving_predictions: ServingPredictionsTable;
  serving_load_tests: ServingLoadTestsTable;
}

/** Structured parts (versions, rollout, routing) are JSON text: read whole, written whole, checked by zod on read. */
export interface ServingDeploymentsTable {
  name: string;
  model_name: string;
  target: string;
  stable: string;
  rollout: string | null;
  previous: string | null;
  routing: string;
  batching: string;
  logging: string;
  /** A deployment that fetches its own features: FeatureFetchConfig as JSON. */
  features: string | null;
  created_at: number;
  created_by: string;
  updated_at: number;
  revision: number;
}

export interface ServingEventsTable {
  id: Generated<number>;
  deployment: string;
  time: number;
  kind: string;
  actor: string;
  from_version: string | null;
  to_version: string | null;
  weight: number | null;
  reason: string | null;
  details: string | null;
}

export interface ServingMetricSamplesTable {
  id: Generated<number>;
  deployment: string;
  version: string;
  bucket_start: number;
  requests: number;
  errors: number;
  latency_counts: string;
  compared: number;
  mismatches: number;
}

export interface ServingPredictionsTable {
  prediction_id: string;
  deployment: string;
  model_name: string;
  version: string;
  time: number;
  inputs: string;
  outputs: string;
  latency_ms: number;
  /** JSON ShadowRecord, for sampled shadow requests. */
  shadow: string | null;
  /** JSON FeatureVector, when the request carried one. */
  feature_vector: string | null;
}

export interface ServingLoadTestsTable {
  id: string;
  deployment: string;
  model_name: string;
  version: string;
  time: number;
  created_by: string;
  result: string;
}
