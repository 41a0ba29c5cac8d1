import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeDrift, type ColumnReport, type DriftReport } from './analysis.js';
import { columnarTable, recordsTable, type DictionaryColumn } from './table.js';

const range = <T = number>(n: number, f: (i: number) => T = (i) => i as T): T[] => Array.from({ length: n }, (_, i) => f(i));
/** n values spread over categories by counts, e.g. {a: 50, b: 30}. */
const fromCounts = (counts: Record<string, number>) => Object.entries(counts).flatMap(([k, n]) => range(n, () => k));
const col = (r: DriftReport, name: string): ColumnReport => r.columns.find((c) => c.name === name)!;

describe("Evidently's test choice and verdicts", () => {
  it('small numeric reference: two-sample KS, drift when p ≤ 0.05', async () => {
    const ref = range(500);
    const report = await analyzeDrift(
      columnarTable({ same: ref, shifted: ref }),
      columnarTable({ same: ref, shifted: range(500, (i) => i + 250) }),
    );
    expect(col(report, 'same').drift).toMatchObject({ test: 'ks', statistic: 0, score: 1, drifted: false, method: 'exact', threshold: 0.05 });
    // Half of each sample lies beyond the other: D = 0.5 by hand.
    expect(col(report, 'shifted').drift).toMatchObject({ test: 'ks', statistic: 0.5, drifted: true });
    expect(col(report, 'shifted').drift.score!).toBeLessThan(1e-20);
  });

  it('large numeric reference: normed Wasserstein, drift at ≥ 0.1 of the reference std', async () => {
    // 0..1999 has population std √((N²−1)/12) = 577.3501…; a shift s moves every quantile by s, so W = s.
    const n = 2000;
    const std = Math.sqrt((n * n - 1) / 12);
    const ref = range(n);
    const report = await analyzeDrift(
      columnarTable({ above: ref, below: ref }),
      columnarTable({ above: range(n, (i) => i + 57.8), below: range(n, (i) => i + 57.7) }),
    );
    expect(col(report, 'above').drift.test).toBe('wasserstein');
    expect(col(report, 'above').drift.score).toBeCloseTo(57.8 / std, 12);
    expect(col(report, 'above').drift.drifted).toBe(true);
    expect(col(report, 'below').drift.score).toBeCloseTo(57.7 / std, 12);
    expect(col(report, 'below').drift.drifted).toBe(false);
  });

  it('small categorical reference: chi-square with the reference scaled to the current size', async () => {
    const fx = JSON.parse(readFileSync(new URL('./stats/fixtures/scipy-fixtures.json', import.meta.url), 'utf8')) as {
      chiSquare: { reference: number[]; current: number[]; pValue: number }[];
    };
    const f = fx.chiSquare[0]!;
    const counts = (c: number[]) => Object.fromEntries(c.map((n, i) => [`c${i}`, n]));
    const report = await analyzeDrift(recordsTable(fromCounts(counts(f.reference)).map((v) => ({ plan: v }))), recordsTable(fromCounts(counts(f.current)).map((v) => ({ plan: v }))));
    expect(col(report, 'plan').drift.test).toBe('chisquare');
    expect(col(report, 'plan').drift.score).toBeCloseTo(f.pValue, 12);
    expect(col(report, 'plan').drift.drifted).toBe(f.pValue < 0.05);
  });

  it('a category only the current data has: infinite chi-square, p = 0, drift, and a reason', async () => {
    const report = await analyzeDrift(columnarTable({ c: fromCounts({ a: 60, b: 40 }) }), columnarTable({ c: fromCounts({ a: 58, b: 40, z: 2 }) }));
    expect(col(report, 'c').drift).toMatchObject({ test: 'chisquare', score: 0, statistic: Infinity, drifted: true });
    expect(col(report, 'c').drift.note).toMatch(/absent from the reference/);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: 'new_categories', column: 'c' }));
  });

  it('binary columns get the Z-test; few-valued numerics get chi-square', async () => {
    const report = await analyzeDrift(
      columnarTable({ flag: fromCounts({ yes: 30, no: 70 }), level: range(100, (i) => i % 4) }),
      columnarTable({ flag: fromCounts({ yes: 50, no: 50 }), level: range(100, (i) => i % 4) }),
    );
    const z = col(report, 'flag').drift;
    expect(z.test).toBe('z');
    // Evidently codes 'no' (the first key in order) 0 and 'yes' 1, reference first: p1 = 0.3, p2 = 0.5,
    // pooled 0.4, z = (0.3 − 0.5)/√(0.4·0.6·(1/100 + 1/100)) = −2.8868; two-sided p = 0.003892…
    expect(z.statistic).toBeCloseTo(-0.2 / Math.sqrt(0.24 * 0.02), 12);
    expect(z.score).toBeCloseTo(0.0038924171227786, 10);
    expect(z.drifted).toBe(true);
    expect(col(report, 'level').drift).toMatchObject({ test: 'chisquare', score: 1, drifted: false });
  });

  it('large categorical reference: Jensen–Shannon with the natural logarithm', async () => {
    // p = (½, ½), q = (0.62, 0.38): JS distance ≈ 0.0850 in nats (no drift) but ≈ 0.1021 in bits (drift).
    const js = Math.sqrt(0.5 * (0.5 * Math.log(0.5 / 0.56) + 0.5 * Math.log(0.5 / 0.44) + 0.62 * Math.log(0.62 / 0.56) + 0.38 * Math.log(0.38 / 0.44)));
    expect(js / Math.sqrt(Math.LN2)).toBeGreaterThan(0.1);
    const report = await analyzeDrift(columnarTable({ c: fromCounts({ a: 1000, b: 1000 }) }), columnarTable({ c: fromCounts({ a: 620, b: 380 }) }));
    expect(col(report, 'c').drift).toMatchObject({ test: 'jensenshannon', binning: 'categories', drifted: false });
    expect(col(report, 'c').drift.score).toBeCloseTo(js, 14);
  });

  it('dataset drift when the share of drifted columns reaches 0.5, inclusive', async () => {
    const ref = range(300);
    const shifted = range(300, (i) => i + 200);
    const cols = (k: number): Record<string, unknown[]> => Object.fromEntries([0, 1, 2, 3].map((i) => [`f${i}`, i < k ? shifted : ref]));
    const half = await analyzeDrift(columnarTable(cols(0)), columnarTable(cols(2)));
    expect(half.datasetDrift).toEqual({ drifted: true, driftedColumns: 2, testedColumns: 4, share: 0.5, threshold: 0.5 });
    const quarter = await analyzeDrift(columnarTable(cols(0)), columnarTable(cols(1)));
    expect(quarter.datasetDrift).toMatchObject({ drifted: false, share: 0.25 });
    const strict = await analyzeDrift(columnarTable(cols(0)), columnarTable(cols(2)), { driftShare: 0.6 });
    expect(strict.datasetDrift.drifted).toBe(false);
  });

  it('a configured test and threshold replace the default choice', async () => {
    const ref = range(2000);
    const report = await analyzeDrift(columnarTable({ x: ref }), columnarTable({ x: range(2000, (i) => i + 100) }), {
      perColumn: { x: { stattest: 'psi', threshold: 0.2 } },
    });
    expect(col(report, 'x').drift).toMatchObject({ test: 'psi', chosenBy: 'configured', threshold: 0.2, binning: 'sturges' });
  });
});

describe('dictionary-encoded text columns', () => {
  /** The codes of `values` over `dictionary`; null (or a label outside it) becomes −1, a missing value. */
  const encode = (values: readonly (string | null)[], dictionary: readonly string[]): DictionaryColumn =>
    ({ codes: Int32Array.from(values, (v) => (v === null ? -1 : dictionary.indexOf(v))), dictionary });

  it('give the report the same column as the strings they encode: counts, missing values, tests and scores', async () => {
    const values = (n: number, shift: number) => range(n, (i) => (i % 11 === 0 ? null : ['a', 'b', 'c', 'd'][(i * 7 + shift) % 4 === 3 && i % 3 === 0 ? 3 : (i + shift) % 3]!));
    for (const rows of [500, 3001]) {
      const ref = values(rows, 0);
      const cur = [...values(rows - 99, 1), 'e', 'e'];
      const byStrings = await analyzeDrift(columnarTable({ c: ref }), columnarTable({ c: cur }));
      // The current side's dictionary lists its labels in another order, one of them twice (as merged chunks can).
      const byCodes = await analyzeDrift(
        columnarTable({ c: encode(ref, ['d', 'c', 'b', 'a']) }),
        columnarTable({ c: { codes: Int32Array.from(cur, (v, i) => (v === null ? -1 : v === 'a' && i % 2 === 0 ? 5 : ['e', 'a', 'b', 'c', 'd'].indexOf(v))), dictionary: ['e', 'a', 'b', 'c', 'd', 'a'] } }),
      );
      expect(byCodes.columns[0]!.drift, `${rows} rows`).toEqual(byStrings.columns[0]!.drift);
      expect(byCodes.columns[0]!.quality).toEqual(byStrings.columns[0]!.quality);
      expect(byCodes.findings).toEqual(byStrings.findings);
    }
  });

  it('a column with no code in its dictionary is all missing', async () => {
    const report = await analyzeDrift(columnarTable({ c: encode(['a', 'b', 'a'], ['a', 'b']) }), columnarTable({ c: encode([null, null], ['a', 'b']) }));
    expect(report.columns[0]!.quality.current).toMatchObject({ rows: 2, missing: 2, missingShare: 1 });
    expect(report.columns[0]!.drift.drifted).toBeNull();
  });
});

describe('bad input becomes findings, never a crash or a NaN verdict', () => {
  it('missing, extra, all-null, constant and mistyped columns', async () => {
    const ref = recordsTable(range(200, (i) => ({ a: i, b: 'x', gone: i, nulls: i % 3, k: 5, t: i })));
    const cur = recordsTable(range(150, (i) => ({ a: i + 1, b: i % 2 ? 'x' : 'y', extra: 1, nulls: null, k: 5, t: i % 10 === 0 ? 'oops' : i })));
    const r = await analyzeDrift(ref, cur);
    const codes = r.findings.map((f) => `${f.code}:${f.column ?? ''}`);
    expect(codes).toEqual(expect.arrayContaining(['missing_column:gone', 'extra_column:extra', 'all_missing:nulls', 'constant_column:k', 'type_mismatch:t', 'type_differs:t', 'new_categories:b']));
    expect(col(r, 'gone').drift).toMatchObject({ drifted: null, score: null, reason: 'column missing from the current data' });
    expect(col(r, 'nulls').drift).toMatchObject({ drifted: null, reason: 'no current values' });
    expect(col(r, 'nulls').quality.current).toMatchObject({ missing: 150, missingShare: 1 });
    expect(col(r, 'k').drift).toMatchObject({ test: 'z', score: 1, drifted: false });
    expect(col(r, 't').quality.current).toMatchObject({ typeMismatches: 15, missing: 15 });
    expect(col(r, 'b').quality.newCategories).toEqual({ rows: 75, values: ['y'] });
    for (const c of r.columns) expect(Number.isNaN(c.drift.score)).toBe(false);
    expect(r.datasetDrift.testedColumns).toBe(4);
  });

  it('an empty window', async () => {
    const r = await analyzeDrift(recordsTable(range(10, (i) => ({ a: i }))), recordsTable([]));
    expect(r.findings).toContainEqual(expect.objectContaining({ code: 'empty_window' }));
    expect(r.datasetDrift).toMatchObject({ drifted: null, share: null, testedColumns: 0 });
  });

  it('values out of the reference range and infinities', async () => {
    const r = await analyzeDrift(columnarTable({ x: range(100) }), columnarTable({ x: [...range(96, (i) => i), -5, 150, Infinity, NaN] }));
    expect(col(r, 'x').quality.outOfRange).toEqual({ rows: 2, share: 0.02 });
    expect(col(r, 'x').quality.current).toMatchObject({ missing: 1, nonFinite: 1 });
    expect(r.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['out_of_range', 'non_finite']));
  });
});
