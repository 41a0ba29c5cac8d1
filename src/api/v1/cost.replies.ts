import { z } from 'zod';
import type { ComputeBudgetStatus, RunUsage } from '../../domain/cost/types.js';
import { BUDGET_PERIODS, BUDGET_SCOPES } from '../../domain/cost/types.js';

export const RunUsageOut = z.object({
  runId: z.string(),
  cpuSeconds: z.number().describe('CPU time, user + system, of every process of the run'),
  peakMemoryBytes: z.number().describe('the largest peak resident memory of any of its entries'),
  wallSeconds: z.number(),
  memoryGbHours: z.number().describe('Σ peak memory (GiB) × wall hours: what memory is priced by'),
  gpuSeconds: z.number(),
  gpuMemoryBytes: z.number(),
  gpuTypes: z.array(z.string()),
  costUsd: z.number().describe('by the server\'s price table'),
  entries: z.number().int().describe('measured commands and reported pieces summed here'),
}).meta({ id: 'RunUsage' }) satisfies z.ZodType<RunUsage>;

const Totals = {
  cpuSeconds: z.number(), memoryGbHours: z.number(), gpuSeconds: z.number(), costUsd: z.number(),
};
export const CostTotalsOut = z.object(Totals).meta({ id: 'CostTotals' });
export const ExperimentCostOut = z.object({ ...Totals, runs: z.array(z.object({ runId: z.string(), ...Totals })).describe('runs that recorded usage, costliest first') });

export const PriceTableOut = z.object({
  cpuHour: z.number(), memoryGbHour: z.number().describe('per GiB-hour of peak resident memory'), gpuHour: z.record(z.string(), z.number()).describe('by GPU type; `default` for others, `prefix*` by prefix'),
  currency: z.literal('USD'),
}).meta({ id: 'ComputePriceTable' });

export const ComputeBudgetStatusOut = z.object({
  budget: z.object({
    budgetId: z.string(), name: z.string(), scope: z.enum(BUDGET_SCOPES), subject: z.string(), period: z.enum(BUDGET_PERIODS), limitUsd: z.number(),
    thresholds: z.array(z.number()), hardStop: z.boolean(), webhookUrl: z.string().optional(), createdBy: z.string(), createdAt: z.number(),
  }),
  periodStart: z.number(), periodEnd: z.number(), spentUsd: z.number(), exceeded: z.boolean(),
}).meta({ id: 'ComputeBudgetStatus' });

export const budgetStatusToWire = (s: ComputeBudgetStatus): z.output<typeof ComputeBudgetStatusOut> => {
  const { webhookSecret: _secret, ...budget } = s.budget;
  return { ...s, budget: { ...budget, thresholds: [...budget.thresholds] } };
};

export const ComputeBudgetAlertOut = z.object({
  alertId: z.string(), budgetId: z.string(), periodStart: z.number(), threshold: z.number(), spentUsd: z.number(), limitUsd: z.number(), at: z.number(),
  delivery: z.object({ status: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(), lastError: z.string().nullable() }).optional().describe('absent when the budget has no webhook'),
});
