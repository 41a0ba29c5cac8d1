import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../api/parse.js';
import { Suite, type Expectation, type ValidationResult } from './types.js';
import type { LocalFile } from '../datasets/data-file.js';
import { validateFile } from './validate-file.js';

// Five rows built so every figure below can be worked out by hand.
const CSV = [
  'id,age,city,score,ts,empty',
  '1,25,NY,1.0,2026-11-18 00:00:00,',
  '2,,LA,2.0,2026-11-19 00:00:00,',
  '3,40,NY,3.0,2026-11-20 00:00:00,',
  '3,130,SF,4.0,,',
  '5,,,10.0,,',
].join('\n');
const NOW = Date.parse('2026-11-21T00:00:00Z');

// The reference version for the distribution checks.
const REFERENCE = ['score,city', '11,NY', '12,NY', '13,LA', '14,LA', '15,'].join('\n');

let dir: string;
let file: LocalFile;
let reference: LocalFile;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-validate-'));
  file = { local: path.join(dir, 'blob-1'), name: 'people.csv' };
  reference = { local: path.join(dir, 'blob-2'), name: 'ref.csv' };
  fs.writeFileSync(file.local, `${CSV}\n`);
  fs.writeFileSync(reference.local, `${REFERENCE}\n`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(...expectations: Expectation[]): Promise<ValidationResult> {
  return validateFile(file, { name: 'people', expectations }, NOW, new Map([['ref@1', reference]]));
}
const one = async (e: Expectation) => (await run(e)).results[0]!;

describe('validateFile', () => {
  it('not null counts nulls over all rows and honours mostly', async () => {
    // age: 2 of 5 rows are null → 40 % unexpected; 3/5 = 0.6 present.
    const strict = await one({ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'age' } });
    expect(strict).toMatchObject({ success: false, result: { element_count: 5, unexpected_count: 2, unexpected_percent: 40, partial_unexpected_list: [null, null] } });
    expect((await one({ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'age', mostly: 0.6 } })).success).toBe(true);
    expect((await one({ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'age', mostly: 0.61 } })).success).toBe(false);
  });

  it('between counts only non-null values, as GE does', async () => {
    // age non-null: 25, 40, 130 → 130 is out of [0, 120]: 1 of 3 = 33.33 %; nulls 2 of 5 = 40 %.
    const r = await one({ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'age', min_value: 0, max_value: 120 } });
    expect(r.success).toBe(false);
    expect(r.result).toMatchObject({ element_count: 5, missing_count: 2, missing_percent: 40, unexpected_count: 1, partial_unexpected_list: [130] });
    expect(r.result.unexpected_percent).toBeCloseTo(100 / 3, 10);
    expect((await one({ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'age', max_value: 120, mostly: 0.66 } })).success).toBe(true);
    expect((await one({ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'age', max_value: 120, mostly: 0.67 } })).success).toBe(false);
    // strict bounds: 25 is not > 25.
    expect((await one({ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'age', min_value: 25, strict_min: true, max_value: 200 } })).result.unexpected_count).toBe(1);
  });

  it('unique marks every row of a repeated value, in set and regex count the rest', async () => {
    const unique = await one({ expectation_type: 'expect_column_values_to_be_unique', kwargs: { column: 'id' } });
    expect(unique).toMatchObject({ success: false, result: { unexpected_count: 2, unexpected_percent: 40, partial_unexpected_list: [3, 3] } });
    // city non-null: NY, LA, NY, SF → SF only: 1 of 4 = 25 %.
    const inSet = await one({ expectation_type: 'expect_column_values_to_be_in_set', kwargs: { column: 'city', value_set: ['NY', 'LA'] } });
    expect(inSet).toMatchObject({ success: false, result: { unexpected_count: 1, unexpected_percent: 25, partial_unexpected_list: ['SF'], missing_count: 1 } });
    const regex = await one({ expectation_type: 'expect_column_values_to_match_regex', kwargs: { column: 'city', regex: '^[A-Z]{2}$' } });
    expect(regex).toMatchObject({ success: true, result: { unexpected_count: 0, partial_unexpected_list: [] } });
  });

  it('aggregates match hand-computed values', async () => {
    // score 1, 2, 3, 4, 10: mean 4; median 3; sample variance (9+4+1+0+36)/4 = 12.5; q25 at rank 0.25·4 = 1 → 2.
    const res = await run(
      { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 1, max_value: 5 } },
      { expectation_type: 'expect_column_mean_to_be_between', kwargs: { column: 'score', min_value: 4, max_value: 4 } },
      { expectation_type: 'expect_column_median_to_be_between', kwargs: { column: 'score', max_value: 2.5 } },
      { expectation_type: 'expect_column_stdev_to_be_between', kwargs: { column: 'score', min_value: 3.5, max_value: 3.6 } },
      { expectation_type: 'expect_column_quantile_to_be_between', kwargs: { column: 'score', quantile: 0.25, min_value: 2, max_value: 2 } },
      { expectation_type: 'expect_column_unique_value_count_to_be_between', kwargs: { column: 'city', min_value: 3, max_value: 3 } },
    );
    expect(res.results.map((r) => r.result.observed_value)).toEqual([5, 4, 3, Math.sqrt(12.5), 2, 3].map((v, i) => (i === 3 ? expect.closeTo(v, 10) : v)));
    expect(res.results.map((r) => r.success)).toEqual([true, true, false, true, true, true]);
    expect(res.statistics).toEqual({ evaluated_expectations: 6, successful_expectations: 5, unsuccessful_expectations: 1, success_percent: (5 / 6) * 100 });
    expect(res.success).toBe(false);
  });

  it('freshness compares the newest timestamp with the time the suite runs', async () => {
    // newest ts 2026-11-20T00:00 is one day (86 400 s) before NOW.
    const fresh = await one({ expectation_type: 'expect_column_max_to_be_recent', kwargs: { column: 'ts', max_age_seconds: 90_000 } });
    expect(fresh).toMatchObject({ success: true, result: { observed_value: '2026-11-20T00:00:00.000Z' } });
    expect((await one({ expectation_type: 'expect_column_max_to_be_recent', kwargs: { column: 'ts', max_age_seconds: 86_399 } })).success).toBe(false);
  });

  it('an all-null column passes value expectations vacuously and fails not-null', async () => {
    const between = await one({ expectation_type: 'expect_column_values_to_be_in_set', kwargs: { column: 'empty', value_set: ['x'] } });
    expect(between).toMatchObject({ success: true, result: { element_count: 5, missing_count: 5, unexpected_count: 0, unexpected_percent: null } });
    expect(await one({ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'empty' } })).toMatchObject({ success: false, result: { unexpected_count: 5, unexpected_percent: 100 } });
  });

  it('a missing column fails its expectation with the reason, and the rest still run', async () => {
    const res = await run(
      { expectation_type: 'expect_column_to_exist', kwargs: { column: 'nope' } },
      { expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'nope' } },
      { expectation_type: 'expect_column_to_exist', kwargs: { column: 'age' } },
    );
    expect(res.results.map((r) => r.success)).toEqual([false, false, true]);
    expect(res.results[1]!.exception_info).toEqual({ raised_exception: true, exception_message: "column 'nope' does not exist" });
  });

  it('rejects an unknown expectation or a wrong argument type, naming the field', () => {
    expect(() => parse(Suite, { name: 's', expectations: [{ expectation_type: 'expect_magic', kwargs: {} }] })).toThrow(/expectations\.0\.expectation_type/);
    expect(() => parse(Suite, { name: 's', expectations: [{ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: 'a', min_value: 'low' } }] })).toThrow(/expectations\.0\.kwargs\.min_value/);
  });

  it('scores PSI against a reference version as Evidently does, on hand-computed proportions', async () => {
    // city, non-null: current NY, LA, NY, SF → LA .25, NY .5, SF .25; reference NY, NY, LA, LA → LA .5, NY .5, SF 0,
    // and an empty bin gets 1e-4 (smallest share .5 > 1e-4). PSI = Σ (ref − cur)·ln(ref/cur).
    const expected = (0.5 - 0.25) * Math.log(0.5 / 0.25) + 0 + (1e-4 - 0.25) * Math.log(1e-4 / 0.25);
    const r = await one({ expectation_type: 'expect_column_psi_to_be_less_than', kwargs: { column: 'city', reference: 'ref@1', threshold: 0.1 } });
    expect(r.success).toBe(false);
    expect(r.result.observed_value).toBeCloseTo(expected, 12);
    expect(r.result.details).toMatchObject({ reference: 'ref@1', binning: 'categories' });
    expect((await one({ expectation_type: 'expect_column_psi_to_be_less_than', kwargs: { column: 'city', reference: 'ref@1', threshold: 2.2 } })).success).toBe(true);
  });

  it('runs the exact two-sample KS test against a reference version', async () => {
    // score 1, 2, 3, 4, 10 vs 11…15: fully separated, D = 1; exactly 2 of the C(10,5) = 252 orderings do that.
    const r = await one({ expectation_type: 'expect_column_ks_p_value_to_be_greater_than', kwargs: { column: 'score', reference: 'ref@1', threshold: 0.05 } });
    expect(r).toMatchObject({ success: false, result: { details: { statistic: 1, method: 'exact' } } });
    expect(r.result.observed_value).toBeCloseTo(2 / 252, 12);
    const wrongType = await one({ expectation_type: 'expect_column_ks_p_value_to_be_greater_than', kwargs: { column: 'city', reference: 'ref@1', threshold: 0.05 } });
    expect(wrongType.exception_info?.exception_message).toContain('KS needs a numeric column');
    const missing = await one({ expectation_type: 'expect_column_psi_to_be_less_than', kwargs: { column: 'age', reference: 'ref@1', threshold: 0.1 } });
    expect(missing.exception_info?.exception_message).toBe("column 'age' does not exist in reference 'ref@1'");
  });

  it('treats an empty table vacuously for per-row expectations and fails aggregates with no value', async () => {
    const empty = { local: path.join(dir, 'blob-3'), name: 'empty.csv' };
    fs.writeFileSync(empty.local, 'a,b\n');
    const res = await validateFile(empty, { name: 'empty', expectations: [
      { expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'a' } },
      { expectation_type: 'expect_column_values_to_be_in_set', kwargs: { column: 'b', value_set: ['x'] } },
      { expectation_type: 'expect_column_mean_to_be_between', kwargs: { column: 'a', min_value: 0 } },
      { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 1 } },
    ] }, NOW);
    expect(res.results.map((r) => r.success)).toEqual([true, true, false, false]);
    expect(res.results[0]!.result).toMatchObject({ element_count: 0, unexpected_count: 0, unexpected_percent: null });
    expect(res.results[3]!.result.observed_value).toBe(0);
  });

  it('names the file when it cannot be read, and the row of a ragged CSV', async () => {
    const corrupt = { local: path.join(dir, 'blob-4'), name: 'train.parquet' };
    fs.writeFileSync(corrupt.local, 'not parquet at all');
    const suite = { name: 's', expectations: [{ expectation_type: 'expect_column_to_exist' as const, kwargs: { column: 'a' } }] };
    await expect(validateFile(corrupt, suite, NOW)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'train.parquet'") });
    const ragged = { local: path.join(dir, 'blob-5'), name: 'ragged.csv' };
    fs.writeFileSync(ragged.local, 'a,b\n1,2\n"x,y",3,4\n5,6\n');
    await expect(validateFile(ragged, suite, NOW)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: "Cannot read 'ragged.csv': line 3 has 3 fields where the header has 2" });
  });
});
