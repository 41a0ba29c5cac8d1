/** Outgoing webhook deliveries shared by modules (times are epoch milliseconds). */
export interface WebhookTables {
  webhook_deliveries: {
    delivery_id: string; source: string; owner_id: string; kind: string; url: string; secret: string; payload: string; status: string;
    attempts: number; next_attempt_at: number; last_error: string | null; last_status: number | null; created_at: number; delivered_at: number | null;
  };
}
