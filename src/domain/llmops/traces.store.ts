import type { WebhookDelivery } from '../monitoring/webhooks.js';
import type { Budget, BudgetAlert, Price, SpanKind, StoredSpan, TraceQuery, TraceSummary } from './types.js';

/** What cost is summed over for a budget: a project's spans in [from, to), optionally of one prompt or user. */
export interface SpendQuery {
  readonly project: string;
  readonly promptName?: string;
  readonly userId?: string;
  readonly from: number;
  readonly to: number;
}

/** Traces, their spans, the price table, settings and budgets. */
export interface TraceStore {
  /**
   * Stores spans (a span sent again replaces the earlier copy: exporters retry) and recomputes the summaries of the
   * traces they belong to, in one transaction. A trace stays in the project it was first stored in.
   */
  putSpans(spans: readonly StoredSpan[], now: number): Promise<void>;
  /** The project each of these traces is stored in, for those that exist. */
  projectsOf(traceIds: readonly string[]): Promise<Map<string, string>>;
  getTrace(traceId: string): Promise<TraceSummary | undefined>;
  /** In start order. */
  listSpans(traceId: string): Promise<StoredSpan[]>;
  /** A project's spans of one kind that started in [since, until] (and have this name), newest first, at most `limit`. */
  listSpansOfKind(query: { project: string; kind: SpanKind; name?: string; since?: number; until?: number; limit: number }): Promise<StoredSpan[]>;
  /** Newest first; one more than `limit` tells the caller there is a next page. */
  searchTraces(query: TraceQuery): Promise<TraceSummary[]>;
  spend(query: SpendQuery): Promise<number>;

  listPrices(): Promise<Price[]>;
  /** Replaces the whole table. */
  setPrices(prices: readonly Price[], now: number): Promise<void>;
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string, now: number): Promise<void>;

  createBudget(budget: Budget): Promise<void>;
  getBudget(idOrName: string): Promise<Budget | undefined>;
  listBudgets(projects?: readonly string[]): Promise<Budget[]>;
  deleteBudget(budgetId: string): Promise<void>;
  /**
   * False when that alert (budget, period, level) was raised already: each is raised once. Its webhook delivery, when
   * given, is queued in the same transaction.
   */
  addBudgetAlert(alert: BudgetAlert, delivery?: WebhookDelivery): Promise<boolean>;
  listBudgetAlerts(budgetId: string, limit: number): Promise<BudgetAlert[]>;
}
