/** Retention tables. Times are epoch milliseconds; JSON columns are text. */
export interface RetentionTables {
  retention_policies: { id: string; scope_kind: string; scope_id: string; max_age_days: number; created_by: string; created_at: number };
  deletion_jobs: {
    id: string; requested_by: string; reason: string; state: string; total: number; deleted: number; counts: string; error: string | null; created_at: number; finished_at: number | null;
  };
}
