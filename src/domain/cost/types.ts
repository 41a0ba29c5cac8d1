/** Compute cost: what runs used, what that costs by the price table, and budgets over it. */

/** What a run (or a part of it) used; counters add up, peaks take the larger. */
export interface UsageInput {
  readonly cpuSeconds: number;
  /** Peak resident memory of the whole process tree. */
  readonly peakMemoryBytes: number;
  readonly wallSeconds: number;
  readonly gpuSeconds?: number;
  readonly gpuMemoryBytes?: number;
  /** The GPU's name as nvidia-smi gives it (`NVIDIA A100-SXM4-40GB`); priced by the table's GPU entries. */
  readonly gpuType?: string;
}

/** One recorded piece of usage: a measured command, or what a client reported. */
export interface UsageEntry extends UsageInput {
  readonly runId: string;
  readonly source: UsageSource;
  readonly recordedAt: number;
}

export const USAGE_SOURCES = ['run', 'pipeline-step', 'sweep-trial', 'reported'] as const;
export type UsageSource = (typeof USAGE_SOURCES)[number];

/** A run's usage in total, with its cost by the current price table. */
export interface RunUsage {
  readonly runId: string;
  readonly cpuSeconds: number;
  readonly peakMemoryBytes: number;
  readonly wallSeconds: number;
  /** Σ peak memory × wall time over the entries: what memory is priced by. */
  readonly memoryGbHours: number;
  readonly gpuSeconds: number;
  readonly gpuMemoryBytes: number;
  readonly gpuTypes: readonly string[];
  readonly costUsd: number;
  readonly entries: number;
}

/** Usage summed over runs (a sweep's, an experiment's) and its cost. */
export interface CostTotals {
  readonly cpuSeconds: number;
  readonly memoryGbHours: number;
  readonly gpuSeconds: number;
  readonly costUsd: number;
}

/**
 * The price table: US dollars per CPU-hour, per GB-hour of memory (peak resident memory × wall time), and per
 * GPU-hour by GPU type (`default` for types not named; a name ending in `*` matches by prefix).
 */
export interface PriceTable {
  readonly cpuHour: number;
  readonly memoryGbHour: number;
  readonly gpuHour: Readonly<Record<string, number>>;
  readonly currency: 'USD';
}

/** Sums over usage entries that one price applies to (GPU entries are grouped by type). */
export interface UsageTotals {
  readonly cpuSeconds: number;
  /** Σ peak memory bytes × wall seconds. */
  readonly memoryByteSeconds: number;
  readonly gpuSecondsByType: Readonly<Record<string, number>>;
}

export const BUDGET_SCOPES = ['experiment', 'tag', 'user'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['day', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface ComputeBudget {
  readonly budgetId: string;
  readonly name: string;
  readonly scope: BudgetScope;
  /** The experiment id, `key=value` of a run tag, or the user. */
  readonly subject: string;
  readonly period: BudgetPeriod;
  readonly limitUsd: number;
  /** Fractions of the limit that raise an alert, ascending (default 0.5, 0.8, 1). */
  readonly thresholds: readonly number[];
  /** Refuse new runs and sweep trials in the budget's scope once the period's cost reaches the limit. */
  readonly hardStop: boolean;
  readonly webhookUrl?: string;
  readonly webhookSecret: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface ComputeBudgetStatus {
  readonly budget: ComputeBudget;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly spentUsd: number;
  readonly exceeded: boolean;
}

/** An alert a budget raised: once per budget, period and threshold. */
export interface ComputeBudgetAlert {
  readonly alertId: string;
  readonly budgetId: string;
  readonly periodStart: number;
  readonly threshold: number;
  readonly spentUsd: number;
  readonly limitUsd: number;
  readonly at: number;
}
