import type { DuckDBConnection } from '@duckdb/node-api';
import { invalid } from '../../core/errors.js';
import { openTables, type TableFiles } from '../datasets/data-file.js';
import { valueCounts } from '../monitoring/analysis.js';
import { quoteIdent, readNumeric } from '../monitoring/file-table.js';
import { runStatTest, type Samples } from '../monitoring/stat-tests.js';
import type { Expectation, ExpectationResult, Suite, ValidationResult } from './types.js';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
/** GE lists at most this many unexpected values. */
const PARTIAL_LIMIT = 20;

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const percent = (part: number, whole: number) => (whole === 0 ? null : (part / whole) * 100);

interface Table {
  readonly connection: DuckDBConnection;
  readonly source: string;
  readonly types: Map<string, string>;
  /** Reference tables of the distribution expectations, by the `name@version` the suite names them with. */
  readonly references: ReadonlyMap<string, { readonly source: string; readonly types: Map<string, string> }>;
}

async function rows(t: Table, query: string): Promise<Record<string, unknown>[]> {
  return (await t.connection.run(query)).getRowObjects() as Promise<Record<string, unknown>[]>;
}

async function scalar(t: Table, query: string): Promise<number | null> {
  const v = (await rows(t, query))[0]?.v;
  return v === null || v === undefined ? null : Number(v);
}

function columnType(t: Table, column: string): string {
  const type = t.types.get(column);
  if (type === undefined) throw new MissingColumn(column);
  return type;
}

class MissingColumn extends Error {
  constructor(column: string, where = '') {
    super(`column '${column}' does not exist${where}`);
  }
}

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
    samples = { type: 'numeric', reference: base, current, referenceDistinct: valueCounts(base).size, counts: () => ({ reference: valueCounts(base), current: valueCounts(current) }) };
  } else {
    samples = { type: 'categorical', reference: base as Map<string, number>, current: current as Map<string, number> };
  }
  const outcome = runStatTest(test, samples);
  return {
    observed: outcome.score,
    details: { reference, ...(outcome.statistic !== undefined ? { statistic: outcome.statistic } : {}), ...(outcome.method ? { method: outcome.method } : {}), ...(outcome.binning ? { binning: outcome.binning } : {}) },
  };
}

/** An expectation that cannot be evaluated on this data (wrong type, nothing to compare): it fails, the suite goes on. */
class TypeProblem extends Error {}

const inBounds = (v: number | null, min?: number, max?: number) => v !== null && (min === undefined || v >= min) && (max === undefined || v <= max);

/**
 * A per-row expectation: `unexpected` is a SQL condition true for a non-null value that breaks it. Nulls are
 * neither expected nor unexpected, as in GE: percentages are of the non-null values.
 */
async function perRow(t: Table, column: string, unexpected: string, mostly = 1, unexpectedRows?: string): Promise<Omit<ExpectationResult, 'expectation_config'>> {
  const type = columnType(t, column);
  const c = quoteIdent(column);
  const counts = (await rows(t, `SELECT count(*)::DOUBLE AS n, count(${c})::DOUBLE AS present, count(*) FILTER (WHERE ${c} IS NOT NULL AND (${unexpected}))::DOUBLE AS bad FROM ${t.source}`))[0] ?? {};
  const n = Number(counts.n ?? 0);
  const present = Number(counts.present ?? 0);
  const bad = Number(counts.bad ?? 0);
  const shown = `${c}::${NUMERIC.test(type) ? 'DOUBLE' : 'VARCHAR'}`;
  const partial = bad === 0 ? [] : (await rows(t, unexpectedRows ?? `SELECT ${shown} AS v FROM ${t.source} WHERE ${c} IS NOT NULL AND (${unexpected}) LIMIT ${PARTIAL_LIMIT}`)).map((r) => r.v);
  return {
    success: present === 0 || (present - bad) / present >= mostly,
    result: {
      element_count: n, missing_count: n - present, missing_percent: percent(n - present, n),
      unexpected_count: bad, unexpected_percent: percent(bad, present), partial_unexpected_list: partial,
    },
  };
}

async function aggregate(t: Table, column: string | undefined, expr: string, min?: number, max?: number): Promise<Omit<ExpectationResult, 'expectation_config'>> {
  if (column !== undefined) columnType(t, column);
  const observed = await scalar(t, `SELECT (${expr})::DOUBLE AS v FROM ${t.source}`);
  return { success: inBounds(observed, min, max), result: { observed_value: observed } };
}

async function evaluate(t: Table, e: Expectation, now: number): Promise<Omit<ExpectationResult, 'expectation_config'>> {
  switch (e.expectation_type) {
    case 'expect_column_to_exist':
      return { success: t.types.has(e.kwargs.column), result: { observed_value: t.types.has(e.kwargs.column) } };
    case 'expect_column_values_to_be_of_type': {
      const type = columnType(t, e.kwargs.column);
      return { success: type.toUpperCase() === e.kwargs.type_.toUpperCase(), result: { observed_value: type } };
    }
    case 'expect_column_values_to_not_be_null': {
      columnType(t, e.kwargs.column);
      const c = quoteIdent(e.kwargs.column);
      const counts = (await rows(t, `SELECT count(*)::DOUBLE AS n, count(${c})::DOUBLE AS present FROM ${t.source}`))[0] ?? {};
      const n = Number(counts.n ?? 0);
      const missing = n - Number(counts.present ?? 0);
      return {
        success: n === 0 || (n - missing) / n >= (e.kwargs.mostly ?? 1),
        result: { element_count: n, unexpected_count: missing, unexpected_percent: percent(missing, n), partial_unexpected_list: new Array(Math.min(missing, PARTIAL_LIMIT)).fill(null) },
      };
    }
    case 'expect_column_values_to_be_unique': {
      // Every row holding a repeated value is unexpected, the first occurrence included (GE's definition).
      const c = quoteIdent(e.kwargs.column);
      const shown = `${c}::${NUMERIC.test(columnType(t, e.kwargs.column)) ? 'DOUBLE' : 'VARCHAR'}`;
      const repeated = `${c} IN (SELECT ${c} FROM ${t.source} WHERE ${c} IS NOT NULL GROUP BY ${c} HAVING count(*) > 1)`;
      return perRow(t, e.kwargs.column, repeated, e.kwargs.mostly, `SELECT ${shown} AS v FROM ${t.source} WHERE ${repeated} LIMIT ${PARTIAL_LIMIT}`);
    }
    case 'expect_column_values_to_be_between': {
      const { column, min_value: min, max_value: max } = e.kwargs;
      if (min === undefined && max === undefined) throw invalid('expect_column_values_to_be_between needs min_value or max_value');
      const c = quoteIdent(column);
      const breaks = [
        ...(min !== undefined ? [`${c} ${e.kwargs.strict_min ? '<=' : '<'} ${min}`] : []),
        ...(max !== undefined ? [`${c} ${e.kwargs.strict_max ? '>=' : '>'} ${max}`] : []),
      ];
      return perRow(t, column, breaks.join(' OR '), e.kwargs.mostly);
    }
    case 'expect_column_values_to_be_in_set': {
      const { column, value_set: set } = e.kwargs;
      const numeric = NUMERIC.test(columnType(t, column)) && set.every((v) => typeof v === 'number');
      const c = quoteIdent(column);
      const notIn = numeric ? `${c}::DOUBLE NOT IN (${set.join(', ')})` : `${c}::VARCHAR NOT IN (${set.map((v) => sqlString(String(v))).join(', ')})`;
      return perRow(t, column, notIn, e.kwargs.mostly);
    }
    case 'expect_column_values_to_match_regex':
      // Python's re.search, as GE uses: the pattern may match anywhere in the value.
      return perRow(t, e.kwargs.column, `NOT regexp_matches(${quoteIdent(e.kwargs.column)}::VARCHAR, ${sqlString(e.kwargs.regex)})`, e.kwargs.mostly);
    case 'expect_table_row_count_to_be_between':
      return aggregate(t, undefined, 'count(*)', e.kwargs.min_value, e.kwargs.max_value);
    case 'expect_column_mean_to_be_between':
      return aggregate(t, e.kwargs.column, `avg(${quoteIdent(e.kwargs.column)})`, e.kwargs.min_value, e.kwargs.max_value);
    case 'expect_column_median_to_be_between':
      return aggregate(t, e.kwargs.column, `median(${quoteIdent(e.kwargs.column)})`, e.kwargs.min_value, e.kwargs.max_value);
    case 'expect_column_stdev_to_be_between':
      // Sample standard deviation (n - 1), as pandas and GE compute it.
      return aggregate(t, e.kwargs.column, `stddev_samp(${quoteIdent(e.kwargs.column)})`, e.kwargs.min_value, e.kwargs.max_value);
    case 'expect_column_quantile_to_be_between':
      // Linear interpolation between closest ranks (numpy's default).
      return aggregate(t, e.kwargs.column, `quantile_cont(${quoteIdent(e.kwargs.column)}, ${e.kwargs.quantile})`, e.kwargs.min_value, e.kwargs.max_value);
    case 'expect_column_unique_value_count_to_be_between':
      return aggregate(t, e.kwargs.column, `count(DISTINCT ${quoteIdent(e.kwargs.column)})`, e.kwargs.min_value, e.kwargs.max_value);
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
 * Runs a suite over a table (one CSV, Parquet or JSONL file, or all parts of a partitioned one) inside DuckDB: only counts, at most 20 values per
 * expectation, and the one column a distribution test compares reach Node. `references` holds the files
 * of the versions the distribution expectations name (see `referencesOf`).
 */
export async function validateFile(file: TableFiles, suite: Suite, now: number, references: ReadonlyMap<string, TableFiles> = new Map()): Promise<ValidationResult> {
  const names = referencesOf(suite);
  const missing = names.find((r) => !references.has(r));
  if (missing !== undefined) throw invalid(`Reference '${missing}' of suite '${suite.name}' was not provided`);
  const tables = await openTables([file, ...names.map((r) => references.get(r)!)]);
  const { connection } = tables;
  try {
    const [source, ...referenceSources] = tables.sources;
    const [types, ...referenceTypes] = tables.types;
    const loaded = new Map(names.map((r, i) => [r, { source: referenceSources[i]!, types: referenceTypes[i]! }]));
    const table: Table = { connection, source: source!, types: types!, references: loaded };
    const results: ExpectationResult[] = [];
    for (const e of suite.expectations) {
      const expectation_config = { expectation_type: e.expectation_type, kwargs: e.kwargs };
      try {
        results.push({ expectation_config, ...(await evaluate(table, e, now)) });
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
