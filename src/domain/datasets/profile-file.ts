import { invalid } from '../../core/errors.js';
import { quoteIdent } from '../monitoring/file-table.js';
import { openTables, unreadable, withoutServerPaths, type LocalFile } from './data-file.js';
import { EXACT_PROFILE_ROWS, type ApproximateFigures, type ColumnProfile, type PartProfile, type SchemaDifference } from './types.js';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const TOP_VALUES = 5;

/** Above the limit, quartiles come from a uniform reservoir sample of this many rows. */
export const QUANTILE_SAMPLE_ROWS = 1_000_000;
/** DuckDB's `approx_count_distinct` is a HyperLogLog of 64 registers: relative standard error 1.04/√64. */
const HLL_RELATIVE_STANDARD_ERROR = 1.04 / Math.sqrt(64);
const CONFIDENCE = 0.99;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Dvoretzky–Kiefer–Wolfowitz: the empirical distribution of n sampled values is within ε of the true one
 * everywhere with probability 1 − α when ε = √(ln(2/α) / 2n). A sampled quartile is then a value whose true
 * rank lies within ±ε of 0.25, 0.5 or 0.75.
 */
export const dkwRankError = (n: number, confidence = CONFIDENCE): number => Math.sqrt(Math.log(2 / (1 - confidence)) / (2 * n));

export interface TableProfile {
  readonly rowCount: number;
  readonly schema: { name: string; type: string }[];
  readonly profile: ColumnProfile[];
  /** Each file on its own, when the table has more than one. */
  readonly parts: PartProfile[] | null;
  readonly schemaDifferences: SchemaDifference[];
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** One source's row count and column profiles, a query per column so memory is bounded by one column. */
async function profileSource(run: Query, source: string, columns: readonly { name: string; type: string }[], exactRows: number): Promise<{ rowCount: number; profile: ColumnProfile[] }> {
  const rowCount = Number((await run(`SELECT count(*)::DOUBLE AS n FROM ${source}`))[0]?.n ?? 0);
  const exact = rowCount <= exactRows;
  // One sample for all columns: a scan per column would cost more than the exact figures it replaces.
  const sampled = `sample_${source.replace(/\W/g, '_')}`;
  if (!exact) await run(`CREATE OR REPLACE TEMP TABLE ${sampled} AS SELECT * FROM ${source} USING SAMPLE reservoir(${QUANTILE_SAMPLE_ROWS} ROWS) REPEATABLE (1)`);
  const profile: ColumnProfile[] = [];
  for (const { name, type } of columns) {
    const c = quoteIdent(name);
    const numeric = NUMERIC.test(type);
    const distinct = exact ? `count(DISTINCT ${c})` : `approx_count_distinct(${c})`;
    const figures = numeric
      ? [`min(${c})::DOUBLE AS lo`, `max(${c})::DOUBLE AS hi`, `avg(${c})::DOUBLE AS mean`, `stddev_samp(${c})::DOUBLE AS std`, ...(exact ? [`quantile_cont(${c}::DOUBLE, [0.25, 0.5, 0.75]) AS q`] : [])]
      : [`min(${c})::VARCHAR AS lo`, `max(${c})::VARCHAR AS hi`, `approx_top_k(${c}::VARCHAR, ${TOP_VALUES}) AS top`];
    const stats = (await run(`SELECT count(${c})::DOUBLE AS n, ${distinct}::DOUBLE AS d, ${figures.join(', ')} FROM ${source}`))[0] ?? {};
    const present = Number(stats.n ?? 0);
    const base = { name, type, nullCount: rowCount - present, distinctCount: Number(stats.d ?? 0) };
    if (numeric) {
      let q = (stats.q as (number | null)[] | null | undefined) ?? [];
      let approximate: ApproximateFigures | undefined;
      if (!exact) {
        const row = (await run(`SELECT quantile_cont(${c}::DOUBLE, [0.25, 0.5, 0.75]) AS q, count(${c})::DOUBLE AS n FROM ${sampled}`))[0] ?? {};
        q = (row.q as (number | null)[] | null) ?? [];
        const n = Number(row.n ?? 0);
        approximate = {
          distinctCount: { method: 'hyperloglog', relativeStandardError: HLL_RELATIVE_STANDARD_ERROR },
          ...(n > 0 ? { quantiles: { method: 'reservoir sample', sampleSize: n, rankError: dkwRankError(n), confidence: CONFIDENCE } } : {}),
        };
      }
      profile.push({
        ...base, min: num(stats.lo), max: num(stats.hi), mean: num(stats.mean), std: num(stats.std), q25: num(q[0]), q50: num(q[1]), q75: num(q[2]),
        ...(approximate ? { approximate } : {}),
      });
      continue;
    }
    // Candidates come from a sketch; their counts are exact.
    const candidates = ((stats.top as (string | null)[] | undefined) ?? []).filter((v): v is string => v !== null);
    const counted = candidates.length === 0 ? {} : (await run(`SELECT ${candidates.map((v, k) => `count(*) FILTER (WHERE ${c}::VARCHAR = ${sqlString(v)})::DOUBLE AS t${k}`).join(', ')} FROM ${source}`))[0] ?? {};
    const topValues = candidates.map((value, k) => ({ value, count: Number(counted[`t${k}`] ?? 0) })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
    profile.push({
      ...base, min: (stats.lo as string | null) ?? null, max: (stats.hi as string | null) ?? null, topValues,
      ...(exact ? {} : { approximate: { distinctCount: { method: 'hyperloglog', relativeStandardError: HLL_RELATIVE_STANDARD_ERROR } } }),
    });
  }
  return { rowCount, profile };
}

/** Columns that are not the same in every part: missing from some, or of another type in some. */
export function schemaDifferences(parts: readonly { path: string; schema: readonly { name: string; type: string }[] }[]): SchemaDifference[] {
  const names = [...new Set(parts.flatMap((p) => p.schema.map((c) => c.name)))];
  return names.flatMap((column) => {
    const missingFrom = parts.filter((p) => !p.schema.some((c) => c.name === column)).map((p) => p.path);
    const types: Record<string, string[]> = {};
    for (const p of parts) {
      const type = p.schema.find((c) => c.name === column)?.type;
      if (type !== undefined) (types[type] ??= []).push(p.path);
    }
    return missingFrom.length > 0 || Object.keys(types).length > 1 ? [{ column, missingFrom, types }] : [];
  });
}

/**
 * Row count, schema and per-column profile of a table, inside DuckDB so rows never reach Node. A table of
 * several files is profiled as a whole (their union by column name) and file by file, and the columns that
 * differ between files are listed. Exact up to `exactRows` rows; above it, distinct counts are HyperLogLog
 * estimates and quartiles come from a sample, each labelled with its error bound.
 */
export async function profileTable(files: readonly LocalFile[], exactRows = EXACT_PROFILE_ROWS): Promise<TableProfile> {
  const tables = await openTables([files]);
  const run: Query = async (query) => (await (await tables.connection.run(query)).getRowObjectsJson()) as Record<string, unknown>[];
  try {
    const columnsOf = (types: Map<string, string>) => [...types].map(([name, type]) => ({ name, type }));
    const schema = columnsOf(tables.types[0]!);
    try {
      const whole = await profileSource(run, tables.sources[0]!, schema, exactRows);
      const opened = tables.parts[0]!;
      if (opened.length === 1) return { rowCount: whole.rowCount, schema, profile: whole.profile, parts: null, schemaDifferences: [] };
      const parts: PartProfile[] = [];
      for (const part of opened) {
        const partSchema = columnsOf(part.types);
        parts.push({ path: part.file.name, schema: partSchema, ...(await profileSource(run, part.source, partSchema, exactRows)) });
      }
      return { rowCount: whole.rowCount, schema, profile: whole.profile, parts, schemaDifferences: schemaDifferences(parts) };
    } catch (err) {
      if (files.length === 1) throw await unreadable(files[0]!, err);
      const first = withoutServerPaths((err as Error).message ?? String(err), files).split('\n').map((l) => l.trim()).find(Boolean);
      throw invalid(`Cannot read the parts ${files.map((f) => `'${f.name}'`).join(', ')} together: ${first ?? 'unknown error'}`);
    }
  } finally {
    await tables.close();
  }
}
