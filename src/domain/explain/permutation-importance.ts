/**
 * Permutation importance (Breiman 2001; scikit-learn's `permutation_importance`): how much a metric
 * worsens when one feature's column is shuffled, breaking its link to the target, repeated n times.
 * Reported as the mean and standard deviation over repeats (NumPy's, ddof = 0, as scikit-learn does)
 * and a Student-t interval of the mean (n − 1 degrees of freedom).
 */
import { invalid } from '../../core/errors.js';
import { rocAuc } from '../evaluation/classification.metrics.js';
import type { Predict } from './kernel-shap.js';
import { studentTQuantile } from './student-t.js';

export const IMPORTANCE_METRICS = ['r2', 'mse', 'mae', 'roc_auc', 'accuracy', 'log_loss'] as const;
export type ImportanceMetric = (typeof IMPORTANCE_METRICS)[number];

const GREATER_IS_BETTER: Record<ImportanceMetric, boolean> = { r2: true, mse: false, mae: false, roc_auc: true, accuracy: true, log_loss: false };

/** The metric on labels `y` and model outputs (for classification metrics: P(target class), y in {0, 1}). */
export function metricValue(metric: ImportanceMetric, y: Float64Array, out: Float64Array): number {
  const n = y.length;
  switch (metric) {
    case 'r2': {
      let mean = 0;
      for (const v of y) mean += v;
      mean /= n;
      let ssRes = 0;
      let ssTot = 0;
      for (let i = 0; i < n; i++) {
        ssRes += (y[i]! - out[i]!) ** 2;
        ssTot += (y[i]! - mean) ** 2;
      }
      return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
    }
    case 'mse': {
      let s = 0;
      for (let i = 0; i < n; i++) s += (y[i]! - out[i]!) ** 2;
      return s / n;
    }
    case 'mae': {
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.abs(y[i]! - out[i]!);
      return s / n;
    }
    case 'roc_auc':
      return rocAuc(y, out);
    case 'accuracy': {
      let s = 0;
      for (let i = 0; i < n; i++) s += (out[i]! >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
      return s / n;
    }
    case 'log_loss': {
      const eps = 2.220446049250313e-16;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const p = Math.min(1 - eps, Math.max(eps, out[i]!));
        s -= y[i]! * Math.log(p) + (1 - y[i]!) * Math.log(1 - p);
      }
      return s / n;
    }
  }
}

export interface FeatureImportance {
  readonly feature: string;
  readonly mean: number;
  readonly std: number;
  readonly ci: { readonly lower: number; readonly upper: number };
  /** The drop in the metric for each repeat. */
  readonly values: readonly number[];
}

export interface PermutationImportance {
  readonly metric: ImportanceMetric;
  readonly greaterIsBetter: boolean;
  readonly baseline: number;
  readonly repeats: number;
  readonly confidence: number;
  readonly importances: FeatureImportance[];
}

export async function permutationImportance(
  predict: Predict, data: Float64Array, n: number, features: readonly string[], y: Float64Array,
  opts: { metric: ImportanceMetric; repeats: number; confidence: number; random: () => number },
): Promise<PermutationImportance> {
  if (opts.repeats < 2) throw invalid("Invalid value for parameter 'repeats': permutation importance needs at least 2 repeats for an interval");
  const m = features.length;
  const greater = GREATER_IS_BETTER[opts.metric];
  const baseline = metricValue(opts.metric, y, await predict(data, n));
  if (!Number.isFinite(baseline)) throw invalid(`${opts.metric} is undefined on this data (ROC AUC needs both classes among the labels); choose another metric`);
  const t = studentTQuantile(1 - (1 - opts.confidence) / 2, opts.repeats - 1);
  const importances: FeatureImportance[] = [];
  const shuffled = Float64Array.from(data);
  const order = new Uint32Array(n);
  for (let j = 0; j < m; j++) {
    const values: number[] = [];
    // All repeats of one feature in one model call.
    const batch = new Float64Array(opts.repeats * n * m);
    for (let r = 0; r < opts.repeats; r++) {
      for (let i = 0; i < n; i++) order[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const k = Math.floor(opts.random() * (i + 1));
        [order[i], order[k]] = [order[k]!, order[i]!];
      }
      for (let i = 0; i < n; i++) shuffled[i * m + j] = data[order[i]! * m + j]!;
      batch.set(shuffled, r * n * m);
    }
    for (let i = 0; i < n; i++) shuffled[i * m + j] = data[i * m + j]!;
    const out = await predict(batch, opts.repeats * n);
    for (let r = 0; r < opts.repeats; r++) {
      const score = metricValue(opts.metric, y, out.subarray(r * n, (r + 1) * n));
      values.push(greater ? baseline - score : score - baseline);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const sampleSd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    const half = (t * sampleSd) / Math.sqrt(values.length);
    importances.push({ feature: features[j]!, mean, std, ci: { lower: mean - half, upper: mean + half }, values });
  }
  return { metric: opts.metric, greaterIsBetter: greater, baseline, repeats: opts.repeats, confidence: opts.confidence, importances };
}
