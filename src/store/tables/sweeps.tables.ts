/** Sweeps, their trials and ASHA's rung records. Times are epoch milliseconds; JSON columns and objective values are text. */
export interface SweepTables {
  sweeps: {
    id: string; name: string; experiment_id: string; parent_run_id: string; config: string; max_trials: number; created_by: string; created_at: number; updated_at: number;
  };
  sweep_trials: {
    sweep_id: string; number: number; state: string; params: string; run_id: string; value: string | null; step: number | null; checked_step: number;
    curve: string | null; reason: string | null; pid: number | null; host: string | null; attempts: number; started_at: number; ended_at: number | null;
  };
  sweep_rungs: { sweep_id: string; number: number; rung: number; value: string };
  sweep_leases: { sweep_id: string; controller: string; host: string; pid: number; acquired_at: number; expires_at: number };
}
