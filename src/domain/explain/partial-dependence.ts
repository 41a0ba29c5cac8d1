/**
 * Partial dependence (Friedman 2001; scikit-learn's `partial_dependence`, method 'brute'): the model's
 * mean output over the data with one feature set to each grid value. The grid is the feature's
 * distinct values when there are at most `resolution` of them, otherwise `resolution` evenly spaced
 * points between its 5th and 95th percentiles (scikit-learn's defaults).
 */
import type { Predict } from './kernel-shap.js';

export interface PartialDependence {
  readonly feature: string;
  readonly grid: number[];
  readonly average: number[];
}

/** NumPy's default (linear) percentile of sorted values. */
function percentile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function gridOf(column: Float64Array, resolution: number): number[] {
  const finite = Float64Array.from(column.filter((v) => Number.isFinite(v))).sort();
  if (finite.length === 0) return [];
  const distinct = [...new Set(finite)];
  if (distinct.length <= resolution) return distinct;
  const lo = percentile(finite, 0.05);
  const hi = percentile(finite, 0.95);
  return Array.from({ length: resolution }, (_, i) => lo + ((hi - lo) * i) / (resolution - 1));
}

export async function partialDependence(
  predict: Predict, data: Float64Array, n: number, m: number, feature: number, name: string, resolution: number,
): Promise<PartialDependence> {
  const column = new Float64Array(n);
  for (let i = 0; i < n; i++) column[i] = data[i * m + feature]!;
  const grid = gridOf(column, resolution);
  const batch = new Float64Array(grid.length * n * m);
  grid.forEach((v, g) => {
    batch.set(data.subarray(0, n * m), g * n * m);
    for (let i = 0; i < n; i++) batch[g * n * m + i * m + feature] = v;
  });
  const out = await predict(batch, grid.length * n);
  const average = grid.map((_, g) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += out[g * n + i]!;
    return s / n;
  });
  return { feature: name, grid, average };
}
