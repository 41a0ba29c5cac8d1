/** Feature store tables. Times are epoch milliseconds; JSON columns are text. */
export interface FeatureTables {
  feature_definitions: { kind: string; name: string; version: number; spec: string; digest: string; deleted: number; created_by: string; created_at: number };
  feature_watermarks: { view: string; until: number; row_count: number; updated_at: number };
  feature_skew_reports: { view: string; report: string; checked_by: string; checked_at: number };
  feature_online: { view: string; entity_key: string; feature_values: string; event_time: number };
}
