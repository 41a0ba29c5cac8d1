/**
 * The per-column drift tests by Evidently's names, with Evidently's defaults: which test a column gets,
 * each test's threshold and on which side of it a column counts as drifted.
 */
import { categoryProportions, fillEmptyBins, sturgesEdges, type Binned } from './stats/binning.js';
import { hellinger, jensenShannon, klDivergence, psi, wasserstein } from './stats/distances.js';
import { chiSquare, proportionZTest } from './stats/hypothesis.js';
import { ks2SampSamples } from './stats/ks.js';
import { andersonDarling2, cramerVonMises2 } from './stats/rank-tests.js';
import type { NumericSample } from './stats/sample.js';
import type { FeatureType } from './table.js';

export const STAT_TESTS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'anderson', 'cramer_von_mises', 'hellinger'] as const;
export type StatTestName = (typeof STAT_TESTS)[number];

interface StatTestInfo {
  readonly display: string;
  /** The comparison that makes drift, as the report states it: `≤`, `<` or `≥` the threshold. */
  readonly rule: '≤' | '<' | '≥';
  /** p-value tests drift below the threshold, distances at or above it. */
  readonly scoreKind: 'p_value' | 'distance';
  readonly defaultThreshold: number;
  readonly types: readonly FeatureType[];
  drifted(score: number, threshold: number): boolean;
}

const pBelow = (s: number, t: number) => s < t;
const pAtOrBelow = (s: number, t: number) => s <= t;
const atOrAbove = (s: number, t: number) => s >= t;

export const STAT_TEST_INFO: Record<StatTestName, StatTestInfo> = {
  ks: { display: 'K-S p_value', rule: '≤', scoreKind: 'p_value', defaultThreshold: 0.05, types: ['numeric'], drifted: pAtOrBelow },
  chisquare: { display: 'chi-square p_value', rule: '<', scoreKind: 'p_value', defaultThreshold: 0.05, types: ['categorical', 'numeric'], drifted: pBelow },
  z: { display: 'Z-test p_value', rule: '<', scoreKind: 'p_value', defaultThreshold: 0.05, types: ['categorical', 'numeric'], drifted: pBelow },
  wasserstein: { display: 'Wasserstein distance (normed)', rule: '≥', scoreKind: 'distance', defaultThreshold: 0.1, types: ['numeric'], drifted: atOrAbove },
  jensenshannon: { display: 'Jensen-Shannon distance', rule: '≥', scoreKind: 'distance', defaultThreshold: 0.1, types: ['categorical', 'numeric'], drifted: atOrAbove },
  psi: { display: 'PSI', rule: '≥', scoreKind: 'distance', defaultThreshold: 0.1, types: ['categorical', 'numeric'], drifted: atOrAbove },
  kl_div: { display: 'Kullback-Leibler divergence', rule: '≥', scoreKind: 'distance', defaultThreshold: 0.1, types: ['categorical', 'numeric'], drifted: atOrAbove },
  anderson: { display: 'Anderson-Darling p_value', rule: '<', scoreKind: 'p_value', defaultThreshold: 0.1, types: ['numeric'], drifted: pBelow },
  cramer_von_mises: { display: 'Cramer-von Mises p_value', rule: '≤', scoreKind: 'p_value', defaultThreshold: 0.1, types: ['numeric'], drifted: pAtOrBelow },
  hellinger: { display: 'Hellinger distance', rule: '≥', scoreKind: 'distance', defaultThreshold: 0.1, types: ['categorical', 'numeric'], drifted: atOrAbove },
};

/** A test's exact rule in words, e.g. `drifts when p ≤ 0.05` (KS) or `drifts when distance ≥ 0.1`. */
export const driftRule = (test: StatTestName, threshold: number): string =>
  `drifts when ${STAT_TEST_INFO[test].scoreKind === 'p_value' ? 'p' : 'distance'} ${STAT_TEST_INFO[test].rule} ${threshold}`;

/** PSI's customary reading: below 0.1 stable, 0.1–0.25 moderate shift, 0.25 and above significant. */
export const psiSeverity = (score: number): 'none' | 'moderate' | 'significant' => (score >= 0.25 ? 'significant' : score >= 0.1 ? 'moderate' : 'none');

/**
 * Evidently's default choice. The distinct count is over both samples together.
 * Reference ≤ 1000 rows: numeric with > 5 distinct → KS; ≤ 2 distinct → Z-test; otherwise chi-square.
 * Larger references: numeric with > 5 distinct → normed Wasserstein; otherwise Jensen–Shannon.
 */
export function defaultStatTest(type: FeatureType, referenceRows: number, distinctValues: number): StatTestName {
  if (referenceRows <= 1000) {
    if (type === 'numeric' && distinctValues > 5) return 'ks';
    return distinctValues > 2 ? 'chisquare' : 'z';
  }
  return type === 'numeric' && distinctValues > 5 ? 'wasserstein' : 'jensenshannon';
}

/**
 * One column of each side, shared by whichever test runs. Numeric samples are finite values that sort,
 * summarise and count themselves on first use, so a test pays only for what it reads.
 */
export type Samples =
  | {
      readonly type: 'numeric';
      readonly reference: NumericSample;
      readonly current: NumericSample;
    }
  | {
      readonly type: 'categorical';
      readonly reference: ReadonlyMap<string, number>;
      readonly current: ReadonlyMap<string, number>;
    };

export interface TestOutcome {
  readonly score: number;
  readonly statistic?: number;
  readonly method?: string;
  readonly binning?: Binned['bins']['kind'];
  readonly note?: string;
}

const sumCounts = (m: ReadonlyMap<string, number>) => {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
};

/** Sturges proportions of two numeric samples over their common range (NumPy's `histogram_bin_edges(..., 'sturges')`). */
function sturgesOf(reference: NumericSample, current: NumericSample): Binned {
  const edges = sturgesEdges(Math.min(reference.min, current.min), Math.max(reference.max, current.max), reference.length + current.length);
  const shares = (s: NumericSample) => {
    const counts = s.histogram(edges);
    for (let k = 0; k < counts.length; k++) counts[k]! /= s.length;
    return counts;
  };
  return { reference: shares(reference), current: shares(current), bins: { kind: 'sturges', edges } };
}

const countsOf = (s: Samples): { reference: ReadonlyMap<string, number>; current: ReadonlyMap<string, number> } =>
  s.type === 'numeric' ? { reference: s.reference.valueCounts(), current: s.current.valueCounts() } : s;

function binned(s: Samples): Binned {
  if (s.type === 'numeric' && s.reference.hasMoreDistinctThan(20)) return sturgesOf(s.reference, s.current);
  const counts = countsOf(s);
  return categoryProportions(counts.reference, counts.current);
}

export function runStatTest(test: StatTestName, s: Samples): TestOutcome {
  switch (test) {
    case 'ks': {
      if (s.type !== 'numeric') throw new Error('ks needs numeric samples');
      const r = ks2SampSamples(s.reference, s.current);
      return { score: r.pValue, statistic: r.statistic, method: r.method };
    }
    case 'wasserstein': {
      if (s.type !== 'numeric') throw new Error('wasserstein needs numeric samples');
      // Evidently divides by the reference's population std, floored at 0.001 for constant columns.
      const norm = Math.max(s.reference.moments().std, 0.001);
      const w = wasserstein(s.reference.sorted(), s.current.sorted());
      return { score: w / norm, statistic: w, method: 'exact' };
    }
    case 'anderson': {
      if (s.type !== 'numeric') throw new Error('anderson needs numeric samples');
      const lo = Math.min(s.reference.min, s.current.min);
      const hi = Math.max(s.reference.max, s.current.max);
      if (lo === hi || s.reference.length < 2 || s.current.length < 2) return { score: 1, note: 'needs two distinct values and two values on each side' };
      const r = andersonDarling2(s.reference.sorted(), s.current.sorted());
      return { score: r.pValue, statistic: r.statistic, ...(r.capped ? { note: 'p-value capped to [0.001, 0.25] as SciPy interpolates it' } : {}) };
    }
    case 'cramer_von_mises': {
      if (s.type !== 'numeric') throw new Error('cramer_von_mises needs numeric samples');
      if (s.reference.length < 2 || s.current.length < 2) return { score: 1, note: 'needs at least two values on each side' };
      const r = cramerVonMises2(s.reference.sorted(), s.current.sorted());
      return { score: r.pValue, statistic: r.statistic, method: r.method };
    }
    case 'chisquare': {
      const c = countsOf(s);
      const keys = [...new Set([...c.reference.keys(), ...c.current.keys()])];
      const k = sumCounts(c.current) / sumCounts(c.reference);
      const r = chiSquare(
        keys.map((key) => c.current.get(key) ?? 0),
        keys.map((key) => (c.reference.get(key) ?? 0) * k),
      );
      const unseen = keys.filter((key) => !c.reference.has(key));
      return {
        score: r.pValue, statistic: r.statistic,
        ...(unseen.length > 0 ? { note: `categories absent from the reference (${unseen.slice(0, 5).join(', ')}) have expected count 0: the statistic is infinite` } : {}),
      };
    }
    case 'z': {
      const c = countsOf(s);
      const keys = [...new Set([...c.reference.keys(), ...c.current.keys()])];
      if (keys.length <= 1) return { score: 1, statistic: 0, note: 'one value on both sides' };
      // Evidently codes a value 0 when it equals the first key and 1 otherwise, reference first: z is the
      // difference of the shares of "not the first key", reference minus current. Keys in sorted order.
      const numeric = s.type === 'numeric';
      const key = keys.sort((x, y) => (numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0))[0]!;
      const nr = sumCounts(c.reference);
      const nc = sumCounts(c.current);
      const r = proportionZTest(nr - (c.reference.get(key) ?? 0), nr, nc - (c.current.get(key) ?? 0), nc);
      return { score: r.pValue, statistic: r.statistic };
    }
    case 'jensenshannon': {
      const b = binned(s);
      return { score: jensenShannon(b.reference, b.current), binning: b.bins.kind };
    }
    case 'psi': {
      const b = binned(s);
      const score = psi(fillEmptyBins(b.reference), fillEmptyBins(b.current));
      return { score, binning: b.bins.kind, note: `${psiSeverity(score)} shift by the 0.1 / 0.25 convention` };
    }
    case 'kl_div': {
      const b = binned(s);
      return { score: klDivergence(fillEmptyBins(b.reference), fillEmptyBins(b.current)), binning: b.bins.kind };
    }
    case 'hellinger': {
      // Evidently bins numeric columns by Sturges' rule here whatever their number of distinct values.
      const b = s.type === 'numeric' ? sturgesOf(s.reference, s.current) : binned(s);
      return { score: hellinger(b.reference, b.current), binning: b.bins.kind };
    }
  }
}
