/** The regression metric set: overall and per slice, with bootstrap intervals on every metric. */
import { BOOTSTRAP_METHOD, bootstrapSamples, intervals, StatLayout, type BootstrapOptions } from './bootstrap.js';
import type { GroupSetup } from './fairness.evaluate.js';
import { gather, rowsByGroup, type View } from './groups.js';
import { meanMetrics, orderStatistics, regressionSums, type MeanMetrics, type RegressionSums } from './regression.metrics.js';
import type { Estimate, EvaluationResult, Interval, Metrics } from './types.js';

export interface RegressionInput {
  readonly y: Float64Array;
  readonly prediction: Float64Array;
  readonly groups: GroupSetup;
  readonly bootstrap: BootstrapOptions;
  readonly notes: readonly string[];
}

const MEAN_METRICS: Record<keyof MeanMetrics, string> = {
  mae: 'mean_absolute_error',
  mse: 'mean_squared_error',
  rmse: 'root_mean_squared_error',
  r2: 'r2_score',
  mape: 'mean_absolute_percentage_error',
  explainedVariance: 'explained_variance_score',
};

const ORDER_METRICS = ['median_absolute_error', 'max_error', 'sum_on_target', 'mean_on_target'] as const;
const MEAN_COUNT = Object.keys(MEAN_METRICS).length;

const REASONS: Record<string, string> = {
  r2_score: 'y_true is constant, so SS_tot is 0 (scikit-learn reports 1.0 for a perfect prediction and 0.0 otherwise)',
  explained_variance_score: 'y_true is constant, so its variance is 0 (scikit-learn reports 1.0 for a perfect prediction and 0.0 otherwise)',
};

function pointValues(y: Float64Array, prediction: Float64Array, centre: number, order = orderStatistics(y, prediction)): Record<string, number> {
  const means = meanMetrics(regressionSums(y, prediction, centre));
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i]!;
  return {
    example_count: y.length,
    ...Object.fromEntries(Object.entries(MEAN_METRICS).map(([key, name]) => [name, means[key as keyof MeanMetrics]])),
    median_absolute_error: order.medianAbsoluteError,
    max_error: order.maxError,
    sum_on_target: sum,
    mean_on_target: y.length ? sum / y.length : NaN,
  };
}

const SUM_FIELDS = ['weight', 'absError', 'squaredError', 'percentageError', 'centred', 'centredSquares', 'residual', 'residualSquares'] as const;

/** Per-combo regression sums of one resample: eight numbers per combo. */
function comboSums(y: Float64Array, prediction: Float64Array, comboOf: Int32Array, combos: number, centre: number, w: Int32Array): Float64Array {
  const out = new Float64Array(combos * 8);
  for (let i = 0; i < y.length; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    const at = comboOf[i]! * 8;
    const yi = y[i]!;
    const r = yi - prediction[i]!;
    const a = Math.abs(r);
    const c = yi - centre;
    out[at]! += wi;
    out[at + 1]! += wi * a;
    out[at + 2]! += wi * r * r;
    out[at + 3]! += (wi * a) / Math.max(Math.abs(yi), 2.220446049250313e-16);
    out[at + 4]! += wi * c;
    out[at + 5]! += wi * c * c;
    out[at + 6]! += wi * r;
    out[at + 7]! += wi * r * r;
  }
  return out;
}

function sumsOf(sums: Float64Array, combos: readonly number[]): RegressionSums {
  const acc = new Float64Array(8);
  for (const combo of combos) for (let j = 0; j < 8; j++) acc[j]! += sums[combo * 8 + j]!;
  return Object.fromEntries(SUM_FIELDS.map((f, j) => [f, acc[j]!])) as unknown as RegressionSums;
}

/** A group's rows by ascending |y − ŷ|, for the order statistics of a resample. */
function byAbsoluteError(y: Float64Array, prediction: Float64Array, rows: Int32Array): { rows: Int32Array; absError: Float64Array } {
  const abs = Float64Array.from(rows, (r) => Math.abs(y[r]! - prediction[r]!));
  const order = Array.from(rows.keys()).sort((a, b) => abs[a]! - abs[b]!);
  return { rows: Int32Array.from(order, (i) => rows[i]!), absError: Float64Array.from(order, (i) => abs[i]!) };
}

/**
 * Median absolute error, max error and the target's sum and mean of one resample: the median as NumPy
 * takes it from the resampled rows (each row repeated by its weight), walking the cumulative weights.
 */
function orderMetrics(y: Float64Array, sorted: { rows: Int32Array; absError: Float64Array }, w: Int32Array): Record<string, number> {
  let total = 0;
  let sum = 0;
  let max = NaN;
  for (let i = 0; i < sorted.rows.length; i++) {
    const wi = w[sorted.rows[i]!]!;
    if (wi === 0) continue;
    total += wi;
    sum += wi * y[sorted.rows[i]!]!;
    max = sorted.absError[i]!;
  }
  if (total === 0) return { median_absolute_error: NaN, max_error: NaN, sum_on_target: 0, mean_on_target: NaN };
  const at = (total - 1) / 2;
  const lo = Math.floor(at);
  let seen = 0;
  let low = NaN;
  let high = NaN;
  for (let i = 0; i < sorted.rows.length && Number.isNaN(high); i++) {
    const wi = w[sorted.rows[i]!]!;
    if (wi === 0) continue;
    seen += wi;
    if (Number.isNaN(low) && seen > lo) low = sorted.absError[i]!;
    if (seen > lo + 1 || (seen > lo && at === lo)) high = sorted.absError[i]!;
  }
  if (Number.isNaN(high)) high = low;
  return { median_absolute_error: low + (at - lo) * (high - low), max_error: max, sum_on_target: sum, mean_on_target: sum / total };
}

const combosOfGroups = (view: View) => view.groups.map((_, g) => [...view.groupOfCombo.keys()].filter((c) => view.groupOfCombo[c] === g));

const estimate = (value: number, name: string, ci?: Interval): Estimate =>
  Number.isNaN(value) ? { value: null, reason: REASONS[name] ?? 'there are no rows' } : ci ? { value, ci } : { value };

const toMetrics = (values: Record<string, number>, ciOf: (name: string) => Interval | undefined, prefix = ''): Metrics =>
  Object.fromEntries(Object.entries(values).map(([name, v]) => [name, estimate(v, name, ciOf(prefix + name))]));

export function evaluateRegression(input: RegressionInput): EvaluationResult {
  const { y, prediction, groups } = input;
  const n = y.length;
  let centre = 0;
  for (let i = 0; i < n; i++) centre += y[i]! / n;
  const order = orderStatistics(y, prediction);
  const values = pointValues(y, prediction, centre, order);
  const layout = new StatLayout();
  const combos = groups.combos.values.length;
  const allCombos = [...Array(combos).keys()];
  const sliceCombos = groups.slices.map(combosOfGroups);
  // Every reported metric but the row count gets an interval, overall and per slice group.
  const names = [...Object.values(MEAN_METRICS), ...ORDER_METRICS];
  const overallSlots = names.map((m) => layout.add(m));
  const sliceSlots = groups.slices.map((view) => view.groups.map((g) => names.map((m) => layout.add(`slice:${view.name}:${g.label}:${m}`))));
  const bootstrapping = input.bootstrap.resamples > 0 && n > 0;
  const allSorted = bootstrapping ? byAbsoluteError(y, prediction, Int32Array.from({ length: n }, (_, i) => i)) : undefined;
  const sliceSorted = bootstrapping ? groups.slices.map((view) => rowsByGroup(view, groups.combos).map((rows) => byAbsoluteError(y, prediction, rows))) : [];
  const samples = bootstrapping
    ? bootstrapSamples(n, layout.width, input.bootstrap, (w, out) => {
      const sums = comboSums(y, prediction, groups.combos.ofRow, combos, centre, w);
      const write = (m: MeanMetrics, order: Record<string, number>, slots: readonly number[]) => {
        Object.keys(MEAN_METRICS).forEach((key, j) => (out[slots[j]!] = m[key as keyof MeanMetrics]));
        ORDER_METRICS.forEach((name, j) => (out[slots[MEAN_COUNT + j]!] = order[name]!));
      };
      write(meanMetrics(sumsOf(sums, allCombos)), orderMetrics(y, allSorted!, w), overallSlots);
      sliceCombos.forEach((groupsOfView, v) => groupsOfView.forEach((cs, g) => write(meanMetrics(sumsOf(sums, cs)), orderMetrics(y, sliceSorted[v]![g]!, w), sliceSlots[v]![g]!)));
    })
    : undefined;
  const ciOf = intervals(layout, samples, input.bootstrap.confidence);
  const slices = groups.slices.map((view) => {
    const rows = rowsByGroup(view, groups.combos);
    return {
      columns: view.columns,
      groups: view.groups.map((g, gi) => ({
        key: g.key, label: g.label, count: rows[gi]!.length,
        metrics: toMetrics(pointValues(gather(y, rows[gi]!), gather(prediction, rows[gi]!), centre), ciOf, `slice:${view.name}:${g.label}:`),
      })),
    };
  });
  return {
    task: 'regression',
    rows: n,
    metrics: toMetrics(values, ciOf),
    residualQuantiles: order.residualQuantiles,
    slices,
    ...(samples ? { bootstrap: { ...input.bootstrap, method: BOOTSTRAP_METHOD } } : {}),
    notes: [...input.notes, 'Residuals are y_true − y_pred; MAPE is a fraction (scikit-learn), not a percentage.'],
  };
}
