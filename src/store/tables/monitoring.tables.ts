/** Monitoring tables. Times are epoch milliseconds; JSON documents are stored as text. */
export interface MonitoringTables {
  monitors: {
    monitor_id: string; name: string; model_name: string | null; model_version: string | null; window_kind: string;
    config: string; reference_rows: number; created_by: string; created_at: number; updated_at: number; reference_source: string | null;
  };
  monitor_windows: {
    window_id: string; monitor_id: string; window_key: string; window_start: number; window_end: number; status: string;
    row_count: number; dataset_drift_share: number | null; dataset_drift: number | null; result: string | null; closed_at: number | null;
  };
  monitor_batches: { batch_id: string; monitor_id: string; window_id: string | null; row_count: number; payload: string; received_at: number; file_path: string | null };
  monitor_labels: { monitor_id: string; prediction_id: string; label: string; received_at: number };
  monitor_alert_rules: {
    rule_id: string; monitor_id: string; name: string; figure: string; op: string; threshold: number; for_windows: number;
    webhook_url: string | null; webhook_secret: string; retrain: string | null; state: string; consecutive: number; state_since: number;
    last_value: number | null; silenced_until: number | null; silence_reason: string | null; last_retrain_at: number | null; created_at: number;
  };
  monitor_alert_events: { event_id: string; rule_id: string; monitor_id: string; window_id: string; state: string; value: number | null; silenced: number; at: number };
  monitor_deliveries: {
    delivery_id: string; monitor_id: string; rule_id: string | null; kind: string; url: string; secret: string; payload: string; status: string;
    attempts: number; next_attempt_at: number; last_error: string | null; last_status: number | null; created_at: number; delivered_at: number | null;
  };
  monitor_retrain_requests: {
    request_id: string; monitor_id: string; rule_id: string; window_id: string; target: string; status: string; detail: string | null; created_at: number;
  };
}
