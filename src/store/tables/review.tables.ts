/** Review queues, items and labels; spec, fields, source and assigned are JSON text, times epoch milliseconds. */
export interface ReviewTables {
  review_queues: {
    name: string; project: string; scope: string; target: string | null; description: string | null; spec: string; cursor: number; created_by: string; created_at: number;
  };
  review_items: {
    id: string; queue: string; source_kind: string; source_id: string; source: string; reason: string; fields: string; predicted: string | null;
    confidence: number | null; assigned: string; time: number; seq: number; created_at: number;
  };
  review_labels: { item_id: string; queue: string; reviewer: string; label: string; comment: string | null; at: number };
}
