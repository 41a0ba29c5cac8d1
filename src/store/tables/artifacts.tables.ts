/** Artifact file records and MLflow 3 logged models. Times are epoch milliseconds. */
export interface ArtifactTables {
  artifact_files: ArtifactFilesTable;
  logged_models: LoggedModelsTable;
  logged_model_tags: { model_id: string; key: string; value: string };
  logged_model_params: { model_id: string; key: string; value: string };
  run_outputs: { run_uuid: string; model_id: string; step: number };
  run_model_inputs: { run_uuid: string; model_id: string };
  logged_model_metrics: LoggedModelMetricsTable;
}

export interface ArtifactFilesTable {
  /** Path under the artifact root, as stored (`<experiment>/<run>/artifacts/<file>`). */
  path: string;
  size: number;
  sha256: string;
  updated_at: number;
}

export interface LoggedModelsTable {
  model_id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  status: string;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  creator: string;
  creation_time: number;
  last_updated_time: number;
  lifecycle_stage: string;
}

export interface LoggedModelMetricsTable {
  model_id: string;
  run_uuid: string;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
  dataset_name: string | null;
  dataset_digest: string | null;
}
