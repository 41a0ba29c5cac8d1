/**
 * How Evidently turns two samples into two proportion vectors for the binned measures (Jensen–Shannon,
 * PSI, KL, Hellinger): a numeric column whose reference has more than 20 distinct values is cut into
 * equal-width bins by Sturges' rule over both samples together (NumPy's `histogram_bin_edges(..., 'sturges')`);
 * anything else is counted per distinct value over the values seen in either sample.
 */

export interface Binned {
  readonly reference: Float64Array;
  readonly current: Float64Array;
  /** Bin edges (numeric) or category labels, in the order of the proportions. */
  readonly bins: { readonly kind: 'sturges'; readonly edges: readonly number[] } | { readonly kind: 'categories'; readonly labels: readonly string[] };
}

/** NumPy's Sturges edges over [min, max] of `count` values: ⌈ptp / (ptp / (log₂ count + 1))⌉ equal bins. */
export function sturgesEdges(min: number, max: number, count: number): number[] {
  let lo = min;
  let hi = max;
  let bins = 1;
  const width = (hi - lo) / (Math.log2(count) + 1);
  if (width > 0) bins = Math.ceil((hi - lo) / width);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + lo);
  edges[bins] = hi;
  return edges;
}

/** First index whose value is ≥ x (`lower`) or > x (upper) in an ascending array. */
function bound(sorted: Float64Array, x: number, upper: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (upper ? sorted[mid]! <= x : sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `histogram` of an ascending sample by binary search at each edge: O(bins · log n) instead of a pass over
 * every value. Bins are [eₖ, eₖ₊₁) and the last is closed, exactly the bins `np.histogram` assigns.
 */
export function histogramSorted(sorted: Float64Array, edges: readonly number[]): Float64Array {
  const bins = edges.length - 1;
  const counts = new Float64Array(bins);
  let from = bound(sorted, edges[0]!, false);
  for (let k = 0; k < bins; k++) {
    const to = k === bins - 1 ? bound(sorted, edges[bins]!, true) : bound(sorted, edges[k + 1]!, false);
    counts[k] = Math.max(0, to - from);
    from = Math.max(from, to);
  }
  return counts;
}

/** Proportions over the union of categories seen in either sample; label order follows first appearance. */
export function categoryProportions(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): Binned {
  const labels = [...new Set([...reference.keys(), ...current.keys()])];
  const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const nr = total(reference);
  const nc = total(current);
  return {
    reference: Float64Array.from(labels, (l) => (reference.get(l) ?? 0) / nr),
    current: Float64Array.from(labels, (l) => (current.get(l) ?? 0) / nc),
    bins: { kind: 'categories', labels },
  };
}

/** Sturges proportions of two ascending samples. */
export function sturgesProportions(reference: Float64Array, current: Float64Array, min: number, max: number): Binned {
  const edges = sturgesEdges(min, max, reference.length + current.length);
  const scale = (counts: Float64Array, n: number) => counts.map((c) => c / n);
  return {
    reference: scale(histogramSorted(reference, edges), reference.length),
    current: scale(histogramSorted(current, edges), current.length),
    bins: { kind: 'sturges', edges },
  };
}

/**
 * Evidently fills empty bins before PSI and KL so the logarithm stays finite: with the smallest
 * non-empty share s, empty bins get s/10⁶ when s ≤ 10⁻⁴ and 10⁻⁴ otherwise.
 */
export function fillEmptyBins(p: Float64Array): Float64Array {
  let smallest = Infinity;
  for (const v of p) if (v !== 0 && v < smallest) smallest = v;
  const fill = smallest <= 1e-4 ? smallest / 1e6 : 1e-4;
  return p.map((v) => (v === 0 ? fill : v));
}
