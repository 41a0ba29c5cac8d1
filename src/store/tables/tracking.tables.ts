import type { Generated } from 'kysely';

/** Tracking tables. Times are epoch milliseconds. */
export interface TrackingTables {
  experiments: ExperimentsTable;
  experiment_tags: KeyValueTable & { experiment_id: number };
  runs: RunsTable;
  params: KeyValueTable & { run_uuid: string };
  tags: KeyValueTable & { run_uuid: string };
  metrics: MetricsTable;
  latest_metrics: MetricsTable;
  datasets: DatasetsTable;
  run_inputs: RunInputsTable;
  idempotency_keys: IdempotencyKeysTable;
  experiment_views: ExperimentViewsTable;
}

/** A saved view of an experiment's runs: the web UI's query string under a name. */
export interface ExperimentViewsTable {
  experiment_id: number;
  name: string;
  query: string;
  created_by: string;
  updated_at: number;
}

export interface ExperimentsTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface KeyValueTable {
  key: string;
  value: string;
}

export interface RunsTable {
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  deleted_time: number | null;
}

export interface MetricsTable {
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** 0/1: NaN cannot be stored portably, so the value column holds 0 and this flag says NaN. */
  is_nan: number;
}

export interface DatasetsTable {
  dataset_uuid: string;
  experiment_id: number;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface RunInputsTable {
  run_uuid: string;
  dataset_uuid: string;
  /** JSON array of {key, value}: the input's tags, e.g. mlflow.data.context. */
  tags: string;
}

export interface IdempotencyKeysTable {
  key: string;
  scope: string;
  resource_id: string;
  created_at: number;
}
