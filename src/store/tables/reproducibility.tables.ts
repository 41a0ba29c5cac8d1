/** Captures, reproductions and pipeline runs: JSON documents plus the columns they are looked up by; times are epoch ms. */
export interface ReproducibilityTables {
  repro_captures: ReproCapturesTable;
  repro_reproductions: ReproReproductionsTable;
  repro_pipeline_runs: ReproPipelineRunsTable;
}

export interface ReproCapturesTable {
  run_id: string;
  experiment_id: string;
  created_by: string;
  created_at: number;
  body: string;
}

export interface ReproReproductionsTable {
  id: string;
  source_run_id: string;
  run_id: string;
  passed: number;
  created_by: string;
  created_at: number;
  body: string;
}

export interface ReproPipelineRunsTable {
  id: string;
  name: string;
  experiment_id: string;
  status: string;
  created_by: string;
  created_at: number;
  updated_at: number;
  body: string;
}
