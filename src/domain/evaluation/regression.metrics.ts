/**
 * Regression metrics with scikit-learn's definitions:
 * - MAE, MSE, RMSE = √MSE, max error, median absolute error (unweighted, `median_absolute_error`);
 * - R² = 1 − SS_res / SS_tot. With a constant y_true SS_tot is 0: undefined here, where scikit-learn's
 *   `force_finite` reports 1.0 for a perfect prediction and 0.0 otherwise;
 * - explained variance = 1 − Var(y − ŷ) / Var(y), undefined on the same condition;
 * - MAPE = mean |y − ŷ| / max(|y|, ε), ε the float64 machine epsilon: a fraction, not a percentage;
 * - residual quantiles of y − ŷ with NumPy's default linear interpolation.
 */
import type { Weights } from './classification.metrics.js';

const EPS = 2.220446049250313e-16;
const weightAt = (w: Weights, i: number) => (w === undefined ? 1 : w[i]!);

export interface RegressionSums {
  readonly weight: number;
  readonly absError: number;
  readonly squaredError: number;
  readonly percentageError: number;
  /** Σ w·(y − c) and Σ w·(y − c)² around a fixed centre c, for SS_tot without cancellation. */
  readonly centred: number;
  readonly centredSquares: number;
  readonly residual: number;
  readonly residualSquares: number;
}

/** The weighted sums every mean-based metric needs; the bootstrap calls this once per resample. */
export function regressionSums(y: ArrayLike<number>, prediction: ArrayLike<number>, centre: number, w?: Weights): RegressionSums {
  let weight = 0;
  let absError = 0;
  let squaredError = 0;
  let percentageError = 0;
  let centred = 0;
  let centredSquares = 0;
  let residual = 0;
  let residualSquares = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = weightAt(w, i);
    if (wi === 0) continue;
    const yi = y[i]!;
    const r = yi - prediction[i]!;
    const a = Math.abs(r);
    const c = yi - centre;
    weight += wi;
    absError += wi * a;
    squaredError += wi * r * r;
    percentageError += (wi * a) / Math.max(Math.abs(yi), EPS);
    centred += wi * c;
    centredSquares += wi * c * c;
    residual += wi * r;
    residualSquares += wi * r * r;
  }
  return { weight, absError, squaredError, percentageError, centred, centredSquares, residual, residualSquares };
}

export interface MeanMetrics {
  readonly mae: number;
  readonly mse: number;
  readonly rmse: number;
  readonly r2: number;
  readonly mape: number;
  readonly explainedVariance: number;
}

export function meanMetrics(s: RegressionSums): MeanMetrics {
  const W = s.weight;
  if (W === 0) return { mae: NaN, mse: NaN, rmse: NaN, r2: NaN, mape: NaN, explainedVariance: NaN };
  const ssTot = s.centredSquares - (s.centred * s.centred) / W;
  const varResidual = s.residualSquares / W - (s.residual / W) ** 2;
  // Relative to the data's own scale, so rounding noise in the centred sums does not pass for variance.
  const constant = ssTot <= 1e-12 * Math.max(s.centredSquares, Number.MIN_VALUE);
  return {
    mae: s.absError / W,
    mse: s.squaredError / W,
    rmse: Math.sqrt(s.squaredError / W),
    r2: constant ? NaN : 1 - s.squaredError / ssTot,
    mape: s.percentageError / W,
    explainedVariance: constant ? NaN : 1 - varResidual / (ssTot / W),
  };
}

/** NumPy's `quantile` with linear interpolation, on already sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (at - lo) * (sorted[hi]! - sorted[lo]!);
}

export const RESIDUAL_QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1] as const;

/** Median absolute error, max error and the residual quantiles: the order statistics, computed once. */
export function orderStatistics(y: ArrayLike<number>, prediction: ArrayLike<number>) {
  const n = y.length;
  const residuals = new Float64Array(n);
  const absolute = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    residuals[i] = y[i]! - prediction[i]!;
    absolute[i] = Math.abs(residuals[i]!);
  }
  residuals.sort();
  absolute.sort();
  return {
    medianAbsoluteError: quantileSorted(absolute, 0.5),
    maxError: n > 0 ? absolute[n - 1]! : NaN,
    residualQuantiles: Object.fromEntries(RESIDUAL_QUANTILES.map((q) => [String(q), quantileSorted(residuals, q)])),
  };
}
