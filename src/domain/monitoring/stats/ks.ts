/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, with SciPy's `ks_2samp(method="auto")` p-values:
 * exact lattice-path counts when both samples have at most 10,000 values, otherwise the one-sample
 * distribution `kstwo` at n = round(n₁n₂/(n₁+n₂)).
 */
import { kolmogorovSf } from './kolmogorov.js';
import type { NumericSample } from './sample.js';
import { sortFloat64 } from './sort.js';

export interface KsResult {
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
}

const MAX_EXACT_N = 10_000;

/** sup |F₁ − F₂| from two ascending samples, by one merge (ties advance both sides together). */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 && j < n2) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    const diff = Math.abs(i / n1 - j / n2);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * The same statistic from unsorted samples without sorting them: both are counted into equal-width
 * buckets over their common range. Bucket boundaries are points of the merge (every value below a boundary
 * is below every value above it, in both samples), so the ECDF gap there is exact and a lower bound of the
 * statistic; inside a bucket the gap cannot exceed the larger of its two extreme combinations. Only the
 * buckets whose bound beats the best boundary gap are sorted and merged, usually a handful. The result is
 * bit for bit `ksStatistic` of the sorted samples: the same gaps, computed with the same expression.
 */
export function ksStatisticUnsorted(a: Float64Array, b: Float64Array, min: number, max: number): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0 || !(max > min)) return ksStatistic(sortFloat64(a), sortFloat64(b));
  const buckets = Math.max(16, Math.min(1 << 16, (n1 + n2) >>> 6));
  const scale = buckets / (max - min);
  const last = buckets - 1;
  // below[k]: values in buckets < k, per sample (after the prefix sums).
  const belowA = new Int32Array(buckets + 1);
  const belowB = new Int32Array(buckets + 1);
  for (let i = 0; i < n1; i++) belowA[Math.min(last, ((a[i]! - min) * scale) | 0) + 1]!++;
  for (let j = 0; j < n2; j++) belowB[Math.min(last, ((b[j]! - min) * scale) | 0) + 1]!++;
  let d = 0;
  for (let k = 1; k <= buckets; k++) {
    belowA[k]! += belowA[k - 1]!;
    belowB[k]! += belowB[k - 1]!;
    const gap = Math.abs(belowA[k]! / n1 - belowB[k]! / n2);
    if (gap > d) d = gap;
  }
  const candidate = new Uint8Array(buckets);
  let gathered = 0;
  for (let k = 0; k < buckets; k++) {
    const bound = Math.max(Math.abs(belowA[k + 1]! / n1 - belowB[k]! / n2), Math.abs(belowA[k]! / n1 - belowB[k + 1]! / n2));
    if (bound > d) {
      candidate[k] = 1;
      gathered += belowA[k + 1]! - belowA[k]! + belowB[k + 1]! - belowB[k]!;
    }
  }
  if (gathered === 0) return d;
  // Too many candidates (samples that barely differ anywhere): sorting everything is as cheap.
  if (gathered > (n1 + n2) / 4) return ksStatistic(sortFloat64(a), sortFloat64(b));
  const gather = (x: Float64Array, below: Int32Array): { values: Float64Array; at: Int32Array } => {
    const at = new Int32Array(buckets + 1);
    for (let k = 0; k < buckets; k++) at[k + 1] = at[k]! + (candidate[k] ? below[k + 1]! - below[k]! : 0);
    const values = new Float64Array(at[buckets]!);
    const next = at.slice(0, buckets);
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const k = Math.min(last, ((v - min) * scale) | 0);
      if (candidate[k]) values[next[k]!++] = v;
    }
    return { values, at };
  };
  const ga = gather(a, belowA);
  const gb = gather(b, belowB);
  for (let k = 0; k < buckets; k++) {
    if (!candidate[k]) continue;
    const pa = ga.values.subarray(ga.at[k]!, ga.at[k + 1]!).sort();
    const pb = gb.values.subarray(gb.at[k]!, gb.at[k + 1]!).sort();
    let i = belowA[k]!;
    let j = belowB[k]!;
    let p = 0;
    let q = 0;
    while (p < pa.length || q < pb.length) {
      const x = Math.min(p < pa.length ? pa[p]! : Infinity, q < pb.length ? pb[q]! : Infinity);
      while (p < pa.length && pa[p]! <= x) {
        p++;
        i++;
      }
      while (q < pb.length && pb[q]! <= x) {
        q++;
        j++;
      }
      const gap = Math.abs(i / n1 - j / n2);
      if (gap > d) d = gap;
    }
  }
  return d;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** P(D ≥ h/n) for equal sample sizes: alternating sum over reflections, in Horner form to avoid cancellation. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * Share of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm, counted with the
 * recursion for 1 − p of Viehmann (2021), arXiv:2102.08037, which stays within [0, 1] throughout.
 */
function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] ?? 1) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, curlen, curlen + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** Both samples must be sorted ascending, non-empty and free of NaN. */
export const ks2Samp = (a: Float64Array, b: Float64Array): KsResult => ksResult(a.length, b.length, ksStatistic(a, b));

/** KS of two samples, sorted or not: the merge when both are sorted already, the bucketed statistic otherwise. */
export function ks2SampSamples(a: NumericSample, b: NumericSample): KsResult {
  const d = a.isSorted && b.isSorted ? ksStatistic(a.sorted(), b.sorted()) : ksStatisticUnsorted(a.raw, b.raw, Math.min(a.min, b.min), Math.max(a.max, b.max));
  return ksResult(a.length, b.length, d);
}

function ksResult(n1: number, n2: number, statistic: number): KsResult {
  let d = statistic;
  if (Math.max(n1, n2) <= MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    d = h / lcm;
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: 'exact' };
  }
  const en = (n1 * n2) / (n1 + n2);
  return { statistic: d, pValue: Math.min(1, Math.max(0, kolmogorovSf(Math.round(en), d))), method: 'asymptotic' };
}
