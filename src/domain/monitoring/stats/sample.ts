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
    // The common case first, branch-free: x·0 is 0 for every finite x and NaN otherwise.
    let min = Infinity;
    let max = -Infinity;
    let notFinite = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      notFinite += v * 0;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
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
    // One past the last edge is +Infinity, so the check against the next edge needs no bounds test.
    const e = new Float64Array(bins + 2);
    e.set(edges);
    e[bins + 1] = Infinity;
    const norm = bins / (hi - lo);
    const last = bins - 1;
    // Four interleaved tallies: neighbouring values often fall in one bin, and one tally would make each
    // increment wait for the one before it.
    const stride = bins + 1;
    const tallies = new Int32Array(stride * 4);
    const v = this.values;
    const n = v.length;
    for (let i = 0; i < n; i++) {
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
        tallies[(i & 3) * stride + k]!++;
      }
    }
    const counts = new Float64Array(bins);
    for (let k = 0; k < bins; k++) counts[k] = tallies[k]! + tallies[stride + k]! + tallies[2 * stride + k]! + tallies[3 * stride + k]!;
    return counts;
  }
}
