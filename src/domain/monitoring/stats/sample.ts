/**
 * One side of a numeric column as the drift tests read it: finite values with their range, and whatever a
 * test asks for computed on first use and kept. The rank tests (Wasserstein, Anderson–Darling,
 * Cramér–von Mises) ask for the sorted values; KS and the binned measures (Jensen–Shannon, PSI, KL,
 * Hellinger) need no sort at all when the values are not sorted yet: the histogram is one pass and the KS
 * statistic sorts only the few buckets where the largest ECDF gap can be. A reference kept across windows
 * keeps its sorted values, so later windows reuse them.
 */
import { histogramSorted } from './binning.js';
import { meanAndStd } from './distances.js';
import { sortFloat64 } from './sort.js';

/** Whether each edge lies within a tenth of a bin of lo + k·(hi − lo)/bins: a position in the range then names its bin or a neighbour. */
function equalWidth(edges: readonly number[]): boolean {
  const bins = edges.length - 1;
  const lo = edges[0]!;
  const width = (edges[bins]! - lo) / bins;
  for (let k = 1; k < bins; k++) if (!(Math.abs(edges[k]! - (lo + k * width)) <= 0.1 * width)) return false;
  return true;
}

export class NumericSample {
  private sortedValues: Float64Array | undefined;
  private momentsValue: { mean: number; std: number } | undefined;
  private distinctValue: number | undefined;

  private constructor(
    /** Finite values, in input order until sorted; then the sorted array (the unsorted one is let go). */
    private values: Float64Array,
    readonly min: number,
    readonly max: number,
    sorted: boolean,
  ) {
    if (sorted) this.sortedValues = values;
  }

  /** Finite values only (the caller filtered them). */
  static of(finite: Float64Array): NumericSample {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < finite.length; i++) {
      min = Math.min(min, finite[i]!);
      max = Math.max(max, finite[i]!);
    }
    return new NumericSample(finite, min, max, false);
  }

  /** Already ascending and finite. */
  static ofSorted(sorted: Float64Array): NumericSample {
    return new NumericSample(sorted, sorted[0] ?? Infinity, sorted[sorted.length - 1] ?? -Infinity, true);
  }

  /**
   * A column's values with missing (NaN) and infinite values set apart and counted, in one pass; the
   * values are copied only when some are left out.
   */
  static fromValues(values: Float64Array): { sample: NumericSample; missing: number; nonFinite: number } {
    // The common case first, branch-free: x·0 is 0 for every finite x and NaN otherwise. Two values per
    // step with their own accumulators, so neither chain waits on the other.
    let min = Infinity;
    let max = -Infinity;
    let notFinite = 0;
    let min2 = Infinity;
    let max2 = -Infinity;
    let notFinite2 = 0;
    const n = values.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const v = values[i]!;
      const w = values[i + 1]!;
      notFinite += v * 0;
      notFinite2 += w * 0;
      min = Math.min(min, v);
      max = Math.max(max, v);
      min2 = Math.min(min2, w);
      max2 = Math.max(max2, w);
    }
    if (i < n) {
      const v = values[i]!;
      notFinite += v * 0;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    notFinite += notFinite2;
    min = Math.min(min, min2);
    max = Math.max(max, max2);
    if (notFinite === 0) return { sample: new NumericSample(values, min, max, false), missing: 0, nonFinite: 0 };
    let finite = 0;
    let missing = 0;
    min = Infinity;
    max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v === 0) {
        finite++;
        min = Math.min(min, v);
        max = Math.max(max, v);
      } else if (v !== v) missing++;
    }
    const kept = new Float64Array(finite);
    let k = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v - v === 0) kept[k++] = v;
    }
    return { sample: new NumericSample(kept, min, max, false), missing, nonFinite: values.length - finite - missing };
  }

  get length(): number {
    return this.values.length;
  }

  get isSorted(): boolean {
    return this.sortedValues !== undefined;
  }

  /** The values in input order (sorted once `sorted()` has been asked for, when that is cheaper to read). */
  get raw(): Float64Array {
    return this.sortedValues ?? this.values;
  }

  sorted(): Float64Array {
    if (!this.sortedValues) {
      this.sortedValues = sortFloat64(this.values);
      // A sample kept with a cached reference holds one copy of its values, not two.
      this.values = this.sortedValues;
    }
    return this.sortedValues;
  }

  /** Mean and population standard deviation, over the sorted values as NumPy-compatible compensated sums. */
  moments(): { mean: number; std: number } {
    return (this.momentsValue ??= meanAndStd(this.sorted()));
  }

  distinct(): number {
    if (this.distinctValue === undefined) {
      const a = this.sorted();
      let d = a.length > 0 ? 1 : 0;
      for (let i = 1; i < a.length; i++) if (a[i] !== a[i - 1]) d++;
      this.distinctValue = d;
    }
    return this.distinctValue;
  }

  /** Whether there are more than `k` distinct values; without a sort when the answer is yes early on. */
  hasMoreDistinctThan(k: number): boolean {
    if (this.distinctValue !== undefined || this.sortedValues) return this.distinct() > k;
    const seen = new Float64Array(k + 1);
    let count = 0;
    const v = this.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      let j = 0;
      while (j < count && seen[j] !== x) j++;
      if (j < count) continue;
      if (count === k) return true;
      seen[count++] = x;
    }
    return false;
  }

  /** Counts per value, keyed by the value's string form, in ascending order of value. */
  valueCounts(): Map<string, number> {
    const sorted = this.sorted();
    const m = new Map<string, number>();
    let i = 0;
    while (i < sorted.length) {
      const x = sorted[i]!;
      let j = i;
      while (j < sorted.length && sorted[j] === x) j++;
      m.set(String(x), j - i);
      i = j;
    }
    return m;
  }

  /**
   * Counts in equal-width bins [eₖ, eₖ₊₁) with the last bin closed, exactly as `np.histogram` assigns them:
   * by binary search over sorted values, or in one pass over unsorted ones (the bin from the position in
   * the range, then checked against the edges themselves, as NumPy does).
   */
  histogram(edges: readonly number[]): Float64Array {
    if (this.sortedValues) return histogramSorted(this.sortedValues, edges);
    const bins = edges.length - 1;
    const lo = edges[0]!;
    const hi = edges[bins]!;
    if (this.length > 0 && lo <= this.min && this.max <= hi && hi > lo && equalWidth(edges)) return this.histogramInRange(edges);
    // One past the last edge is +Infinity, so the check against the next edge needs no bounds test.
    const e = new Float64Array(bins + 2);
    e.set(edges);
    e[bins + 1] = Infinity;
    const norm = bins / (hi - lo);
    const last = bins - 1;
    const counts = new Float64Array(bins);
    const v = this.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x >= lo && x <= hi) {
        let k = ((x - lo) * norm) | 0;
        if (k > last) k = last;
        if (x < e[k]!) {
          do k--;
          while (k > 0 && x < e[k]!);
        } else if (x >= e[k + 1]! && k < last) {
          do k++;
          while (k < last && x >= e[k + 1]!);
        }
        counts[k]!++;
      }
    }
    return counts;
  }

  /**
   * The histogram when every value lies within equal-width edges (the binned tests' edges span both samples):
   * NumPy's own rule, a bin from the position in the range corrected by one step against the edges
   * themselves. The correction is only looked at when the position is within `eps` of a bin boundary: further
   * in, no rounding of the position or of the edges can move the value across one (`eps` bounds both, in bin
   * widths). The edge past the last is +Infinity, so a value equal to the top edge stays in the last (closed)
   * bin. Four values per step, each with its own tally, so an increment never waits for the one before it.
   */
  private histogramInRange(edges: readonly number[]): Float64Array {
    const bins = edges.length - 1;
    const lo = edges[0]!;
    const hi = edges[bins]!;
    const norm = bins / (hi - lo);
    const e = new Float64Array(bins + 2);
    e.set(edges);
    e[bins] = Infinity;
    e[bins + 1] = Infinity;
    // Rounding of x − lo, of the product and of each edge (lo + k·step), in bin widths, with a wide margin;
    // a position this close to a boundary is checked against the edges. Near-equal wide-magnitude data
    // (a range tiny next to |lo|) checks every value.
    const eps = Math.min(0.5, 1e-9 + 64 * Number.EPSILON * (Math.max(Math.abs(lo), Math.abs(hi)) * norm + bins));
    const top = 1 - eps;
    const tallies = new Int32Array(bins * 4 + 1);
    const t1 = bins;
    const t2 = 2 * bins;
    const t3 = 3 * bins;
    const v = this.values;
    const n = v.length;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      const x = v[i]!;
      const y = v[i + 1]!;
      const z = v[i + 2]!;
      const w = v[i + 3]!;
      const fx = (x - lo) * norm;
      const fy = (y - lo) * norm;
      const fz = (z - lo) * norm;
      const fw = (w - lo) * norm;
      let a = fx | 0;
      let b = fy | 0;
      let c = fz | 0;
      let d = fw | 0;
      const rx = fx - a;
      const ry = fy - b;
      const rz = fz - c;
      const rw = fw - d;
      if (rx < eps || rx > top) {
        if (x < e[a]!) a--;
        else if (x >= e[a + 1]!) a++;
      }
      if (ry < eps || ry > top) {
        if (y < e[b]!) b--;
        else if (y >= e[b + 1]!) b++;
      }
      if (rz < eps || rz > top) {
        if (z < e[c]!) c--;
        else if (z >= e[c + 1]!) c++;
      }
      if (rw < eps || rw > top) {
        if (w < e[d]!) d--;
        else if (w >= e[d + 1]!) d++;
      }
      tallies[a]!++;
      tallies[t1 + b]!++;
      tallies[t2 + c]!++;
      tallies[t3 + d]!++;
    }
    for (; i < n; i++) {
      const x = v[i]!;
      let a = ((x - lo) * norm) | 0;
      if (x < e[a]!) a--;
      else if (x >= e[a + 1]!) a++;
      tallies[a]!++;
    }
    const counts = new Float64Array(bins);
    for (let k = 0; k < bins; k++) counts[k] = tallies[k]! + tallies[t1 + k]! + tallies[t2 + k]! + tallies[t3 + k]!;
    return counts;
  }
}
