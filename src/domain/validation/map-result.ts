/**
 * GE's map expectations (one verdict per row) and their `result_format` levels, as GE's
 * `_format_map_output` builds them: BOOLEAN_ONLY gives only success; BASIC the counts, percentages and
 * `partial_unexpected_list`; SUMMARY adds `partial_unexpected_counts` and `partial_unexpected_index_list`;
 * COMPLETE adds every unexpected value and row index. Row indexes are 0-based positions in the file, as
 * pandas' default index numbers them. Everything is counted inside DuckDB; only the lists reach Node.
 */
import type { ExpectationResult, ResultFormatSpec } from './types.js';
import { percent, plain, rows, type Table } from './table.js';

export interface ResultFormat {
  readonly level: 'BOOLEAN_ONLY' | 'BASIC' | 'SUMMARY' | 'COMPLETE';
  readonly partialCount: number;
}

/** GE 1.x validates with SUMMARY unless told otherwise. */
export const DEFAULT_RESULT_FORMAT: ResultFormat = { level: 'SUMMARY', partialCount: 20 };

export function resultFormatOf(spec: ResultFormatSpec | undefined, fallback: ResultFormat = DEFAULT_RESULT_FORMAT): ResultFormat {
  if (spec === undefined) return fallback;
  if (typeof spec === 'string') return { level: spec, partialCount: 20 };
  return { level: spec.result_format, partialCount: spec.partial_unexpected_count ?? 20 };
}

export const needsRowIndex = (f: ResultFormat) => f.level === 'SUMMARY' || f.level === 'COMPLETE';

export interface MapQuery {
  /** Rows that count (GE's non-missing or filtered rows); absent for not-null, where every row counts. */
  readonly kept?: string;
  /** True for a counted row that breaks the expectation; may use a window over the counted rows. */
  readonly unexpected: string;
  /** The values shown for an unexpected row: one expression, or one per column of a pair or list. */
  readonly shown: readonly string[];
  /** 'value' for one column, 'pair' for GE's (A, B) tuples, 'columns' for GE's {column: value} dicts. */
  readonly shape: 'value' | 'pair' | 'columns';
  /** Column names, for the 'columns' shape. */
  readonly names?: readonly string[];
  readonly mostly?: number | undefined;
}

type Outcome = Omit<ExpectationResult, 'expectation_config'>;

export async function mapResult(t: Table, q: MapQuery, format: ResultFormat): Promise<Outcome> {
  const index = t.rowIndex ?? 'NULL';
  const values = q.shown.map((e, j) => `${e} AS __v${j}`).join(', ');
  const counted = `SELECT ${index} AS __i, ${values}, coalesce((${q.unexpected}), false) AS __bad FROM ${t.source}${q.kept ? ` WHERE ${q.kept}` : ''}`;
  const c = (await rows(t, `WITH r AS (${counted}) SELECT (SELECT count(*) FROM ${t.source})::DOUBLE AS n, count(*)::DOUBLE AS kept, count(*) FILTER (WHERE __bad)::DOUBLE AS bad FROM r`))[0] ?? {};
  const n = Number(c.n ?? 0);
  const kept = Number(c.kept ?? 0);
  const bad = Number(c.bad ?? 0);
  const success = kept === 0 || (kept - bad) / kept >= (q.mostly ?? 1);
  if (format.level === 'BOOLEAN_ONLY') return { success, result: {} };

  const shape = (r: Record<string, unknown>): unknown => {
    const vs = q.shown.map((_, j) => plain(r[`__v${j}`]));
    if (q.shape === 'value') return vs[0];
    if (q.shape === 'pair') return vs;
    return Object.fromEntries(q.names!.map((name, j) => [name, vs[j]]));
  };
  const order = t.rowIndex ? ' ORDER BY __i' : '';
  const complete = format.level === 'COMPLETE';
  const listed = bad === 0 ? [] : await rows(t, `WITH r AS (${counted}) SELECT * FROM r WHERE __bad${order}${complete ? '' : ` LIMIT ${format.partialCount}`}`);
  const unexpectedValues = listed.map(shape);
  const indexes = t.rowIndex ? listed.map((r) => Number(r.__i)) : undefined;
  // not-null has no missing rows of its own: GE leaves the missing fields out and takes percentages of all rows.
  const skipMissing = q.kept === undefined;
  const result: Record<string, unknown> = {
    element_count: n,
    unexpected_count: bad,
    unexpected_percent: skipMissing ? percent(bad, n) : n > 0 ? percent(bad, kept) : null,
    partial_unexpected_list: unexpectedValues.slice(0, format.partialCount),
  };
  if (!skipMissing) {
    Object.assign(result, {
      missing_count: n - kept, missing_percent: percent(n - kept, n),
      unexpected_percent_total: percent(bad, n), unexpected_percent_nonmissing: n > 0 ? percent(bad, kept) : null,
    });
  }
  if (format.level === 'BASIC') return { success, result };
  if (format.partialCount > 0) {
    // GE's Counter.most_common, ties by value: the most frequent unexpected values first.
    const vs = q.shown.map((_, j) => `__v${j}`).join(', ');
    const counts = bad === 0 ? [] : await rows(t, `WITH r AS (${counted}) SELECT ${vs}, count(*)::DOUBLE AS __n FROM r WHERE __bad GROUP BY ${vs} ORDER BY __n DESC, ${vs} LIMIT ${format.partialCount}`);
    result.partial_unexpected_counts = counts.map((r) => ({ value: q.shape === 'columns' ? q.shown.map((_, j) => plain(r[`__v${j}`])) : shape(r), count: Number(r.__n) }));
    if (indexes) result.partial_unexpected_index_list = indexes.slice(0, format.partialCount);
  }
  if (format.level === 'SUMMARY') return { success, result };
  result.unexpected_list = unexpectedValues;
  if (indexes) result.unexpected_index_list = indexes;
  return { success, result };
}
