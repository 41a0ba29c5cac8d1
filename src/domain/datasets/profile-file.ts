import { quoteIdent } from '../monitoring/file-table.js';
import { openTables, unreadable, type LocalFile } from './data-file.js';
import type { ColumnProfile } from './types.js';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const TOP_VALUES = 5;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Row count, schema and per-column profile in two scans inside DuckDB, so a file is never loaded into Node
 * one pass for counts, ranges, moments, approximate quantiles and candidate top values, one to count those
 * candidates exactly. Distinct counts are HyperLogLog estimates and quantiles are DuckDB's `approx_quantile`
 * (t-digest), as its own SUMMARIZE reports them: both stay cheap on a billion rows.
 */
export async function profileFile(file: LocalFile): Promise<{ rowCount: number; schema: { name: string; type: string }[]; profile: ColumnProfile[] }> {
  const tables = await openTables([file]);
  const source = tables.sources[0]!;
  const json = async (query: string) => (await (await tables.connection.run(query)).getRowObjectsJson()) as Record<string, unknown>[];
  try {
    const columns = [...tables.types[0]!].map(([name, type]) => ({ name, type }));
    let stats: Record<string, unknown>;
    try {
      const aggregates = columns.flatMap(({ name, type }, i) => {
        const c = quoteIdent(name);
        const common = [`count(${c})::DOUBLE AS n${i}`, `approx_count_distinct(${c})::DOUBLE AS d${i}`];
        if (NUMERIC.test(type)) {
          return [...common, `min(${c})::DOUBLE AS lo${i}`, `max(${c})::DOUBLE AS hi${i}`, `avg(${c})::DOUBLE AS mean${i}`, `stddev_samp(${c})::DOUBLE AS std${i}`,
            `approx_quantile(${c}::DOUBLE, [0.25, 0.5, 0.75]) AS q${i}`];
        }
        return [...common, `min(${c})::VARCHAR AS lo${i}`, `max(${c})::VARCHAR AS hi${i}`, `approx_top_k(${c}::VARCHAR, ${TOP_VALUES}) AS top${i}`];
      });
      stats = (await json(`SELECT count(*)::DOUBLE AS row_count${aggregates.length ? `, ${aggregates.join(', ')}` : ''} FROM ${source}`))[0] ?? {};
    } catch (err) {
      throw await unreadable(file, err);
    }
    const rowCount = Number(stats.row_count ?? 0);
    const candidates = columns.flatMap(({ name }, i) => ((stats[`top${i}`] as (string | null)[] | undefined) ?? []).filter((v): v is string => v !== null).map((value) => ({ i, name, value })));
    const counted = candidates.length === 0 ? {} : (await json(`SELECT ${candidates.map((t, k) => `count(*) FILTER (WHERE ${quoteIdent(t.name)}::VARCHAR = ${sqlString(t.value)})::DOUBLE AS t${k}`).join(', ')} FROM ${source}`))[0] ?? {};
    const profile = columns.map(({ name, type }, i): ColumnProfile => {
      const base = { name, type, nullCount: rowCount - Number(stats[`n${i}`] ?? 0), distinctCount: Number(stats[`d${i}`] ?? 0) };
      if (NUMERIC.test(type)) {
        const q = (stats[`q${i}`] as (number | null)[] | null) ?? [];
        return { ...base, min: num(stats[`lo${i}`]), max: num(stats[`hi${i}`]), mean: num(stats[`mean${i}`]), std: num(stats[`std${i}`]), q25: num(q[0]), q50: num(q[1]), q75: num(q[2]) };
      }
      const topValues = candidates.flatMap((t, k) => (t.i === i ? [{ value: t.value, count: Number(counted[`t${k}`] ?? 0) }] : [])).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
      return { ...base, min: (stats[`lo${i}`] as string | null) ?? null, max: (stats[`hi${i}`] as string | null) ?? null, topValues };
    });
    return { rowCount, schema: columns, profile };
  } finally {
    await tables.close();
  }
}
