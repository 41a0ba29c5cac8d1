import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { categoryProportions, fillEmptyBins, histogramSorted, sturgesEdges, sturgesProportions } from './binning.js';
import { hellinger, jensenShannon, klDivergence, populationStd, psi, wasserstein } from './distances.js';
import { chiSquare, proportionZTest } from './hypothesis.js';
import { kolmogorovSf } from './kolmogorov.js';
import { ks2Samp, ksStatistic, ksStatisticUnsorted } from './ks.js';
import { STAT_TESTS, runStatTest } from '../stat-tests.js';
import { andersonDarling2, cramerVonMises2 } from './rank-tests.js';
import { NumericSample } from './sample.js';
import { radixSort, sortFloat64 } from './sort.js';
import { chiSquaredSf, normalSf } from './special.js';

interface Recipe {
  kind: 'normal' | 'uniform' | 'int';
  seed: number;
  n: number;
  mu?: number;
  sigma?: number;
  lo?: number;
  hi?: number;
  k?: number;
}
interface PairFixture {
  name: string;
  a: Recipe;
  b: Recipe;
  check: number[];
  ks: { statistic: number; pValue: number };
  wasserstein: number;
  stdA: number;
  jensenShannon: number;
  psi: number;
  kl: number;
  hellinger?: number;
  anderson?: { statistic: number; pValue: number };
  cramerVonMises?: { statistic: number; pValue: number };
}
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/scipy-fixtures.json', import.meta.url), 'utf8')) as {
  pairs: PairFixture[];
  cvmExact: { a: Recipe; b: Recipe; statistic: number; pValue: number }[];
  kstwoSf: { n: number; d: number; sf: number }[];
  chi2Sf: { x: number; df: number; sf: number }[];
  normSf: { z: number; sf: number }[];
  chiSquare: { reference: number[]; current: number[]; statistic: number; pValue: number }[];
};

/** The generator of make-scipy-fixtures.py, value for value. */
function generate(r: Recipe): Float64Array {
  const M = 2 ** 31 - 1;
  let x = r.seed;
  const next = () => (x = (16807 * x) % M) / M;
  const round = (v: number) => Math.floor(v * 1e6 + 0.5) / 1e6;
  const out = new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) {
    if (r.kind === 'normal') {
      const u1 = next();
      const u2 = next();
      out[i] = round(r.mu! + r.sigma! * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    } else if (r.kind === 'uniform') out[i] = round(r.lo! + (r.hi! - r.lo!) * next());
    else out[i] = Math.floor(next() * r.k!);
  }
  return out;
}

const close = (actual: number, expected: number, rel = 1e-9, abs = 1e-13) =>
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));

const sorted = (xs: number[]) => sortFloat64(Float64Array.from(xs));

describe('hand-computed values', () => {
  it('KS statistic of two small samples is the largest ECDF gap', () => {
    // ECDFs at 1,2,3,4: a = [1,2,3] → 1/3, 2/3, 1, 1; b = [2.5,3.5,4] → 0, 0, 1/3 (at 3: none ≤ 3 yet… 2.5 ≤ 3) ; gap 2/3 at x = 2.
    expect(ksStatistic(sorted([1, 2, 3]), sorted([2.5, 3.5, 4]))).toBeCloseTo(2 / 3, 15);
    // Disjoint samples of 3 and 3: D = 1, and the exact p-value is 2/C(6,3) = 0.1.
    const r = ks2Samp(sorted([1, 2, 3]), sorted([4, 5, 6]));
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeCloseTo(0.1, 14);
  });

  it('Wasserstein distance of a sample and its shift is the shift; normed by a known std', () => {
    const a = sorted([0, 1, 2, 3, 4]);
    expect(wasserstein(a, sorted([2.5, 3.5, 4.5, 5.5, 6.5]))).toBeCloseTo(2.5, 14);
    // Two point masses 0 and 1: ∫|F₁ − F₂| = 1 over [0, 1).
    expect(wasserstein(sorted([0]), sorted([1]))).toBe(1);
    expect(populationStd(Float64Array.from([2, 4, 4, 4, 5, 5, 7, 9]))).toBe(2);
  });

  it('chi-squared and normal tails match table values', () => {
    // Critical values from standard tables: χ²₁ 3.841 at 5 %, χ²₂ 5.991 at 5 %, χ²₁₀ 23.209 at 1 %.
    expect(chiSquaredSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquaredSf(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquaredSf(23.209251158954356, 10)).toBeCloseTo(0.01, 12);
    // χ²₂ has the closed form e^{−x/2}.
    expect(chiSquaredSf(7, 2)).toBeCloseTo(Math.exp(-3.5), 15);
    expect(2 * normalSf(1.959963984540054)).toBeCloseTo(0.05, 13);
  });

  it('chi-square reports an unseen category as an infinite statistic with p = 0', () => {
    const r = chiSquare([5, 5, 3], [6.5, 6.5, 0]);
    expect(r.statistic).toBe(Infinity);
    expect(r.pValue).toBe(0);
  });

  it('two-proportion Z statistic by hand', () => {
    // p1 = 30/100, p2 = 50/100, pooled 0.4: z = −0.2/√(0.24·0.02) = −2.886751…
    const r = proportionZTest(30, 100, 50, 100);
    expect(r.statistic).toBeCloseTo(-0.2 / Math.sqrt(0.24 * 0.02), 13);
    expect(r.pValue).toBeCloseTo(2 * normalSf(0.2 / Math.sqrt(0.24 * 0.02)), 15);
    expect(proportionZTest(0, 10, 0, 20)).toEqual({ statistic: 0, pValue: 1 });
  });

  it('binned measures on proportions worked by hand', () => {
    const p = Float64Array.from([0.5, 0.5]);
    const q = Float64Array.from([0.9, 0.1]);
    // JS² = ½[0.5 ln(0.5/0.7) + 0.5 ln(0.5/0.3) + 0.9 ln(0.9/0.7) + 0.1 ln(0.1/0.3)]
    const js2 = 0.5 * (0.5 * Math.log(0.5 / 0.7) + 0.5 * Math.log(0.5 / 0.3) + 0.9 * Math.log(0.9 / 0.7) + 0.1 * Math.log(0.1 / 0.3));
    expect(jensenShannon(p, q)).toBeCloseTo(Math.sqrt(js2), 15);
    expect(psi(p, q)).toBeCloseTo(-0.4 * Math.log(0.5 / 0.9) + 0.4 * Math.log(0.5 / 0.1), 15);
    expect(klDivergence(p, q)).toBeCloseTo(0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1), 15);
    expect(hellinger(p, q)).toBeCloseTo(Math.sqrt((Math.sqrt(0.5) - Math.sqrt(0.9)) ** 2 + (Math.sqrt(0.5) - Math.sqrt(0.1)) ** 2) / Math.SQRT2, 15);
    expect(jensenShannon(p, p)).toBe(0);
  });

  it('Sturges bins and NumPy histogram edges', () => {
    // 16 values → log2(16) + 1 = 5 bins over [0, 10].
    expect(sturgesEdges(0, 10, 16)).toEqual([0, 2, 4, 6, 8, 10]);
    // A constant column gets one bin of width 1 around it.
    expect(sturgesEdges(3, 3, 10)).toEqual([2.5, 3.5]);
    // The last bin is closed on the right; edges belong to the bin they start.
    expect([...histogramSorted(Float64Array.from([-1, 0, 2, 2, 3.99, 10, 11]), [0, 2, 4, 6, 8, 10])]).toEqual([1, 3, 0, 0, 1]);
    expect([...fillEmptyBins(Float64Array.from([0.5, 0, 0.5]))]).toEqual([0.5, 1e-4, 0.5]);
    expect([...fillEmptyBins(Float64Array.from([0.99995, 0, 0.00005]))]).toEqual([0.99995, 0.00005 / 1e6, 0.00005]);
    const c = categoryProportions(new Map([['a', 3], ['b', 1]]), new Map([['b', 1], ['c', 1]]));
    expect(c.bins).toEqual({ kind: 'categories', labels: ['a', 'b', 'c'] });
    expect([...c.reference]).toEqual([0.75, 0.25, 0]);
    expect([...c.current]).toEqual([0, 0.5, 0.5]);
  });

  it('radix sort agrees with the comparison sort, negatives and infinities included', () => {
    const xs = new Float64Array(50_000).map((_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 7) - 3));
    xs[3] = -Infinity;
    xs[4] = Infinity;
    xs[5] = -0.0;
    expect([...sortFloat64(xs)]).toEqual([...xs.slice().sort()]);
    expect([...radixSort(xs)]).toEqual([...xs.slice().sort()]);
  });

  it('the bucket sort agrees with the comparison sort on smooth, skewed, tied and outlying data', () => {
    let x = 12345;
    const u = () => (x = (16807 * x) % 2147483647) / 2147483647;
    const normal = new Float64Array(60_000).map(() => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
    const shapes: Record<string, Float64Array> = {
      normal,
      lognormal: normal.map((v) => Math.exp(4 * v)),
      outlier: normal.map((v, i) => (i === 17 ? 1e15 : v)),
      ties: normal.map((v) => Math.round(v * 3) + 0), // + 0: −0 and +0 keep their input order on the bucket path
      twoValues: normal.map((v) => (v > 0 ? 1 : 2)),
      constant: new Float64Array(10_000).fill(7),
      clusters: normal.map((v, i) => (i % 3 === 0 ? v * 1e-9 : i % 3 === 1 ? 1e9 + v : -1e9 + v * 1e3)),
    };
    for (const [name, xs] of Object.entries(shapes)) expect([...sortFloat64(xs)], name).toEqual([...xs.slice().sort()]);
  });

  it('the KS statistic of unsorted samples (sorting only the buckets that can hold the maximum) is the merge statistic', () => {
    let x = 777;
    const u = () => (x = (16807 * x) % 2147483647) / 2147483647;
    const normals = (n: number, shift: number, round: number) =>
      new Float64Array(n).map(() => Math.round((Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) + shift) * round) / round);
    for (const [n1, n2, shift, round] of [[200_000, 150_000, 0, 1e9], [200_000, 180_000, 0.01, 1e9], [100_000, 100_000, 0.5, 1e9], [50_000, 70_000, 0, 10], [30_000, 3, 0, 1e9]] as const) {
      const a = normals(n1, 0, round);
      const b = normals(n2, shift, round);
      const min = Math.min(...[a, b].map((s) => s.reduce((m, v) => Math.min(m, v), Infinity)));
      const max = Math.max(...[a, b].map((s) => s.reduce((m, v) => Math.max(m, v), -Infinity)));
      expect(ksStatisticUnsorted(a, b, min, max), `${n1} ${n2} ${shift} ${round}`).toBe(ksStatistic(sortFloat64(a), sortFloat64(b)));
    }
  });

  it('a histogram of unsorted values bins exactly as one of sorted values, values on the edges included', () => {
    const edges = sturgesEdges(-3, 3, 1000);
    const xs = new Float64Array(1000).map((_, i) => (i % 10 === 0 ? edges[i % edges.length]! : Math.sin(i) * 3));
    const unsorted = NumericSample.of(xs);
    expect(unsorted.isSorted).toBe(false);
    expect([...unsorted.histogram(edges)]).toEqual([...histogramSorted(sortFloat64(xs), edges)]);
    // Lengths that leave a tail after the four-at-a-time loop, and values outside the edges (not counted).
    for (const n of [1, 3, 1001, 1003]) {
      const ys = new Float64Array(n).map((_, i) => (i % 7 === 0 ? edges[(i * 3) % edges.length]! : Math.cos(i) * 3));
      expect([...NumericSample.of(ys).histogram(edges)], `n = ${n}`).toEqual([...histogramSorted(sortFloat64(ys), edges)]);
      const wide = ys.map((y, i) => (i % 5 === 1 ? y * 2 : y));
      expect([...NumericSample.of(wide).histogram(edges)], `n = ${n}, outside`).toEqual([...histogramSorted(sortFloat64(wide), edges)]);
    }
    // A range tiny next to the values' magnitude (edges rounded to a few ulps apart), and values one ulp either
    // side of every edge.
    for (const offset of [0, 1e6, 1e12, -3e15]) {
      const lo = offset - 1e-3;
      const hi = offset + 2.5e-3;
      const e = sturgesEdges(lo, hi, 2000);
      const near = e.flatMap((x) => [x, x - Math.abs(x) * Number.EPSILON, x + Math.abs(x) * Number.EPSILON]).filter((x) => x >= lo && x <= hi);
      const ys = Float64Array.from([...near, ...Array.from({ length: 2001 }, (_, i) => lo + ((hi - lo) * ((i * 7919) % 2001)) / 2000)]);
      expect([...NumericSample.of(ys).histogram(e)], `offset ${offset}`).toEqual([...histogramSorted(sortFloat64(ys), e)]);
    }
    expect(unsorted.hasMoreDistinctThan(20)).toBe(true);
    expect(NumericSample.of(Float64Array.from({ length: 500 }, (_, i) => i % 20)).hasMoreDistinctThan(20)).toBe(false);
    expect(NumericSample.of(Float64Array.from({ length: 500 }, (_, i) => i % 21)).hasMoreDistinctThan(20)).toBe(true);
  });
});

describe('against SciPy 1.17 on fixed inputs', () => {
  for (const f of fixtures.pairs) {
    describe(f.name, () => {
      const a = generate(f.a);
      const b = generate(f.b);
      const sa = sortFloat64(a);
      const sb = sortFloat64(b);

      it('regenerates the same samples', () => {
        expect([a[0], a[a.length - 1], b[0], b[b.length - 1]]).toEqual(f.check);
      });
      it('every test gives the same outcome from unsorted samples as from sorted ones (KS and the bins need no sort)', () => {
        for (const test of STAT_TESTS) {
          const sorted = runStatTest(test, { type: 'numeric', reference: NumericSample.ofSorted(sa), current: NumericSample.ofSorted(sb) });
          const unsorted = runStatTest(test, { type: 'numeric', reference: NumericSample.of(a), current: NumericSample.of(b) });
          expect(unsorted, test).toEqual(sorted);
        }
        const ks = runStatTest('ks', { type: 'numeric', reference: NumericSample.of(a), current: NumericSample.of(b) });
        close(ks.statistic!, f.ks.statistic, 1e-12);
      });
      it('ks_2samp', () => {
        const r = ks2Samp(sa, sb);
        close(r.statistic, f.ks.statistic, 1e-12);
        close(r.pValue, f.ks.pValue, 1e-7, 1e-15);
      });
      it('wasserstein_distance and np.std', () => {
        close(wasserstein(sa, sb), f.wasserstein, 1e-11);
        close(populationStd(a), f.stdA, 1e-12);
      });
      it("Evidently's binned Jensen–Shannon, PSI, KL and Hellinger", () => {
        const min = Math.min(sa[0]!, sb[0]!);
        const max = Math.max(sa[sa.length - 1]!, sb[sb.length - 1]!);
        const distinct = new Set(a).size;
        let binned;
        if (distinct > 20) binned = sturgesProportions(sa, sb, min, max);
        else {
          const counts = (xs: Float64Array) => {
            const m = new Map<string, number>();
            for (const x of xs) m.set(String(x), (m.get(String(x)) ?? 0) + 1);
            return m;
          };
          binned = categoryProportions(counts(a), counts(b));
        }
        close(jensenShannon(binned.reference, binned.current), f.jensenShannon, 1e-11);
        close(psi(fillEmptyBins(binned.reference), fillEmptyBins(binned.current)), f.psi, 1e-11);
        close(klDivergence(fillEmptyBins(binned.reference), fillEmptyBins(binned.current)), f.kl, 1e-11);
        if (f.hellinger !== undefined) close(hellinger(binned.reference, binned.current), f.hellinger, 1e-11);
      });
      if (f.anderson) {
        it('anderson_ksamp (midrank)', () => {
          const r = andersonDarling2(sa, sb);
          close(r.statistic, f.anderson!.statistic, 1e-9);
          close(r.pValue, f.anderson!.pValue, 1e-9);
        });
      }
      if (f.cramerVonMises) {
        it('cramervonmises_2samp', () => {
          const r = cramerVonMises2(sa, sb);
          close(r.statistic, f.cramerVonMises!.statistic, 1e-10);
          close(r.pValue, f.cramerVonMises!.pValue, 1e-6, 1e-12);
        });
      }
    });
  }

  it('cramervonmises_2samp exact p-values', () => {
    for (const f of fixtures.cvmExact) {
      const r = cramerVonMises2(sortFloat64(generate(f.a)), sortFloat64(generate(f.b)));
      expect(r.method).toBe('exact');
      close(r.statistic, f.statistic, 1e-12);
      close(r.pValue, f.pValue, 1e-12);
    }
  });

  it('kstwo.sf over every branch', () => {
    for (const f of fixtures.kstwoSf) {
      const sf = kolmogorovSf(f.n, f.d);
      expect(Math.abs(sf - f.sf), `n=${f.n} d=${f.d}: ${sf} vs ${f.sf}`).toBeLessThanOrEqual(Math.max(1e-14, 1e-8 * f.sf));
    }
  });

  it('chi2.sf and norm.sf', () => {
    for (const f of fixtures.chi2Sf) close(chiSquaredSf(f.x, f.df), f.sf, 1e-11, 1e-300);
    for (const f of fixtures.normSf) close(normalSf(f.z), f.sf, 1e-12, 1e-300);
  });

  it('chisquare on counts scaled as Evidently scales them', () => {
    for (const f of fixtures.chiSquare) {
      const k = f.current.reduce((x, y) => x + y) / f.reference.reduce((x, y) => x + y);
      const r = chiSquare(f.current, f.reference.map((c) => c * k));
      close(r.statistic, f.statistic, 1e-12);
      close(r.pValue, f.pValue, 1e-11);
    }
  });
});
