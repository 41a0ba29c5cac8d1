import { invalid } from '../../core/errors.js';
import { openTables, type TableFiles } from '../datasets/data-file.js';
import { quoteIdent, readNumeric } from '../monitoring/file-table.js';
import { runStatTest, type Samples } from '../monitoring/stat-tests.js';
import { NumericSample } from '../monitoring/stats/sample.js';
import { evaluateMore, isMore } from './ge-expectations.js';
import { mapResult, needsRowIndex, resultFormatOf, type ResultFormat } from './map-result.js';
import { columnType, MissingColumn, NUMERIC, percent, rows, scalar, shownAs, sqlString, TypeProblem, type Table } from './table.js';
import { isPandasName, pandasDtype, typeMatches } from './type-names.js';
import type { Expectation, ExpectationResult, ExpectationType, ResultFormatSpec, Suite, ValidationResult } from './types.js';

/** A column's non-null values as drift tests take them: sorted finite numbers, or counts per category. */
async function sampleOf(t: Table, source: string, column: string, numeric: boolean): Promise<Float64Array | Map<string, number>> {
  const c = quoteIdent(column);
  if (numeric) {
    const read = await readNumeric(t.connection, column, `SELECT ${c}::DOUBLE FROM ${source} WHERE ${c} IS NOT NULL AND isfinite(${c}::DOUBLE) ORDER BY 1`);
    if (read.type === 'numeric') return read.values;
  }
  const counts = await rows(t, `SELECT ${c}::VARCHAR AS v, count(*)::DOUBLE AS n FROM ${source} WHERE ${c} IS NOT NULL GROUP BY 1 ORDER BY 1`);
  return new Map(counts.map((r) => [String(r.v), Number(r.n)]));
}

/**
 * PSI or KS of a column against the same column of a reference version, computed as Evidently computes
 * them (Sturges bins over both samples when the reference has more than 20 distinct numbers, else one bin
 * per value; empty bins filled before the logarithm), so the figures agree with a drift report.
 */
async function distribution(t: Table, column: string, reference: string, test: 'psi' | 'ks'): Promise<{ observed: number; details: Record<string, unknown> }> {
  const type = columnType(t, column);
  const ref = t.references.get(reference);
  if (!ref) throw new Error(`reference '${reference}' was not loaded`);
  const refType = ref.types.get(column);
  if (refType === undefined) throw new MissingColumn(column, ` in reference '${reference}'`);
  const numeric = NUMERIC.test(type) && NUMERIC.test(refType);
  if (test === 'ks' && !numeric) throw new TypeProblem(`KS needs a numeric column in both tables; '${column}' is ${type} here and ${refType} in '${reference}'`);
  const current = await sampleOf(t, t.source, column, numeric);
  const base = await sampleOf(t, ref.source, column, numeric);
  const size = (s: Float64Array | Map<string, number>) => (s instanceof Float64Array ? s.length : [...s.values()].reduce((a, b) => a + b, 0));
  if (size(current) === 0 || size(base) === 0) throw new TypeProblem(`column '${column}' has no values to compare${size(base) === 0 ? ` in reference '${reference}'` : ''}`);
  let samples: Samples;
  if (current instanceof Float64Array && base instanceof Float64Array) {
    // Sorted by DuckDB already (ORDER BY).
    samples = { type: 'numeric', reference: NumericSample.ofSorted(base), current: NumericSample.ofSorted(current) };
  } else {
    samples = { type: 'categorical', reference: base as Map<string, number>, current: current as Map<string, number> };
  }
  const outcome = runStatTest(test, samples);
  return {
    observed: outcome.score,
    details: { reference, ...(outcome.statistic !== undefined ? { statistic: outcome.statistic } : {}), ...(outcome.method ? { method: outcome.method } : {}), ...(outcome.binning ? { binning: outcome.binning } : {}) },
  };
}

/** A per-column map expectation: nulls are neither expected nor unexpected, as in GE (percentages are of the non-null values). */
function perRow(t: Table, column: string, unexpected: string, mostly: number | undefined, format: ResultFormat) {
  const c = quoteIdent(column);
  return mapResult(t, { kept: `${c} IS NOT NULL`, unexpected, shown: [`${c}::${shownAs(columnType(t, column))}`], shape: 'value', mostly }, format);
}

type Outcome = Omit<ExpectationResult, 'expectation_config'>;

/** The expectations with a verdict per row, whose SUMMARY and COMPLETE results list row indexes. */
const MAP_EXPECTATIONS = new Set<string>([
  'expect_column_values_to_not_be_null', 'expect_column_values_to_be_unique', 'expect_column_values_to_be_between', 'expect_column_values_to_be_in_set',
  'expect_column_values_to_match_regex', 'expect_column_values_to_not_match_regex', 'expect_column_value_lengths_to_be_between',
  'expect_column_values_to_match_strftime_format', 'expect_column_pair_values_to_be_equal', 'expect_column_pair_values_a_to_be_greater_than_b',
  'expect_compound_columns_to_be_unique', 'expect_multicolumn_sum_to_equal',
] satisfies ExpectationType[]);

async function evaluate(t: Table, e: Expectation, now: number, format: ResultFormat): Promise<Outcome> {
  if (isMore(e)) return evaluateMore(t, e, format);
  switch (e.expectation_type) {
    case 'expect_column_to_exist':
      return { success: t.types.has(e.kwargs.column), result: { observed_value: t.types.has(e.kwargs.column) } };
    case 'expect_column_values_to_be_of_type': {
      const type = columnType(t, e.kwargs.column);
      // Asked in pandas' words, the answer is in pandas' words too, with DuckDB's type beside it.
      const pandas = isPandasName(e.kwargs.type_);
      return { success: typeMatches(type, e.kwargs.type_), result: { observed_value: pandas ? pandasDtype(type) : type, ...(pandas ? { details: { duckdb_type: type } } : {}) } };
    }
    case 'expect_column_values_to_be_in_type_list': {
      const type = columnType(t, e.kwargs.column);
      const pandas = e.kwargs.type_list.some(isPandasName);
      return { success: e.kwargs.type_list.some((name) => typeMatches(type, name)), result: { observed_value: pandas ? pandasDtype(type) : type, ...(pandas ? { details: { duckdb_type: type } } : {}) } };
    }
    case 'expect_column_values_to_not_be_null': {
      const c = quoteIdent(e.kwargs.column);
      return mapResult(t, { unexpected: `${c} IS NULL`, shown: [`${c}::${shownAs(columnType(t, e.kwargs.column))}`], shape: 'value', mostly: e.kwargs.mostly }, format);
    }
    case 'expect_column_values_to_be_unique':
      // Every row holding a repeated value is unexpected, the first occurrence included (GE's definition).
      columnType(t, e.kwargs.column);
      return perRow(t, e.kwargs.column, `count(*) OVER (PARTITION BY ${quoteIdent(e.kwargs.column)}) > 1`, e.kwargs.mostly, format);
    case 'expect_column_values_to_be_between': {
      const { column, min_value: min, max_value: max } = e.kwargs;
      if (min === undefined && max === undefined) throw invalid('expect_column_values_to_be_between needs min_value or max_value');
      const c = quoteIdent(column);
      const breaks = [
        ...(min !== undefined ? [`${c} ${e.kwargs.strict_min ? '<=' : '<'} ${min}`] : []),
        ...(max !== undefined ? [`${c} ${e.kwargs.strict_max ? '>=' : '>'} ${max}`] : []),
      ];
      return perRow(t, column, breaks.join(' OR '), e.kwargs.mostly, format);
    }
    case 'expect_column_values_to_be_in_set': {
      const { column, value_set: set } = e.kwargs;
      const numeric = NUMERIC.test(columnType(t, column)) && set.every((v) => typeof v === 'number');
      const c = quoteIdent(column);
      const notIn = numeric ? `${c}::DOUBLE NOT IN (${set.join(', ')})` : `${c}::VARCHAR NOT IN (${set.map((v) => sqlString(String(v))).join(', ')})`;
      return perRow(t, column, notIn, e.kwargs.mostly, format);
    }
    case 'expect_column_values_to_match_regex':
      // Python's re.search, as GE uses: the pattern may match anywhere in the value.
      return perRow(t, e.kwargs.column, `NOT regexp_matches(${quoteIdent(e.kwargs.column)}::VARCHAR, ${sqlString(e.kwargs.regex)})`, e.kwargs.mostly, format);
    case 'expect_column_quantile_to_be_between': {
      // Linear interpolation between closest ranks (numpy's default).
      columnType(t, e.kwargs.column);
      const observed = await scalar(t, `SELECT quantile_cont(${quoteIdent(e.kwargs.column)}, ${e.kwargs.quantile})::DOUBLE AS v FROM ${t.source}`);
      const { min_value: min, max_value: max } = e.kwargs;
      return { success: observed !== null && (min === undefined || observed >= min) && (max === undefined || observed <= max), result: { observed_value: observed } };
    }
    case 'expect_column_max_to_be_recent': {
      columnType(t, e.kwargs.column);
      const newest = await scalar(t, `SELECT epoch_ms(max(${quoteIdent(e.kwargs.column)}::TIMESTAMP))::DOUBLE AS v FROM ${t.source}`);
      const ageSeconds = newest === null ? null : (now - newest) / 1000;
      return {
        success: ageSeconds !== null && ageSeconds <= e.kwargs.max_age_seconds,
        result: { observed_value: newest === null ? null : new Date(newest).toISOString(), ...(ageSeconds !== null ? { details: { age_seconds: ageSeconds } } : {}) },
      };
    }
    case 'expect_column_psi_to_be_less_than': {
      const { observed, details } = await distribution(t, e.kwargs.column, e.kwargs.reference, 'psi');
      return { success: observed < e.kwargs.threshold, result: { observed_value: observed, details } };
    }
    case 'expect_column_ks_p_value_to_be_greater_than': {
      // GE's KS expectation: the data pass while the p-value stays above the threshold (no evidence of drift).
      const { observed, details } = await distribution(t, e.kwargs.column, e.kwargs.reference, 'ks');
      return { success: observed > e.kwargs.threshold, result: { observed_value: observed, details } };
    }
  }
}

/** The `name@version` references of a suite's distribution expectations, each once. */
export function referencesOf(suite: Suite): string[] {
  return [...new Set(suite.expectations.flatMap((e) => ('reference' in e.kwargs ? [e.kwargs.reference] : [])))];
}

/**
 * The table with pandas' row numbers: a DuckDB table's rowid counts rows in insertion order, which is file
 * order; a file read in place (Parquet) is copied into one first.
 */
async function withRowIndex(connection: Table['connection'], source: string): Promise<{ source: string; rowIndex: string }> {
  try {
    await connection.run(`SELECT rowid FROM ${source} LIMIT 0`);
    return { source, rowIndex: 'rowid' };
  } catch {
    await connection.run(`CREATE TEMP TABLE validated AS SELECT * FROM ${source}`);
    return { source: 'validated', rowIndex: 'rowid' };
  }
}

/**
 * Runs a suite over a table (one CSV, Parquet or JSONL file, or all parts of a partitioned one) inside DuckDB: only counts and the listed values per
 * expectation, and the one column a distribution test compares reach Node. `references` holds the files
 * of the versions the distribution expectations name (see `referencesOf`).
 */
export async function validateFile(
  file: TableFiles, suite: Suite, now: number, references: ReadonlyMap<string, TableFiles> = new Map(), resultFormat?: ResultFormatSpec,
): Promise<ValidationResult> {
  const names = referencesOf(suite);
  const missing = names.find((r) => !references.has(r));
  if (missing !== undefined) throw invalid(`Reference '${missing}' of suite '${suite.name}' was not provided`);
  const tables = await openTables([file, ...names.map((r) => references.get(r)!)]);
  const { connection } = tables;
  try {
    const [source, ...referenceSources] = tables.sources;
    const [types, ...referenceTypes] = tables.types;
    const loaded = new Map(names.map((r, i) => [r, { source: referenceSources[i]!, types: referenceTypes[i]! }]));
    const suiteFormat = resultFormatOf(resultFormat);
    const formats = suite.expectations.map((e) => resultFormatOf(e.kwargs.result_format, suiteFormat));
    const table: Table = {
      connection, types: types!, columns: [...types!.keys()], references: loaded,
      // Only a map expectation lists rows: a suite of aggregates never pays for numbering them.
      ...(suite.expectations.some((e, i) => MAP_EXPECTATIONS.has(e.expectation_type) && needsRowIndex(formats[i]!))
        ? await withRowIndex(connection, source!)
        : { source: source!, rowIndex: null }),
    };
    const results: ExpectationResult[] = [];
    for (const [i, e] of suite.expectations.entries()) {
      const expectation_config = { expectation_type: e.expectation_type, kwargs: e.kwargs };
      try {
        const outcome = await evaluate(table, e, now, formats[i]!);
        results.push({ expectation_config, ...(formats[i]!.level === 'BOOLEAN_ONLY' ? { success: outcome.success, result: {} } : outcome) });
      } catch (err) {
        if (!(err instanceof MissingColumn) && !(err instanceof TypeProblem) && !/Conversion Error|Binder Error|Invalid Input/i.test((err as Error).message)) throw err;
        results.push({ expectation_config, success: false, result: {}, exception_info: { raised_exception: true, exception_message: (err as Error).message.split('\n')[0]! } });
      }
    }
    const successful = results.filter((r) => r.success).length;
    return {
      success: successful === results.length,
      suite_name: suite.name,
      statistics: {
        evaluated_expectations: results.length, successful_expectations: successful,
        unsuccessful_expectations: results.length - successful, success_percent: percent(successful, results.length),
      },
      results,
    };
  } finally {
    await tables.close();
  }
}
