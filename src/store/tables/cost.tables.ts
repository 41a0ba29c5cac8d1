/** Compute usage per run, budgets and their alerts. Times are epoch milliseconds; thresholds are JSON text. */
export interface CostTables {
  run_usage: {
    entry_id: string; run_id: string; experiment_id: string; user_id: string; source: string; cpu_seconds: number; peak_memory_bytes: number;
    wall_seconds: number; gpu_seconds: number; gpu_memory_bytes: number; gpu_type: string | null; recorded_at: number;
  };
  compute_budgets: {
    budget_id: string; name: string; scope: string; subject: string; period: string; limit_usd: number; thresholds: string; hard_stop: number;
    webhook_url: string | null; webhook_secret: string; created_by: string; created_at: number;
  };
  compute_budget_alerts: {
    alert_id: string; budget_id: string; period_start: number; threshold: number; spent_usd: number; limit_usd: number; at: number;
  };
}
