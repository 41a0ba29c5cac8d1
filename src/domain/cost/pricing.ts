import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { PriceTable, UsageTotals } from './types.js';

/** Bytes in the GB of a GB-hour: GiB, as cloud providers bill memory. */
export const GIB = 2 ** 30;

/**
 * What a fresh server prices compute at: roughly on-demand cloud list prices when this table was written (a vCPU
 * hour, a GiB-hour of memory, a GPU hour by type). Set your own with OPENEXPERT_COMPUTE_PRICES.
 */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  cpuHour: 0.04,
  memoryGbHour: 0.005,
  gpuHour: { default: 2.5, 'Tesla T4': 0.35, 'NVIDIA L4': 0.7, 'Tesla V100*': 2.48, 'NVIDIA A100*': 3.67, 'NVIDIA H100*': 6.98 },
  currency: 'USD',
};

const Price = z.number().min(0).max(1e6);
export const PriceFileSchema = z.object({
  cpuHour: Price.optional(),
  memoryGbHour: Price.optional(),
  gpuHour: z.record(z.string().min(1).max(200), Price).optional(),
}).strict();

/** The table a price file gives: its entries over the defaults (GPU types merged, a file's `default` wins). */
export function priceTableOf(text: string | undefined, source = 'OPENEXPERT_COMPUTE_PRICES'): PriceTable {
  if (text === undefined) return DEFAULT_PRICE_TABLE;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(`Invalid price table in ${source}: not JSON (${(err as Error).message})`);
  }
  const parsed = PriceFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`Invalid price table in ${source}: '${issue.path.join('.') || '(file)'}' ${issue.message}`);
  }
  return {
    cpuHour: parsed.data.cpuHour ?? DEFAULT_PRICE_TABLE.cpuHour,
    memoryGbHour: parsed.data.memoryGbHour ?? DEFAULT_PRICE_TABLE.memoryGbHour,
    gpuHour: { ...DEFAULT_PRICE_TABLE.gpuHour, ...parsed.data.gpuHour },
    currency: 'USD',
  };
}

/** The price of an hour of a GPU type: the exact entry, else the longest `prefix*` entry, else `default`. */
export function gpuHourPrice(table: PriceTable, type: string): number {
  if (table.gpuHour[type] !== undefined) return table.gpuHour[type];
  let best: string | undefined;
  for (const key of Object.keys(table.gpuHour)) {
    if (key.endsWith('*') && type.startsWith(key.slice(0, -1)) && (best === undefined || key.length > best.length)) best = key;
  }
  return table.gpuHour[best ?? 'default'] ?? 0;
}

/** cost = CPU-hours × cpuHour + GiB-hours (peak memory × wall time) × memoryGbHour + Σ GPU-hours(type) × gpuHour(type). */
export function costOf(table: PriceTable, totals: UsageTotals): number {
  let cost = (totals.cpuSeconds / 3600) * table.cpuHour + (totals.memoryByteSeconds / GIB / 3600) * table.memoryGbHour;
  for (const [type, seconds] of Object.entries(totals.gpuSecondsByType)) cost += (seconds / 3600) * gpuHourPrice(table, type);
  return cost;
}

/** Start and end (exclusive) of the UTC day or month containing `at`. */
export { periodBounds } from '../llmops/pricing.js';
