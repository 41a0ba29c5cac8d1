import type { DuckDBConnection } from '@duckdb/node-api';
import { invalid } from '../../core/errors.js';
import { duckReader, type LocalFile } from '../datasets/data-file.js';
import { quoteIdent as q } from '../monitoring/file-table.js';
import { parseExpression, toSql } from './expression.js';
import type { EntityDef, FeatureViewDef, KeyType, OnlineRow } from './types.js';

/**
 * The offline path, in DuckDB: point-in-time joins for training sets (Feast's rule: for an entity row at time t,
 * the newest feature row with event time ≤ t and ≥ t − TTL, the later created time winning a tie), and the latest
 * row per entity for materialization. Both read a view's rows through `viewRows`, so they cannot disagree.
 */
export interface ViewInput {
  readonly view: FeatureViewDef;
  readonly entity: EntityDef;
  readonly files: readonly LocalFile[];
}

export const ENTITY_TIMESTAMP = 'event_timestamp';
/**
 * An instant as a UTC TIMESTAMP, whatever the column holds: a TIMESTAMP as it is (the cheap case, most Parquet), a
 * TIMESTAMPTZ or DATE cast, text (ISO with or without an offset) read as TIMESTAMPTZ. The connection runs in UTC.
 */
function utc(expr: string, type: string | undefined): string {
  if (type === 'TIMESTAMP') return expr;
  if (type === 'TIMESTAMP WITH TIME ZONE' || type === 'DATE' || type?.startsWith('TIMESTAMP_')) return `CAST(${expr} AS TIMESTAMP)`;
  return `CAST(CAST(${expr} AS TIMESTAMPTZ) AS TIMESTAMP)`;
}

async function columnType(connection: DuckDBConnection, from: string, column: string, files: readonly LocalFile[]): Promise<string | undefined> {
  try {
    const rows = await (await connection.run(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJson();
    return rows.find((r) => r.column_name === column)?.column_type as string | undefined;
  } catch (err) {
    throw invalid(hidePaths((err as Error).message, files));
  }
}
const sqlType = (t: KeyType) => (t === 'int64' ? 'BIGINT' : 'VARCHAR');
const keyColumn = (name: string) => q(`__k_${name}`);
const reader = (files: readonly LocalFile[]) => {
  const readers = files.map(duckReader);
  return readers.length === 1 ? readers[0]! : `(${readers.map((r) => `SELECT * FROM ${r}`).join(' UNION ALL BY NAME ')})`;
};

/** The join key as the online store keys it: the key values as text, in the entity's order. */
export const entityKey = (values: readonly string[]): string => JSON.stringify(values);

/** Normalizes a key value a client sent (a number or numeric text for int64) to its text form; undefined if it is not one. */
export function keyText(value: unknown, type: KeyType): string | undefined {
  if (type === 'string') return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim()).toString();
  return undefined;
}

/**
 * A view's rows, one per entity and event time (the latest created time kept), its keys cast to the entity's
 * key types as `__k_<key>`, the event time as `__ts`, and every schema feature cast to its type.
 */
function viewRows(v: ViewInput, tsType: string | undefined, where = ''): string {
  const src = v.view.source;
  const ts = utc(q(src.timestampField), tsType);
  const keys = v.entity.joinKeys.map((k) => `CAST(${q(k.name)} AS ${sqlType(k.type)}) AS ${keyColumn(k.name)}`);
  const features = v.view.schema.map((f) => `CAST(${q(f.name)} AS ${({ int64: 'BIGINT', float64: 'DOUBLE', string: 'VARCHAR', bool: 'BOOLEAN' })[f.type]}) AS ${q(f.name)}`);
  const created = src.createdField ? `${q(src.createdField)} DESC NULLS LAST` : '1';
  return `(SELECT * EXCLUDE (__created_rank) FROM (
    SELECT ${[...keys, `${ts} AS __ts`, ...features].join(', ')}, row_number() OVER (PARTITION BY ${v.entity.joinKeys.map((k) => `CAST(${q(k.name)} AS ${sqlType(k.type)})`).join(', ')}, ${ts} ORDER BY ${created}) AS __created_rank
    FROM ${reader(v.files)} WHERE ${ts} IS NOT NULL ${where}
  ) WHERE __created_rank = 1 AND ${v.entity.joinKeys.map((k) => `${keyColumn(k.name)} IS NOT NULL`).join(' AND ')})`;
}

async function run(connection: DuckDBConnection, sql: string, files: readonly LocalFile[]): Promise<void> {
  try {
    await connection.run(sql);
  } catch (err) {
    throw invalid(hidePaths((err as Error).message, files));
  }
}

const hidePaths = (message: string, files: readonly LocalFile[]) =>
  files.reduce((m, f) => (f.local === '' || f.local === f.name ? m : m.split(f.local).join(f.name)), message.split('\n')[0]!);

export interface Requested {
  readonly input: ViewInput;
  /** Feature names of the view (schema or derived) to output, in order. */
  readonly features: readonly string[];
}

export type OutputFormat = 'parquet' | 'csv' | 'json';

/**
 * Writes the training set to `out`: every entity row in its order, its columns as given, then each requested
 * feature as of the row's `event_timestamp`. Derived features are computed from the joined values.
 */
export async function pointInTimeJoin(connection: DuckDBConnection, entityFile: LocalFile, requested: readonly Requested[], out: { path: string; format: OutputFormat }): Promise<{ rows: number }> {
  const allFiles = [entityFile, ...requested.flatMap((r) => r.input.files)];
  await run(connection, `CREATE OR REPLACE TEMP TABLE __entity_raw AS SELECT * FROM ${duckReader(entityFile)}`, allFiles);
  const columns = (await (await connection.run('DESCRIBE __entity_raw')).getRowObjectsJson()).map((r) => String(r.column_name));
  if (!columns.includes(ENTITY_TIMESTAMP)) throw invalid(`The entity rows need an '${ENTITY_TIMESTAMP}' column (they have ${columns.join(', ')})`);
  const keyTypes = new Map<string, KeyType>();
  for (const r of requested) {
    for (const k of r.input.entity.joinKeys) {
      if (!columns.includes(k.name)) throw invalid(`The entity rows need the join key '${k.name}' of entity '${r.input.entity.name}' (feature view '${r.input.view.name}')`);
      if (keyTypes.has(k.name) && keyTypes.get(k.name) !== k.type) throw invalid(`Join key '${k.name}' has different types in the requested entities`);
      keyTypes.set(k.name, k.type);
    }
    for (const f of r.features) if (columns.includes(f)) throw invalid(`The entity rows already have a column '${f}'; drop it or request another feature`);
  }
  const keys = [...keyTypes].map(([name, type]) => `CAST(${q(name)} AS ${sqlType(type)}) AS ${keyColumn(name)}`);
  const entityTsType = await columnType(connection, '__entity_raw', ENTITY_TIMESTAMP, allFiles);
  await run(connection, `CREATE OR REPLACE TEMP TABLE __entity AS SELECT rowid AS __row, ${utc(q(ENTITY_TIMESTAMP), entityTsType)} AS __ets${keys.map((k) => `, ${k}`).join('')} FROM __entity_raw`, allFiles);
  const joins: string[] = [];
  const selects: string[] = [];
  const tsTypes = await Promise.all(requested.map((r) => columnType(connection, reader(r.input.files), r.input.view.source.timestampField, r.input.files)));
  requested.forEach((r, i) => {
    const v = r.input.view;
    const alias = `__v${i}`;
    const fresh = v.ttlSeconds > 0 ? `f.__ts >= e.__ets - INTERVAL '${v.ttlSeconds} seconds'` : 'f.__ts IS NOT NULL';
    const on = [...r.input.entity.joinKeys.map((k) => `e.${keyColumn(k.name)} = f.${keyColumn(k.name)}`), 'e.__ets >= f.__ts'].join(' AND ');
    joins.push(`LEFT JOIN (SELECT e.__row${v.schema.map((f) => `, CASE WHEN ${fresh} THEN f.${q(f.name)} END AS ${q(f.name)}`).join('')}
      FROM __entity e ASOF LEFT JOIN ${viewRows(r.input, tsTypes[i])} f ON ${on}) ${alias} ON ${alias}.__row = r.__row`);
    const derived = new Map(v.derived.map((d) => [d.name, d.expression]));
    for (const f of r.features) {
      const expression = derived.get(f);
      selects.push(expression !== undefined ? `${toSql(parseExpression(expression), (n) => `${alias}.${q(n)}`)} AS ${q(f)}` : `${alias}.${q(f)} AS ${q(f)}`);
    }
  });
  const query = `SELECT r.* EXCLUDE (__row)${selects.map((s) => `, ${s}`).join('')} FROM (SELECT rowid AS __row, * FROM __entity_raw) r ${joins.join('\n')} ORDER BY r.__row`;
  const format = out.format === 'json' ? "FORMAT json" : out.format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet';
  await run(connection, `COPY (${query}) TO '${out.path.replace(/'/g, "''")}' (${format})`, allFiles);
  const rows = Number((await (await connection.run('SELECT count(*) AS n FROM __entity_raw')).getRowObjectsJson())[0]!.n);
  await connection.run('DROP TABLE __entity; DROP TABLE __entity_raw');
  return { rows };
}

/** The newest row per entity with event time in [start, end] (epoch ms): what materialization writes online. */
export async function latestPerEntity(connection: DuckDBConnection, input: ViewInput, window: { start?: number | undefined; end: number }): Promise<OnlineRow[]> {
  const tsType = await columnType(connection, reader(input.files), input.view.source.timestampField, input.files);
  const ts = utc(q(input.view.source.timestampField), tsType);
  const where = `${window.start !== undefined ? `AND ${ts} >= epoch_ms(${Math.floor(window.start)}::BIGINT) ` : ''}AND ${ts} <= epoch_ms(${Math.floor(window.end)}::BIGINT)`;
  const keys = input.entity.joinKeys.map((k) => keyColumn(k.name));
  const sql = `SELECT ${keys.map((k, i) => `CAST(${k} AS VARCHAR) AS __key${i}`).join(', ')}, CAST(epoch_ms(__ts) AS DOUBLE) AS __t${input.view.schema.map((f) => `, ${q(f.name)}`).join('')}
    FROM ${viewRows(input, tsType, where)} QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY __ts DESC) = 1`;
  let rows: Record<string, unknown>[];
  try {
    rows = (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } catch (err) {
    throw invalid(hidePaths((err as Error).message, input.files));
  }
  const ints = new Set(input.view.schema.filter((f) => f.type === 'int64').map((f) => f.name));
  return rows.map((r) => ({
    key: entityKey(keys.map((_, i) => String(r[`__key${i}`]))),
    eventTime: Number(r.__t),
    values: Object.fromEntries(input.view.schema.map((f) => [f.name, r[f.name] === null || r[f.name] === undefined ? null : ints.has(f.name) ? Number(r[f.name]) : r[f.name]])),
  }));
}
