/** LLM traces, spans, prices, budgets and budget alerts. Times are epoch milliseconds; JSON columns are text. */
export interface LlmopsTables {
  llm_traces: {
    trace_id: string; project: string; name: string; user_id: string | null; session_id: string | null; prompt_name: string | null; prompt_version: string | null;
    start_time: number; end_time: number | null; status: string; span_count: number; input_tokens: number; output_tokens: number; cost: number; models: string; updated_at: number;
  };
  llm_spans: {
    trace_id: string; span_id: string; parent_span_id: string | null; project: string; name: string; kind: string; start_time: number; end_time: number | null;
    status: string; error: string | null; input: string | null; output: string | null; model: string | null; provider: string | null;
    input_tokens: number | null; output_tokens: number | null; cost: number | null; prompt_name: string | null; prompt_version: string | null;
    user_id: string | null; session_id: string | null; attributes: string;
  };
  llm_prices: { provider: string; model: string; input_per_million: number; output_per_million: number; updated_at: number };
  llm_settings: { key: string; value: string; updated_at: number };
  llm_budgets: {
    budget_id: string; name: string; project: string; scope: string; subject: string | null; period: string; limit_usd: number; warn_at: number | null;
    hard_stop: number; webhook_url: string | null; webhook_secret: string; created_by: string; created_at: number;
  };
  llm_budget_alerts: { alert_id: string; budget_id: string; period_start: number; level: string; spent_usd: number; limit_usd: number; at: number };
}
