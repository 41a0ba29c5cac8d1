import type { Registry } from 'prom-client';
import type { CostService } from '../domain/cost/cost.service.js';
import { scrapedGauges } from './metrics.js';

/** Compute cost per experiment and each budget's spending this period, read from the database at scrape time. */
export function registerCostMetrics(registry: Registry, cost: CostService): void {
  const gauge = scrapedGauges(registry, async () => ({ experiments: await cost.experimentCosts(), budgets: await cost.budgetStatuses() }));
  gauge('openexpert_compute_cost_usd', 'Compute cost of all recorded run usage, by experiment, by the price table', ['experiment_id'], (g, s) => {
    for (const e of s.experiments) g.set({ experiment_id: e.experimentId }, e.costUsd);
  });
  gauge('openexpert_compute_cpu_seconds', 'CPU-seconds recorded for runs, by experiment', ['experiment_id'], (g, s) => {
    for (const e of s.experiments) g.set({ experiment_id: e.experimentId }, e.cpuSeconds);
  });
  gauge('openexpert_compute_gpu_seconds', 'GPU-seconds recorded for runs, by experiment', ['experiment_id'], (g, s) => {
    for (const e of s.experiments) g.set({ experiment_id: e.experimentId }, e.gpuSeconds);
  });
  gauge('openexpert_compute_budget_spent_usd', "What a compute budget's scope cost in its current period", ['budget', 'scope', 'period'], (g, s) => {
    for (const b of s.budgets) g.set({ budget: b.budget.name, scope: b.budget.scope, period: b.budget.period }, b.spentUsd);
  });
  gauge('openexpert_compute_budget_limit_usd', "A compute budget's limit per period", ['budget'], (g, s) => {
    for (const b of s.budgets) g.set({ budget: b.budget.name }, b.budget.limitUsd);
  });
  gauge('openexpert_compute_budget_exceeded', '1 when the budget reached its limit this period (a hard stop then refuses new runs)', ['budget'], (g, s) => {
    for (const b of s.budgets) g.set({ budget: b.budget.name }, b.exceeded ? 1 : 0);
  });
}
