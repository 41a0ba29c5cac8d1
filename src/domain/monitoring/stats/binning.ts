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

/** Counts per bin as `np.histogram` assigns them: the last bin is closed, values outside are dropped. */
export function histogram(values: Float64Array, edges: readonly number[]): Float64Array {
  const bins = edges.length - 1;
  const first = edges[0]!;
  const last = edges[bins]!;
  const counts = new Float64Array(bins);
  const span = last - first;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!(x >= first && x <= last)) continue;
    let k = Math.trunc(((x - first) / span) * bins);
    if (k === bins) k--;
    if (x < edges[k]!) k--;
    else if (k !== bins - 1 && x >= edges[k + 1]!) k++;
    counts[k]!++;
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

export function sturgesProportions(reference: Float64Array, current: Float64Array, min: number, max: number): Binned {
  const edges = sturgesEdges(min, max, reference.length + current.length);
  const scale = (counts: Float64Array, n: number) => counts.map((c) => c / n);
  return {
    reference: scale(histogram(reference, edges), reference.length),
    current: scale(histogram(current, edges), current.length),
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
