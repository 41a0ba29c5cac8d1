/**
 * GE's core aggregate, set, multi-column and table expectations with GE's semantics (pandas execution
 * engine, GE 1.x): what counts as observed, how bounds and `mostly` apply, and the result fields.
 */
import { quoteIdent } from '../monitoring/file-table.js';
import { categoricalKl, continuousKl } from './kl-divergence.js';
import { mapResult, type ResultFormat } from './map-result.js';
import { columnType, inBounds, NUMERIC, plain, rows, scalar, shownAs, sqlString, TypeProblem, type Table } from './table.js';
import { edgeValue, type Expectation, type ExpectationResult, type ExpectationType } from './types.js';

const MORE = [
  'expect_table_row_count_to_be_between', 'expect_table_columns_to_match_ordered_list', 'expect_table_columns_to_match_set',
  'expect_column_mean_to_be_between', 'expect_column_median_to_be_between', 'expect_column_stdev_to_be_between', 'expect_column_sum_to_be_between',
  'expect_column_unique_value_count_to_be_between', 'expect_column_proportion_of_unique_values_to_be_between',
  'expect_column_quantile_values_to_be_between', 'expect_column_most_common_value_to_be_in_set',
  'expect_column_distinct_values_to_be_in_set', 'expect_column_distinct_values_to_contain_set', 'expect_column_distinct_values_to_equal_set',
  'expect_column_value_lengths_to_be_between', 'expect_column_values_to_match_strftime_format', 'expect_column_values_to_not_match_regex',
  'expect_column_pair_values_to_be_equal', 'expect_column_pair_values_a_to_be_greater_than_b',
  'expect_compound_columns_to_be_unique', 'expect_multicolumn_sum_to_equal', 'expect_column_kl_divergence_to_be_less_than',
] as const satisfies readonly ExpectationType[];
type More = Extract<Expectation, { expectation_type: (typeof MORE)[number] }>;
const MORE_SET = new Set<string>(MORE);
export const isMore = (e: Expectation): e is More => MORE_SET.has(e.expectation_type);

type Outcome = Omit<ExpectationResult, 'expectation_config'>;

/** Longest list a stored result keeps (distinct values, value counts); the verdict always uses all of them. */
const LIST_LIMIT = 1000;

async function aggregate(t: Table, column: string | undefined, expr: string, k: { min_value?: number | undefined; max_value?: number | undefined; strict_min?: boolean | undefined; strict_max?: boolean | undefined }): Promise<Outcome> {
  if (column !== undefined) columnType(t, column);
  const observed = await scalar(t, `SELECT (${expr})::DOUBLE AS v FROM ${t.source}`);
  return { success: inBounds(observed, k.min_value, k.max_value, k.strict_min, k.strict_max), result: { observed_value: observed } };
}

/** A JSON value as the column holds it, so set membership compares like with like (1 is not '1'). */
function keyOf(type: string) {
  const kind = shownAs(type);
  return (v: unknown): string => {
    if (kind === 'DOUBLE') return typeof v === 'number' ? `n:${v}` : `s:${String(v)}`;
    if (kind === 'BOOLEAN') return typeof v === 'boolean' ? `b:${v}` : `s:${String(v)}`;
    return `s:${String(v)}`;
  };
}

/** Non-null values with their counts, sorted by value (pandas' value_counts as GE sorts it). */
async function valueCounts(t: Table, column: string): Promise<{ value: unknown; count: number }[]> {
  const type = columnType(t, column);
  const c = quoteIdent(column);
  const found = await rows(t, `SELECT ${c}::${shownAs(type)} AS v, count(*)::DOUBLE AS n FROM ${t.source} WHERE ${c} IS NOT NULL GROUP BY 1 ORDER BY 1`);
  return found.map((r) => ({ value: plain(r.v), count: Number(r.n) }));
}

async function distinctSet(t: Table, e: Extract<More, { kwargs: { value_set?: unknown } }>, verdict: (observed: Set<string>, expected: Set<string>) => boolean): Promise<Outcome> {
  const column = (e.kwargs as { column: string }).column;
  const key = keyOf(columnType(t, column));
  const counts = await valueCounts(t, column);
  const expected = new Set((e.kwargs.value_set ?? []).map(key));
  const observed = new Set(counts.map((c) => key(c.value)));
  const truncated = counts.length > LIST_LIMIT;
  return {
    success: verdict(observed, expected),
    result: {
      observed_value: counts.slice(0, LIST_LIMIT).map((c) => c.value),
      details: { value_counts: counts.slice(0, LIST_LIMIT), ...(truncated ? { truncated_to: LIST_LIMIT, distinct_values: counts.length } : {}) },
    },
  };
}

/** numpy's `np.around`: halves go to the even neighbour. */
const roundHalfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** pandas' `Series.quantile(q, interpolation=…)` over the sorted non-null values. */
async function quantiles(t: Table, column: string, qs: readonly number[], interpolation: string): Promise<(number | null)[]> {
  const c = quoteIdent(column);
  const n = Number(await scalar(t, `SELECT count(${c})::DOUBLE AS v FROM ${t.source}`));
  if (n === 0) return qs.map(() => null);
  const at = async (i: number) => Number(await scalar(t, `SELECT ${c}::DOUBLE AS v FROM ${t.source} WHERE ${c} IS NOT NULL ORDER BY ${c} LIMIT 1 OFFSET ${i}`));
  const out: number[] = [];
  for (const q of qs) {
    const pos = (n - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    switch (interpolation) {
      case 'nearest': out.push(await at(roundHalfEven(pos))); break;
      case 'lower': out.push(await at(lo)); break;
      case 'higher': out.push(await at(hi)); break;
      case 'midpoint': out.push(((await at(lo)) + (await at(hi))) / 2); break;
      default: {
        const a = await at(lo);
        out.push(a + (pos - lo) * ((await at(hi)) - a));
      }
    }
  }
  return out;
}

/** Python's `math.isclose(a, b, rel_tol=1e-4)`, as GE's quantile ranges allow for rounding. */
const isClose = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(a), Math.abs(b)) : a === b);

/** Which rows of a column pair or list count, by GE's `ignore_row_if`. */
function keptRows(columns: readonly string[], ignore: string): string | undefined {
  const nulls = columns.map((c) => `${quoteIdent(c)} IS NULL`);
  switch (ignore) {
    case 'both_values_are_missing':
    case 'all_values_are_missing':
      return `NOT (${nulls.join(' AND ')})`;
    case 'either_value_is_missing':
    case 'any_value_is_missing':
      return `NOT (${nulls.join(' OR ')})`;
    default:
      return 'TRUE';
  }
}

const shownColumns = (t: Table, columns: readonly string[]) => columns.map((c) => `${quoteIdent(c)}::${shownAs(columnType(t, c))}`);

export async function evaluateMore(t: Table, e: More, format: ResultFormat): Promise<Outcome> {
  switch (e.expectation_type) {
    case 'expect_table_row_count_to_be_between':
      return aggregate(t, undefined, 'count(*)', e.kwargs);
    case 'expect_table_columns_to_match_ordered_list': {
      const actual = [...t.columns];
      const expected = e.kwargs.column_list;
      if (actual.length === expected.length && actual.every((c, i) => c === expected[i])) return { success: true, result: { observed_value: actual } };
      const mismatched = Array.from({ length: Math.max(actual.length, expected.length) }, (_, i) => ({ 'Expected Column Position': i, Expected: expected[i] ?? null, Found: actual[i] ?? null }))
        .filter((m) => m.Expected !== m.Found);
      return { success: false, result: { observed_value: actual, details: { mismatched } } };
    }
    case 'expect_table_columns_to_match_set': {
      const actual = new Set(t.columns);
      const expected = new Set(e.kwargs.column_set);
      const unexpected = [...actual].filter((c) => !expected.has(c)).sort();
      const missing = [...expected].filter((c) => !actual.has(c)).sort();
      if (unexpected.length === 0 && missing.length === 0) return { success: true, result: { observed_value: [...t.columns] } };
      const result = {
        observed_value: [...t.columns].sort(),
        details: { mismatched: { ...(unexpected.length ? { unexpected } : {}), ...(missing.length ? { missing } : {}) } },
      };
      return { success: (e.kwargs.exact_match ?? true) ? false : missing.length === 0, result };
    }
    case 'expect_column_mean_to_be_between':
      return aggregate(t, e.kwargs.column, `avg(${quoteIdent(e.kwargs.column)})`, e.kwargs);
    case 'expect_column_median_to_be_between':
      // pandas' median: the middle value, or the mean of the two middle ones.
      return aggregate(t, e.kwargs.column, `median(${quoteIdent(e.kwargs.column)}::DOUBLE)`, e.kwargs);
    case 'expect_column_stdev_to_be_between':
      // Sample standard deviation (n - 1), as pandas and GE compute it.
      return aggregate(t, e.kwargs.column, `stddev_samp(${quoteIdent(e.kwargs.column)})`, e.kwargs);
    case 'expect_column_sum_to_be_between':
      // pandas' sum skips nulls, and the sum of nothing is 0.
      return aggregate(t, e.kwargs.column, `coalesce(sum(${quoteIdent(e.kwargs.column)}::DOUBLE), 0)`, e.kwargs);
    case 'expect_column_unique_value_count_to_be_between':
      return aggregate(t, e.kwargs.column, `count(DISTINCT ${quoteIdent(e.kwargs.column)})`, e.kwargs);
    case 'expect_column_proportion_of_unique_values_to_be_between': {
      // Distinct non-null values over non-null values; undefined (and failing) without any.
      const c = quoteIdent(e.kwargs.column);
      return aggregate(t, e.kwargs.column, `count(DISTINCT ${c})::DOUBLE / nullif(count(${c}), 0)`, e.kwargs);
    }
    case 'expect_column_quantile_values_to_be_between': {
      const type = columnType(t, e.kwargs.column);
      if (!NUMERIC.test(type)) throw new TypeProblem(`quantiles need a numeric column; '${e.kwargs.column}' is ${type}`);
      const { quantiles: qs, value_ranges: ranges } = e.kwargs.quantile_ranges;
      const values = await quantiles(t, e.kwargs.column, qs, e.kwargs.allow_relative_error || 'nearest');
      const successDetails = ranges.map(([lo, hi], i) => {
        const v = values[i];
        if (v === null || v === undefined) return false;
        const low = lo ?? -Infinity;
        const high = hi ?? Infinity;
        return isClose(v, low) || isClose(v, high) || (low <= v && v <= high);
      });
      return { success: successDetails.every(Boolean), result: { observed_value: { quantiles: qs, values }, details: { success_details: successDetails } } };
    }
    case 'expect_column_most_common_value_to_be_in_set': {
      const key = keyOf(columnType(t, e.kwargs.column));
      const counts = await valueCounts(t, e.kwargs.column);
      const top = Math.max(0, ...counts.map((c) => c.count));
      const modes = counts.filter((c) => c.count === top && top > 0).map((c) => c.value);
      const expected = new Set(e.kwargs.value_set.map(key));
      const hits = new Set(modes.map(key).filter((k) => expected.has(k))).size;
      return { success: e.kwargs.ties_okay ? hits > 0 : modes.length === 1 && hits === 1, result: { observed_value: modes } };
    }
    case 'expect_column_distinct_values_to_be_in_set':
      return distinctSet(t, e, (observed, expected) => expected.size === 0 || [...observed].every((v) => expected.has(v)));
    case 'expect_column_distinct_values_to_contain_set':
      return distinctSet(t, e, (observed, expected) => [...expected].every((v) => observed.has(v)));
    case 'expect_column_distinct_values_to_equal_set':
      return distinctSet(t, e, (observed, expected) => observed.size === expected.size && [...expected].every((v) => observed.has(v)));
    case 'expect_column_value_lengths_to_be_between': {
      const { column, min_value: min, max_value: max } = e.kwargs;
      if (min === undefined && max === undefined) throw new TypeProblem('expect_column_value_lengths_to_be_between needs min_value or max_value');
      const len = `length(${quoteIdent(column)}::VARCHAR)`;
      const breaks = [...(min !== undefined ? [`${len} < ${min}`] : []), ...(max !== undefined ? [`${len} > ${max}`] : [])];
      return single(t, column, breaks.join(' OR '), e.kwargs.mostly, format);
    }
    case 'expect_column_values_to_match_strftime_format':
      // Python's datetime.strptime: the whole value must parse with the format (DuckDB's strptime takes the same codes).
      return single(t, e.kwargs.column, `try_strptime(${quoteIdent(e.kwargs.column)}::VARCHAR, ${sqlString(e.kwargs.strftime_format)}) IS NULL`, e.kwargs.mostly, format);
    case 'expect_column_values_to_not_match_regex':
      return single(t, e.kwargs.column, `regexp_matches(${quoteIdent(e.kwargs.column)}::VARCHAR, ${sqlString(e.kwargs.regex)})`, e.kwargs.mostly, format);
    case 'expect_column_pair_values_to_be_equal':
    case 'expect_column_pair_values_a_to_be_greater_than_b': {
      const { column_A: a, column_B: b } = e.kwargs;
      const [qa, qb] = [quoteIdent(a), quoteIdent(b)];
      // pandas compares a missing value as unequal to anything and never greater: such kept rows are unexpected.
      const holds = e.expectation_type === 'expect_column_pair_values_to_be_equal' ? `${qa} = ${qb}` : `${qa} ${e.kwargs.or_equal ? '>=' : '>'} ${qb}`;
      return mapResult(t, {
        kept: keptRows([a, b], e.kwargs.ignore_row_if ?? 'both_values_are_missing'), unexpected: `NOT coalesce(${holds}, false)`,
        shown: shownColumns(t, [a, b]), shape: 'pair', mostly: e.kwargs.mostly,
      }, format);
    }
    case 'expect_compound_columns_to_be_unique': {
      const columns = e.kwargs.column_list;
      // pandas' duplicated(keep=False): every row of a repeated combination, missing values equal to each other.
      return mapResult(t, {
        kept: keptRows(columns, e.kwargs.ignore_row_if ?? 'all_values_are_missing'),
        unexpected: `count(*) OVER (PARTITION BY ${columns.map(quoteIdent).join(', ')}) > 1`,
        shown: shownColumns(t, columns), shape: 'columns', names: columns, mostly: e.kwargs.mostly,
      }, format);
    }
    case 'expect_multicolumn_sum_to_equal': {
      const columns = e.kwargs.column_list;
      for (const c of columns) {
        const type = columnType(t, c);
        if (!NUMERIC.test(type)) throw new TypeProblem(`sums need numeric columns; '${c}' is ${type}`);
      }
      // pandas' row sum skips missing values.
      const sum = columns.map((c) => `coalesce(${quoteIdent(c)}::DOUBLE, 0)`).join(' + ');
      return mapResult(t, {
        kept: keptRows(columns, e.kwargs.ignore_row_if ?? 'all_values_are_missing'), unexpected: `(${sum}) <> ${e.kwargs.sum_total}`,
        shown: shownColumns(t, columns), shape: 'columns', names: columns, mostly: e.kwargs.mostly,
      }, format);
    }
    case 'expect_column_kl_divergence_to_be_less_than':
      return klDivergence(t, e);
  }
}

function single(t: Table, column: string, unexpected: string, mostly: number | undefined, format: ResultFormat) {
  const c = quoteIdent(column);
  return mapResult(t, { kept: `${c} IS NOT NULL`, unexpected, shown: [`${c}::${shownAs(columnType(t, column))}`], shape: 'value', mostly }, format);
}

async function klDivergence(t: Table, e: Extract<More, { expectation_type: 'expect_column_kl_divergence_to_be_less_than' }>): Promise<Outcome> {
  const { column, partition_object: partition, threshold } = e.kwargs;
  const options = { tailWeightHoldout: e.kwargs.tail_weight_holdout ?? 0, internalWeightHoldout: e.kwargs.internal_weight_holdout ?? 0 };
  const type = columnType(t, column);
  let outcome;
  if ('values' in partition) {
    const key = keyOf(type);
    const counts = new Map((await valueCounts(t, column)).map((c) => [key(c.value), c]));
    if (counts.size === 0) throw new TypeProblem(`column '${column}' has no values to compare`);
    outcome = categoricalKl(partition, counts, key, options);
  } else {
    if (e.kwargs.bucketize_data === false) throw new TypeProblem('KL Divergence cannot be computed with a continuous partition object and the bucketize_data parameter set to false.');
    if (!NUMERIC.test(type)) throw new TypeProblem(`a partition with bins needs a numeric column; '${column}' is ${type}`);
    const c = `${quoteIdent(column)}::DOUBLE`;
    const edges = partition.bins.map(edgeValue);
    const lit = (x: number) => (x === Infinity ? "'infinity'::DOUBLE" : x === -Infinity ? "'-infinity'::DOUBLE" : String(x));
    const last = edges.length - 2;
    // np.histogram's bins: [a, b) each, the last one [a, b].
    const bins = edges.slice(0, -1).map((lo, i) => `count(*) FILTER (WHERE ${c} >= ${lit(lo)} AND ${c} ${i === last ? '<=' : '<'} ${lit(edges[i + 1]!)})::DOUBLE AS b${i}`);
    const r = (await rows(t, `SELECT count(${c})::DOUBLE AS n, count(*) FILTER (WHERE ${c} < ${lit(edges[0]!)})::DOUBLE AS below, count(*) FILTER (WHERE ${c} > ${lit(edges[edges.length - 1]!)})::DOUBLE AS above, ${bins.join(', ')} FROM ${t.source}`))[0]!;
    const nonNull = Number(r.n);
    if (nonNull === 0) throw new TypeProblem(`column '${column}' has no values to compare`);
    outcome = continuousKl(partition, { histogram: bins.map((_, i) => Number(r[`b${i}`])), below: Number(r.below), above: Number(r.above), nonNull }, options);
  }
  const finite = Number.isFinite(outcome.divergence);
  return {
    success: threshold === null || outcome.divergence <= threshold,
    result: { observed_value: finite ? outcome.divergence : null, details: outcome.details },
  };
}
