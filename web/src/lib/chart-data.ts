/** Turning logged metrics into what the charts draw; pure functions so they are tested without a browser. */
export interface Point {
  readonly step: number;
  readonly timestamp: number;
  readonly value: number;
}

export type XAxis = 'step' | 'time' | 'relative';

export interface Series {
  readonly x: number[];
  readonly y: (number | null)[];
}

/**
 * x per point: the step, the wall-clock time in seconds (uPlot's time unit), or seconds since the first
 * point. Sorted by x (then time), since a client may log steps out of order.
 */
export function toSeries(points: readonly Point[], axis: XAxis): Series {
  const sorted = [...points].sort((a, b) => (axis === 'step' ? a.step - b.step || a.timestamp - b.timestamp : a.timestamp - b.timestamp || a.step - b.step));
  const t0 = sorted[0]?.timestamp ?? 0;
  const x = sorted.map((p) => (axis === 'step' ? p.step : axis === 'time' ? p.timestamp / 1000 : (p.timestamp - t0) / 1000));
  // Chart scales break on NaN and ±Infinity (stored as ±MAX_VALUE); they show as gaps instead.
  const y = sorted.map((p) => (Number.isFinite(p.value) && Math.abs(p.value) < Number.MAX_VALUE ? p.value : null));
  return { x, y };
}

/**
 * TensorBoard's smoothing: an exponential moving average with weight `w` in [0, 1), debiased so the first
 * points are not pulled towards zero: s_n = Σ w^(n-i)·y_i / Σ w^(n-i), over the finite points so far.
 */
export function smooth(y: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return [...y];
  let last = 0;
  let count = 0;
  return y.map((v) => {
    if (v === null) return null;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - weight ** count);
  });
}

/** A log axis cannot show zero or negative values; they become gaps rather than breaking the scale. */
export const forLogScale = (y: readonly (number | null)[]): (number | null)[] => y.map((v) => (v !== null && v > 0 ? v : null));

/**
 * uPlot draws several series over one shared x array: the sorted union of every series' x values, each
 * series holding null where it has no point. At a repeated x a series keeps its last value. A single series
 * is drawn as it is (its x is already sorted), which keeps 100,000-point histories cheap.
 */
export function alignSeries(series: readonly Series[]): [number[], ...(number | null)[][]] {
  if (series.length === 1) return [series[0]!.x, series[0]!.y];
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const out: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    s.x.forEach((x, i) => {
      out[index.get(x)!] = s.y[i] ?? null;
    });
    return out;
  });
  return [xs, ...ys];
}

/**
 * One parallel-coordinates axis: numbers scale linearly between their min and max; anything non-numeric
 * (or a mix) is categorical, its distinct values spaced evenly in sorted order. Missing stays missing.
 */
export interface Axis {
  readonly kind: 'numeric' | 'categorical';
  readonly position: (number | null)[];
  readonly ticks: { label: string; at: number }[];
}

export function scaleAxis(values: readonly (string | number | undefined)[]): Axis {
  const present = values.filter((v): v is string | number => v !== undefined && v !== '');
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number' || (v.trim() !== '' && Number.isFinite(Number(v))));
  if (numeric) {
    const nums = values.map((v) => (v === undefined || v === '' ? null : Number(v)));
    const finite = nums.filter((n): n is number => n !== null);
    const min = Math.min(...finite);
    const max = Math.max(...finite);
    const span = max - min;
    return {
      kind: 'numeric',
      position: nums.map((n) => (n === null ? null : span === 0 ? 0.5 : (n - min) / span)),
      ticks: span === 0 ? [{ label: formatNumber(min), at: 0.5 }] : [{ label: formatNumber(min), at: 0 }, { label: formatNumber(max), at: 1 }],
    };
  }
  const categories = [...new Set(present.map(String))].sort();
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  const where = new Map(categories.map((c, i) => [c, at(i)]));
  return {
    kind: 'categorical',
    position: values.map((v) => (v === undefined || v === '' ? null : where.get(String(v))!)),
    ticks: categories.map((label, i) => ({ label, at: at(i) })),
  };
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

/** Rows of a comparison table: one per key, the value in each run, and whether the runs disagree. */
export interface DiffRow {
  readonly key: string;
  readonly values: (string | undefined)[];
  readonly differs: boolean;
}

export function diffRows(perRun: readonly ReadonlyMap<string, string>[]): DiffRow[] {
  const keys = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort();
  return keys.map((key) => {
    const values = perRun.map((m) => m.get(key));
    return { key, values, differs: new Set(values).size > 1 };
  });
}

/**
 * The series that have exactly one drawable point. uPlot joins points with lines, so a metric logged once (or at
 * one step) would leave an empty chart: these series get a visible marker and their value written out.
 */
export function lonePoints(data: readonly [number[], ...(number | null)[][]], labels: readonly string[]): { series: number; label: string; x: number; y: number }[] {
  const [xs, ...ys] = data;
  const out: { series: number; label: string; x: number; y: number }[] = [];
  ys.forEach((y, s) => {
    let at = -1;
    for (let i = 0; i < y.length; i++) {
      if (y[i] === null || y[i] === undefined) continue;
      if (at !== -1) return;
      at = i;
    }
    if (at !== -1) out.push({ series: s, label: labels[s] ?? '', x: xs[at]!, y: y[at]! });
  });
  return out;
}

/** A scale over equal values has no width to draw in; widen it around the value (by 1, or 10 % of the value). */
export function paddedRange(min: number, max: number): [number, number] {
  if (min !== max) return [min, max];
  const pad = Math.abs(min) * 0.1 || 1;
  return [min - pad, max + pad];
}

/**
 * Runs of one group drawn as one line and a band: at each x of the aligned data, the mean, min and max over the
 * member series that have a value there (members' own x values differ; a member adds nothing where it has none).
 */
export function groupEnvelope(ys: readonly (readonly (number | null)[])[], length: number): { mean: (number | null)[]; min: (number | null)[]; max: (number | null)[] } {
  const mean: (number | null)[] = new Array<number | null>(length).fill(null);
  const min = [...mean];
  const max = [...mean];
  for (let i = 0; i < length; i++) {
    let n = 0;
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of ys) {
      const v = y[i];
      if (v === null || v === undefined) continue;
      n++;
      sum += v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (n > 0) {
      mean[i] = sum / n;
      min[i] = lo;
      max[i] = hi;
    }
  }
  return { mean, min, max };
}
