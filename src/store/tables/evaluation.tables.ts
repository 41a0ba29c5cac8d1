/**
 * Evaluations, their flattened overall metrics (for lists and lookups), model comparisons and the
 * human-written fields of model cards. Results and specs are JSON documents read whole; times are epoch ms.
 */
export interface EvaluationTables {
  evaluations: EvaluationsTable;
  evaluation_metrics: EvaluationMetricsTable;
  evaluation_comparisons: EvaluationComparisonsTable;
  model_card_fields: ModelCardFieldsTable;
}

export interface EvaluationsTable {
  id: string;
  name: string;
  task: string;
  run_id: string | null;
  model_name: string | null;
  model_version: number | null;
  dataset_name: string;
  dataset_digest: string;
  dataset_source: string;
  dataset_rows: number;
  created_at: number;
  created_by: string;
  spec: string;
  result: string;
  artifacts: string | null;
}

export interface EvaluationMetricsTable {
  evaluation_id: string;
  key: string;
  value: number;
  ci_lower: number | null;
  ci_upper: number | null;
}

export interface EvaluationComparisonsTable {
  id: string;
  name: string;
  task: string;
  run_id: string | null;
  candidate_model_name: string | null;
  candidate_version: number | null;
  baseline_model_name: string | null;
  baseline_version: number | null;
  dataset_name: string;
  dataset_digest: string;
  dataset_source: string;
  dataset_rows: number;
  created_at: number;
  created_by: string;
  spec: string;
  result: string;
}

export interface ModelCardFieldsTable {
  model_name: string;
  model_version: number;
  fields: string;
  updated_at: number;
  updated_by: string;
}
