/** Persistence for compute usage and budgets, in domain terms; one implementation serves SQLite and PostgreSQL. */
import type { DeliveryStatus } from '../monitoring/types.js';
import type { WebhookDelivery } from '../monitoring/webhooks.js';
import type { BudgetScope, ComputeBudget, ComputeBudgetAlert, UsageEntry, UsageTotals } from './types.js';

/** Which runs a sum covers: one run, an experiment, the runs carrying a tag, a user's runs. */
export type UsageScope =
  | { readonly runId: string }
  | { readonly scope: BudgetScope; readonly subject: string };

/** Where budget alerts' deliveries are kept in the shared `webhook_deliveries` queue (owner: the budget). */
export const BUDGET_DELIVERY_SOURCE = 'compute-budget';

export interface CostStore {
  addUsage(entry: UsageEntry & { readonly experimentId: string; readonly userId: string }): Promise<void>;
  listUsage(runId: string): Promise<UsageEntry[]>;
  /** Sums over the entries in scope recorded in [from, to) (all time without bounds). */
  totals(scope: UsageScope, range?: { from: number; to: number }): Promise<UsageTotals>;
  /** Totals per run, for many runs at once (an experiment's page). */
  totalsByRun(experimentId: string): Promise<Map<string, UsageTotals>>;
  /** Totals per experiment over all recorded usage (Prometheus). */
  totalsByExperiment(): Promise<Map<string, UsageTotals>>;

  createBudget(b: ComputeBudget): Promise<void>;
  getBudget(idOrName: string): Promise<ComputeBudget | undefined>;
  listBudgets(): Promise<ComputeBudget[]>;
  deleteBudget(budgetId: string): Promise<void>;
  /** Stores the alert and its delivery (if any) together; false when this budget already raised this threshold in this period. */
  addAlert(alert: ComputeBudgetAlert, delivery: WebhookDelivery | undefined): Promise<boolean>;
  listAlerts(budgetId: string, limit: number): Promise<(ComputeBudgetAlert & { delivery?: { status: DeliveryStatus; attempts: number; lastError: string | null } })[]>;
}
