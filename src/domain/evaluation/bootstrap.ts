/**
 * Seeded nonparametric bootstrap. A resample is a vector of multinomial counts (n draws with replacement
 * from n rows), handed to the statistics as weights: the data is sorted and prepared once and each
 * resample is one weighted pass, instead of materialising n rows per resample. Intervals are percentile
 * intervals with NumPy's linear interpolation; resamples in which a statistic is undefined are left out
 * of its interval, and the interval says how many remained.
 */
import type { Interval } from './types.js';

const U32 = 2.3283064365386963e-10; // 2^-32

/** xoshiro128** seeded through splitmix32: fast, 32-bit, and the same sequence on every platform. */
export function createRng(seed: number): () => number {
  // State in a typed array: 32-bit values above 2^31 held in plain variables would be boxed doubles, ~5× slower.
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = z ^ (z >>> 16);
  }
  return () => {
    const b = s[1]!;
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = b << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= b;
    s[1] = b ^ s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    const d = s[3]!;
    s[3] = (d << 11) | (d >>> 21);
    return (result >>> 0) * U32;
  };
}

/** n draws with replacement from n rows, as counts per row. */
export function fillMultinomial(counts: Int32Array, random: () => number): void {
  const n = counts.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[(random() * n) | 0]!++;
}

/** NumPy's `percentile` (linear) of the finite values; undefined when none are. */
export function percentileInterval(samples: ArrayLike<number>, confidence: number): Interval | undefined {
  const finite: number[] = [];
  for (let i = 0; i < samples.length; i++) if (Number.isFinite(samples[i]!)) finite.push(samples[i]!);
  if (finite.length === 0) return undefined;
  const sorted = Float64Array.from(finite).sort();
  const at = (q: number) => {
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
  };
  const alpha = (1 - confidence) / 2;
  return { lower: at(alpha), upper: at(1 - alpha), resamples: sorted.length };
}

export interface BootstrapOptions {
  readonly resamples: number;
  readonly seed: number;
  readonly confidence: number;
}

export const BOOTSTRAP_METHOD = 'percentile interval over multinomial resamples of the rows (queries for ranking), seeded xoshiro128**';

/**
 * Runs `statistic` once per resample with that resample's counts as weights; it writes its values into
 * `out` (NaN for undefined). Returns one column of samples per value.
 */
export function bootstrapSamples(
  units: number,
  width: number,
  options: BootstrapOptions,
  statistic: (weights: Int32Array, out: Float64Array) => void,
): Float64Array[] {
  const random = createRng(options.seed);
  const weights = new Int32Array(units);
  const out = new Float64Array(width);
  const columns = Array.from({ length: width }, () => new Float64Array(options.resamples));
  for (let r = 0; r < options.resamples; r++) {
    fillMultinomial(weights, random);
    out.fill(NaN);
    statistic(weights, out);
    for (let j = 0; j < width; j++) columns[j]![r] = out[j]!;
  }
  return columns;
}

/** Share of resamples on the other side of zero, doubled: the two-sided bootstrap p-value of "no difference". */
export function bootstrapPValue(samples: ArrayLike<number>): number | null {
  let below = 0;
  let above = 0;
  let m = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (!Number.isFinite(v)) continue;
    m++;
    if (v <= 0) below++;
    if (v >= 0) above++;
  }
  if (m === 0) return null;
  return Math.min(1, (2 * Math.min(below, above)) / m);
}

/** Names the values a statistic writes per resample, so each can be looked up by name afterwards. */
export class StatLayout {
  private readonly index = new Map<string, number>();
  add(name: string): number {
    let at = this.index.get(name);
    if (at === undefined) {
      at = this.index.size;
      this.index.set(name, at);
    }
    return at;
  }
  get width(): number {
    return this.index.size;
  }
  at(name: string): number | undefined {
    return this.index.get(name);
  }
}

/** The interval of each named statistic, from the samples `bootstrapSamples` returned. */
export function intervals(layout: StatLayout, samples: readonly Float64Array[] | undefined, confidence: number) {
  return (name: string): Interval | undefined => {
    const at = layout.at(name);
    return samples && at !== undefined ? percentileInterval(samples[at]!, confidence) : undefined;
  };
}
