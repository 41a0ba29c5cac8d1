import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from '../../api/parse.js';
import type { LocalFile } from '../datasets/data-file.js';
import { Suite, type Expectation, type ResultFormatSpec, type ValidationResult } from './types.js';
import { validateFile } from './validate-file.js';
import { renderValidationHtml } from './validation-report-html.js';

/**
 * Six rows small enough that every GE result below is worked out by hand (row numbers are pandas' 0-based
 * index). Nulls: a at row 3, b at row 4, name at row 3, day at row 4, p at row 3, q at row 4.
 */
const CSV = [
  'id,a,b,name,day,color,tie,p,q,x,ts,flag',
  '1,5,3,ann,2024-01-15,red,x,1,9,0.5,2024-01-01 10:00:00,true',
  '2,2,2,bo,15/01/2024,red,y,2,8,1.5,2024-01-02 10:00:00,false',
  '3,4,5,carla,2024-02-30,blue,x,3,7,2.5,2024-01-03 10:00:00,true',
  '4,,1,,2024-12-01,blue,y,,10,3.5,2024-01-04 10:00:00,false',
  '5,7,,dan,,green,z,5,,4.5,2024-01-05 10:00:00,true',
  '6,1,1,ann,2024-13-01,red,z,0,10,5.5,2024-01-06 10:00:00,true',
].join('\n');

let dir: string;
let csv: LocalFile;
let parquet: LocalFile;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-ge-'));
  csv = { local: path.join(dir, 'blob-1'), name: 'people.csv' };
  parquet = { local: path.join(dir, 'blob-2'), name: 'people.parquet' };
  fs.writeFileSync(csv.local, `${CSV}\n`);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`COPY (SELECT * FROM read_csv('${csv.local}')) TO '${parquet.local}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const suite = (...expectations: unknown[]) => parse(Suite, { name: 'ge', expectations });
const run = (format: ResultFormatSpec | undefined, ...expectations: unknown[]): Promise<ValidationResult> =>
  validateFile(csv, suite(...expectations), Date.now(), new Map(), format);
const one = async (type: string, kwargs: Record<string, unknown>, format?: ResultFormatSpec) =>
  (await run(format, { expectation_type: type, kwargs })).results[0]!;

describe("GE's pandas/NumPy type names", () => {
  it('match the DuckDB types a DataFrame would hold, and answer in pandas\' words', async () => {
    const r = await run(undefined,
      ...[['id', 'int64'], ['a', 'float64'], ['x', 'float64'], ['name', 'object'], ['flag', 'bool'], ['ts', 'datetime64[ns]'], ['day', 'datetime64[ns]'], ['id', 'BIGINT'], ['x', 'np.float64']]
        .map(([column, type_]) => ({ expectation_type: 'expect_column_values_to_be_of_type', kwargs: { column, type_ } })),
      { expectation_type: 'expect_column_values_to_be_in_type_list', kwargs: { column: 'a', type_list: ['float64', 'int64'] } });
    expect(r.results.map((x) => x.success)).toEqual([true, false, true, true, true, true, false, true, true, true]);
    expect(r.results[0]!.result).toEqual({ observed_value: 'int64', details: { duckdb_type: 'BIGINT' } });
    expect(r.results[1]!.result.observed_value).toBe('int64');
    expect(r.results[7]!.result).toEqual({ observed_value: 'BIGINT' });
  });
});

describe('GE core expectations on hand-worked values', () => {
  it('quantile values: pandas interpolation "nearest" by default (halves to the even index), or the one asked for', async () => {
    // id 1..6: positions (n−1)q = 0, 1.25, 2.5, 3.75, 5 → nearest 0, 1, 2 (2.5 to even), 4, 5 → 1, 2, 3, 5, 6.
    const quantile_ranges = { quantiles: [0, 0.25, 0.5, 0.75, 1], value_ranges: [[1, 1], [2, 2], [null, 3], [4, 5], [null, 5.9]] };
    const nearest = await one('expect_column_quantile_values_to_be_between', { column: 'id', quantile_ranges });
    expect(nearest).toMatchObject({ success: false, result: { observed_value: { quantiles: [0, 0.25, 0.5, 0.75, 1], values: [1, 2, 3, 5, 6] }, details: { success_details: [true, true, true, true, false] } } });
    const linear = await one('expect_column_quantile_values_to_be_between', { column: 'id', quantile_ranges, allow_relative_error: 'linear' });
    expect((linear.result.observed_value as { values: number[] }).values).toEqual([1, 2.25, 3.5, 4.75, 6]);
    // GE allows a relative error of 1e-4 at the bounds: 6 is within 1e-4·6 of 5.9995.
    const close = await one('expect_column_quantile_values_to_be_between', { column: 'id', quantile_ranges: { quantiles: [1], value_ranges: [[0, 5.9995]] } });
    expect(close.success).toBe(true);
  });

  it('median, sum, stdev, unique count and proportion, with strict bounds', async () => {
    // a non-null: 5, 2, 4, 7, 1 → median 4, sum 19, mean 3.8, Σ(x−x̄)² = 1.44+3.24+0.04+10.24+7.84 = 22.8, s² = 5.7.
    // name non-null: ann, bo, carla, dan, ann → 4 distinct of 5 → 0.8.
    const r = await run(undefined,
      { expectation_type: 'expect_column_median_to_be_between', kwargs: { column: 'a', min_value: 4, max_value: 4 } },
      { expectation_type: 'expect_column_sum_to_be_between', kwargs: { column: 'a', min_value: 19, max_value: 19 } },
      { expectation_type: 'expect_column_sum_to_be_between', kwargs: { column: 'a', max_value: 19, strict_max: true } },
      { expectation_type: 'expect_column_stdev_to_be_between', kwargs: { column: 'a', min_value: 2.38, max_value: 2.39 } },
      { expectation_type: 'expect_column_unique_value_count_to_be_between', kwargs: { column: 'name', min_value: 4, max_value: 4 } },
      { expectation_type: 'expect_column_proportion_of_unique_values_to_be_between', kwargs: { column: 'name', min_value: 0.8, max_value: 0.8 } },
      { expectation_type: 'expect_column_proportion_of_unique_values_to_be_between', kwargs: { column: 'name', min_value: 0.8, strict_min: true } },
    );
    expect(r.results.map((x) => x.success)).toEqual([true, true, false, true, true, true, false]);
    expect(r.results.map((x) => x.result.observed_value)).toEqual([4, 19, 19, expect.closeTo(Math.sqrt(5.7), 12), 4, 0.8, 0.8]);
  });

  it('most common value: every tied mode is observed; ties fail unless ties_okay', async () => {
    expect(await one('expect_column_most_common_value_to_be_in_set', { column: 'color', value_set: ['red'] })).toMatchObject({ success: true, result: { observed_value: ['red'] } });
    expect(await one('expect_column_most_common_value_to_be_in_set', { column: 'b', value_set: [1, 2] })).toMatchObject({ success: true, result: { observed_value: [1] } });
    expect(await one('expect_column_most_common_value_to_be_in_set', { column: 'tie', value_set: ['x'] })).toMatchObject({ success: false, result: { observed_value: ['x', 'y', 'z'] } });
    expect((await one('expect_column_most_common_value_to_be_in_set', { column: 'tie', value_set: ['x'], ties_okay: true })).success).toBe(true);
  });

  it('distinct values in, containing and equal to a set, with value counts; numbers are not strings', async () => {
    const inSet = await one('expect_column_distinct_values_to_be_in_set', { column: 'color', value_set: ['red', 'blue'] });
    expect(inSet).toEqual({
      success: false,
      expectation_config: expect.anything(),
      result: { observed_value: ['blue', 'green', 'red'], details: { value_counts: [{ value: 'blue', count: 2 }, { value: 'green', count: 1 }, { value: 'red', count: 3 }] } },
    });
    expect((await one('expect_column_distinct_values_to_contain_set', { column: 'color', value_set: ['red', 'blue'] })).success).toBe(true);
    expect((await one('expect_column_distinct_values_to_equal_set', { column: 'color', value_set: ['red', 'blue', 'green'] })).success).toBe(true);
    expect((await one('expect_column_distinct_values_to_equal_set', { column: 'color', value_set: ['red', 'blue'] })).success).toBe(false);
    expect((await one('expect_column_distinct_values_to_be_in_set', { column: 'b', value_set: [1, 2, 3, 5, 8] })).success).toBe(true);
    expect((await one('expect_column_distinct_values_to_be_in_set', { column: 'b', value_set: ['1', '2', '3', '5'] })).success).toBe(false);
  });

  it('value lengths, strftime format and not-match regex count the non-null values', async () => {
    // name lengths 3, 2, 5, 3, 3 (row 3 null): outside [3, 4] are bo (row 1) and carla (row 2): 2 of 5.
    expect(await one('expect_column_value_lengths_to_be_between', { column: 'name', min_value: 3, max_value: 4 })).toMatchObject({
      success: false,
      result: { element_count: 6, missing_count: 1, unexpected_count: 2, unexpected_percent: 40, unexpected_percent_total: (2 / 6) * 100, partial_unexpected_list: ['bo', 'carla'] },
    });
    // day: 15/01/2024 (row 1), 2024-02-30 (row 2, no such day) and 2024-13-01 (row 5) do not parse with %Y-%m-%d: 3 of 5.
    expect(await one('expect_column_values_to_match_strftime_format', { column: 'day', strftime_format: '%Y-%m-%d' })).toMatchObject({
      success: false, result: { unexpected_count: 3, unexpected_percent: 60, partial_unexpected_list: ['15/01/2024', '2024-02-30', '2024-13-01'], partial_unexpected_index_list: [1, 2, 5] },
    });
    expect((await one('expect_column_values_to_match_strftime_format', { column: 'day', strftime_format: '%Y-%m-%d', mostly: 0.4 })).success).toBe(true);
    expect(await one('expect_column_values_to_not_match_regex', { column: 'name', regex: '^a' })).toMatchObject({ success: false, result: { unexpected_count: 2, partial_unexpected_list: ['ann', 'ann'] } });
  });

  it('column pairs: equal and A > B, with ignore_row_if', async () => {
    // (a, b): (5,3) (2,2) (4,5) (null,1) (7,null) (1,1). A missing value equals nothing and is greater than nothing.
    expect(await one('expect_column_pair_values_to_be_equal', { column_A: 'a', column_B: 'b' })).toMatchObject({
      success: false, result: { element_count: 6, missing_count: 0, unexpected_count: 4, partial_unexpected_list: [[5, 3], [4, 5], [null, 1], [7, null]] },
    });
    expect(await one('expect_column_pair_values_to_be_equal', { column_A: 'a', column_B: 'b', ignore_row_if: 'either_value_is_missing' })).toMatchObject({
      result: { missing_count: 2, unexpected_count: 2, unexpected_percent: 50, partial_unexpected_index_list: [0, 2] },
    });
    expect((await one('expect_column_pair_values_a_to_be_greater_than_b', { column_A: 'a', column_B: 'b' })).result.unexpected_count).toBe(5);
    expect(await one('expect_column_pair_values_a_to_be_greater_than_b', { column_A: 'a', column_B: 'b', or_equal: true })).toMatchObject({
      result: { unexpected_count: 3, partial_unexpected_index_list: [2, 3, 4] },
    });
  });

  it('compound uniqueness and multicolumn sums report the rows as column → value', async () => {
    // (name, color): rows 0 and 5 are both (ann, red).
    expect(await one('expect_compound_columns_to_be_unique', { column_list: ['name', 'color'] })).toMatchObject({
      success: false,
      result: {
        unexpected_count: 2, unexpected_percent: (2 / 6) * 100,
        partial_unexpected_list: [{ name: 'ann', color: 'red' }, { name: 'ann', color: 'red' }],
        partial_unexpected_counts: [{ value: ['ann', 'red'], count: 2 }], partial_unexpected_index_list: [0, 5],
      },
    });
    // p + q with missing as 0: 10, 10, 10, 10, 5, 10 → row 4 only.
    expect(await one('expect_multicolumn_sum_to_equal', { column_list: ['p', 'q'], sum_total: 10 })).toMatchObject({
      success: false, result: { unexpected_count: 1, partial_unexpected_list: [{ p: 5, q: null }], partial_unexpected_index_list: [4] },
    });
  });

  it('table columns as an ordered list and as a set', async () => {
    const columns = ['id', 'a', 'b', 'name', 'day', 'color', 'tie', 'p', 'q', 'x', 'ts', 'flag'];
    expect(await one('expect_table_columns_to_match_ordered_list', { column_list: columns })).toMatchObject({ success: true, result: { observed_value: columns } });
    const swapped = await one('expect_table_columns_to_match_ordered_list', { column_list: ['a', 'id', ...columns.slice(2), 'extra'] });
    expect(swapped.result.details).toEqual({
      mismatched: [{ 'Expected Column Position': 0, Expected: 'a', Found: 'id' }, { 'Expected Column Position': 1, Expected: 'id', Found: 'a' }, { 'Expected Column Position': 12, Expected: 'extra', Found: null }],
    });
    const subset = await one('expect_table_columns_to_match_set', { column_set: ['id', 'a'], exact_match: false });
    expect(subset).toMatchObject({ success: true, result: { details: { mismatched: { unexpected: columns.slice(2).sort() } } } });
    expect(await one('expect_table_columns_to_match_set', { column_set: ['id', 'zzz'], exact_match: false })).toMatchObject({ success: false, result: { details: { mismatched: { missing: ['zzz'] } } } });
    expect((await one('expect_table_columns_to_match_set', { column_set: columns })).success).toBe(true);
  });
});

describe('KL divergence with a partition object, as GE and scipy.stats.entropy compute it', () => {
  it('categorical: observed shares against the partition, unlisted values sharing tail_weight_holdout', async () => {
    // color: red 3/6, blue 2/6, green 1/6.
    const exact = await one('expect_column_kl_divergence_to_be_less_than', { column: 'color', threshold: 0.1, partition_object: { values: ['red', 'blue', 'green'], weights: [0.5, 0.25, 0.25] } });
    const kl = (1 / 3) * Math.log((1 / 3) / 0.25) + (1 / 6) * Math.log((1 / 6) / 0.25);
    expect(exact.success).toBe(true);
    expect(exact.result.observed_value).toBeCloseTo(kl, 12);
    // green is not listed: the listed weights shrink by 1 − 0.1 and green gets 0.1.
    const held = await one('expect_column_kl_divergence_to_be_less_than', { column: 'color', threshold: 0.01, tail_weight_holdout: 0.1, partition_object: { values: ['red', 'blue'], weights: [0.6, 0.4] } });
    expect(held.result.observed_value).toBeCloseTo(0.5 * Math.log(0.5 / 0.54) + (1 / 3) * Math.log((1 / 3) / 0.36) + (1 / 6) * Math.log((1 / 6) / 0.1), 12);
    expect(held.result.details).toEqual({
      observed_partition: { values: ['red', 'blue', 'green'], weights: [0.5, 1 / 3, 1 / 6] },
      expected_partition: { values: ['red', 'blue', 'green'], weights: [expect.closeTo(0.54, 12), expect.closeTo(0.36, 12), 0.1] },
    });
    // Without holdout green has expected weight 0: infinite, reported as null, and it fails.
    expect(await one('expect_column_kl_divergence_to_be_less_than', { column: 'color', threshold: 5, partition_object: { values: ['red', 'blue'], weights: [0.6, 0.4] } }))
      .toMatchObject({ success: false, result: { observed_value: null } });
  });

  it('continuous: np.histogram bins (last one closed), tails from tail_weight_holdout, infinite edges', async () => {
    // id 1..6 in [0,2) [2,4) [4,6]: 1, 2, 3 values.
    const plain = await one('expect_column_kl_divergence_to_be_less_than', { column: 'id', threshold: 0.1, partition_object: { bins: [0, 2, 4, 6], weights: [0.2, 0.3, 0.5] } });
    expect(plain.result.observed_value).toBeCloseTo((1 / 6) * Math.log((1 / 6) / 0.2) + (1 / 3) * Math.log((1 / 3) / 0.3), 12);
    // [2,4) [4,6] hold 2 and 3 values, 1 lies below: tails 0.1 each, bins 0.5·(1 − 0.2).
    const tails = await one('expect_column_kl_divergence_to_be_less_than', { column: 'id', threshold: 1, tail_weight_holdout: 0.2, partition_object: { bins: [2, 4, 6], weights: [0.5, 0.5] } });
    expect(tails.result.observed_value).toBeCloseTo((1 / 6) * Math.log((1 / 6) / 0.1) + (1 / 3) * Math.log((1 / 3) / 0.4) + 0.5 * Math.log(0.5 / 0.4), 12);
    expect(tails.result.details).toMatchObject({ observed_partition: { bins: [2, 4, 6], tail_weights: [1 / 6, 0] }, expected_partition: { weights: [0.4, 0.4], tail_weights: [0.1, 0.1] } });
    // (−∞, 3) holds 1, 2 and [3, ∞] holds 3..6.
    const infinite = await one('expect_column_kl_divergence_to_be_less_than', { column: 'id', threshold: 1, partition_object: { bins: ['-Infinity', 3, 'Infinity'], weights: [0.5, 0.5] } });
    expect(infinite.result.observed_value).toBeCloseTo((1 / 3) * Math.log(2 / 3) + (2 / 3) * Math.log(4 / 3), 12);
  });

  it('rejects a partition whose weights do not sum to 1, naming the field', () => {
    expect(() => suite({ expectation_type: 'expect_column_kl_divergence_to_be_less_than', kwargs: { column: 'x', threshold: 0.1, partition_object: { bins: [0, 1, 2], weights: [0.5, 0.4] } } }))
      .toThrow(/expectations\.0\.kwargs\.partition_object/);
  });
});

describe("GE's result_format levels", () => {
  const lengths: Expectation = { expectation_type: 'expect_column_value_lengths_to_be_between', kwargs: { column: 'name', min_value: 3, max_value: 4 } };
  it('BOOLEAN_ONLY, BASIC, SUMMARY and COMPLETE carry what GE puts in each', async () => {
    const [boolean, basic, summary, complete] = await Promise.all((['BOOLEAN_ONLY', 'BASIC', 'SUMMARY', 'COMPLETE'] as const).map((f) => run(f, lengths)));
    expect(boolean!.results[0]).toMatchObject({ success: false, result: {} });
    expect(Object.keys(boolean!.results[0]!.result)).toEqual([]);
    const base = {
      element_count: 6, unexpected_count: 2, unexpected_percent: 40, partial_unexpected_list: ['bo', 'carla'],
      missing_count: 1, missing_percent: (1 / 6) * 100, unexpected_percent_total: (2 / 6) * 100, unexpected_percent_nonmissing: 40,
    };
    expect(basic!.results[0]!.result).toEqual(base);
    expect(summary!.results[0]!.result).toEqual({ ...base, partial_unexpected_counts: [{ value: 'bo', count: 1 }, { value: 'carla', count: 1 }], partial_unexpected_index_list: [1, 2] });
    expect(complete!.results[0]!.result).toEqual({
      ...base, partial_unexpected_counts: [{ value: 'bo', count: 1 }, { value: 'carla', count: 1 }], partial_unexpected_index_list: [1, 2],
      unexpected_list: ['bo', 'carla'], unexpected_index_list: [1, 2],
    });
    // Aggregates keep their observed value except under BOOLEAN_ONLY.
    const median = { expectation_type: 'expect_column_median_to_be_between', kwargs: { column: 'a', min_value: 0 } };
    expect((await run('BOOLEAN_ONLY', median)).results[0]!.result).toEqual({});
    expect((await run('BASIC', median)).results[0]!.result).toEqual({ observed_value: 4 });
  });

  it('partial_unexpected_count limits the partial lists; an expectation\'s own result_format wins; Parquet rows are numbered too', async () => {
    const r = await run({ result_format: 'SUMMARY', partial_unexpected_count: 1 }, lengths, { ...lengths, kwargs: { ...lengths.kwargs, result_format: 'BOOLEAN_ONLY' } });
    expect(r.results[0]!.result).toMatchObject({ partial_unexpected_list: ['bo'], partial_unexpected_counts: [{ value: 'bo', count: 1 }], partial_unexpected_index_list: [1] });
    expect(r.results[1]!.result).toEqual({});
    const fromParquet = await validateFile(parquet, suite({ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'a' } }), Date.now(), new Map(), 'COMPLETE');
    expect(fromParquet.results[0]!.result).toMatchObject({ unexpected_count: 1, unexpected_index_list: [3], unexpected_list: [null] });
  });

  it('renders a self-contained HTML page with the verdict, each expectation and its unexpected values', async () => {
    const result = await run('COMPLETE', lengths, { expectation_type: 'expect_column_median_to_be_between', kwargs: { column: 'a', min_value: 0 } });
    const html = renderValidationHtml({ id: 'abc', versionId: 'v', suiteName: 'ge', suiteVersion: 2, success: result.success, result, createdBy: 'alice', createdAt: Date.UTC(2026, 0, 2) }, 'people@3');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('<title>Validation of people@3 against ge@2</title>');
    expect(html).toContain('Failed');
    expect(html).toContain('<td>2</td><td>1</td><td>1</td><td>50%</td>');
    expect(html).toContain('2 unexpected of 6 rows (40%, 1 missing)');
    expect(html).toContain('<code>bo</code> ×1');
    expect(html).toContain('rows: 1, 2');
  });
});
