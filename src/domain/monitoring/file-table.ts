/**
 * CSV, Parquet and JSON files as a TableSource, read through DuckDB one column per query: a report over
 * a wide file holds one column of each side at a time, and DuckDB reads Parquet column chunks without
 * touching the others.
 */
import type { DuckDBConnection, DuckDBInstance, DuckDBVector } from '@duckdb/node-api';
import { invalid } from '../../core/errors.js';
import type { Column, FeatureType, TableSource } from './table.js';

const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;

export interface FileTable extends TableSource {
  /** Whole columns as JSON values (numbers as numbers, the rest as text), for the few columns that need every value. */
  read(names: readonly string[]): Promise<Record<string, unknown[]>>;
  close(): void;
}

const literalOf = (file: string) => `'${file.replace(/'/g, "''")}'`;

function readerFor(file: string | readonly string[]): string {
  // Several files are the batches of one window: Parquet written by the server, read as one table.
  if (typeof file !== 'string') return `read_parquet([${file.map(literalOf).join(', ')}], union_by_name = true)`;
  const literal = literalOf(file);
  if (/\.parquet$/i.test(file)) return `read_parquet(${literal})`;
  if (/\.(csv|tsv)(\.gz)?$/i.test(file)) return `read_csv_auto(${literal})`;
  if (/\.(json|jsonl|ndjson)$/i.test(file)) return `read_json_auto(${literal})`;
  throw invalid(`Unsupported data file '${file}': use .parquet, .csv, .tsv, .json or .jsonl`);
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * DuckDB is loaded on first use: most servers never read a file report, and it costs ~20 MB resident. Its
 * memory is capped so a large CSV conversion spills to `tempDir` instead of growing the server.
 */
export async function openDuckDb(tempDir?: string): Promise<DuckDBInstance> {
  const { DuckDBInstance: Instance } = await import('@duckdb/node-api');
  return Instance.create(':memory:', { memory_limit: '512MB', ...(tempDir ? { temp_directory: tempDir } : {}) });
}

async function describe(connection: DuckDBConnection, file: string | readonly string[], source: string): Promise<Map<string, string>> {
  try {
    const described = await (await connection.run(`DESCRIBE SELECT * FROM ${source}`)).getRowObjects();
    return new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
  } catch (err) {
    throw invalid(`Cannot read '${typeof file === 'string' ? file : file.join(', ')}': ${(err as Error).message.split('\n')[0]}`);
  }
}

/** A whole file as columnar JSON (numbers as numbers, everything else as text): what the API's batches carry. */
export async function readColumns(file: string): Promise<Record<string, unknown[]>> {
  const instance = await openDuckDb();
  const connection = await instance.connect();
  try {
    const source = readerFor(file);
    const types = await describe(connection, file, source);
    if (types.size === 0) return {};
    const select = [...types].map(([name, type]) => `${quoteIdent(name)}::${NUMERIC_TYPES.test(type) ? 'DOUBLE' : 'VARCHAR'} AS ${quoteIdent(name)}`).join(', ');
    const result = await connection.runAndReadAll(`SELECT ${select} FROM ${source}`);
    const columns = result.getColumnsJson();
    return Object.fromEntries([...types.keys()].map((name, i) => [name, columns[i] ?? []]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * One DOUBLE column of a query's result. The query runs to completion inside DuckDB (on its own threads, so a
 * read started ahead overlaps the analysis of the column before) and its chunks are then copied out without
 * an await each: a streamed read would cost an event-loop round trip per 2,048 rows.
 */
export async function readNumeric(connection: DuckDBConnection, name: string, query: string): Promise<Column> {
  const result = await connection.run(query);
  const values = new Float64Array(result.rowCount);
  let at = 0;
  for (let k = 0; k < result.chunkCount; k++) {
    const chunk = result.getChunk(k);
    if (chunk.rowCount === 0) continue;
    const vector = chunk.getColumnVector(0);
    // The query coalesces NULL to NaN, so a DOUBLE vector's buffer is the whole column chunk: copy it at once
    // (item by item costs more than the rest of the analysis of that column).
    const items = doubleItems(vector);
    if (items) values.set(items, at);
    else for (let i = 0; i < chunk.rowCount; i++) values[at + i] = vector.getItem(i) as number;
    at += chunk.rowCount;
  }
  return { name, type: 'numeric', values: at === values.length ? values : values.subarray(0, at), typeMismatches: 0 };
}

/** A DOUBLE vector's values as DuckDB holds them (the package keeps the array private; `getItem` is slow). */
function doubleItems(vector: DuckDBVector): Float64Array | undefined {
  const items = (vector as unknown as { items?: unknown }).items;
  return items instanceof Float64Array && items.length === vector.itemCount ? items : undefined;
}

/**
 * One numeric column of a file, in no particular row order (every statistic of the report is order-free):
 * DuckDB gathers the column into a single list, which crosses into JavaScript as one array — one copy,
 * instead of a chunk object, a vector and a validity mask per 2,048 rows, whose allocation and finalizers
 * cost more than the rest of the read. A column too large for DuckDB's memory as one list is read chunk by chunk.
 */
async function readNumericColumn(connection: DuckDBConnection, name: string, column: string, source: string): Promise<Column> {
  const value = `coalesce(${column}::DOUBLE, 'NaN'::DOUBLE)`;
  let result;
  try {
    result = await connection.run(`SELECT list(${value}) FROM ${source}`);
  } catch {
    return readNumeric(connection, name, `SELECT ${value} FROM ${source}`);
  }
  // One row, whose list's values are the child vector (no rows: a NULL list with an empty child).
  const list = result.chunkCount > 0 ? (result.getChunk(0).getColumnVector(0) as { childVector?: DuckDBVector }) : undefined;
  const values = list?.childVector ? doubleItems(list.childVector) : undefined;
  if (!values) return readNumeric(connection, name, `SELECT ${value} FROM ${source}`);
  // A copy: the list's memory belongs to DuckDB's result.
  return { name, type: 'numeric', values: values.slice(), typeMismatches: 0 };
}

export async function openFileTable(file: string | readonly string[], tempDir?: string): Promise<FileTable> {
  const instance = await openDuckDb(tempDir);
  const connection: DuckDBConnection = await instance.connect();
  let types: Map<string, string>;
  let source: string;
  try {
    source = readerFor(file);
    types = await describe(connection, file, source);
  } catch (err) {
    connection.closeSync();
    instance.closeSync();
    throw err;
  }
  const count = await (await connection.run(`SELECT count(*)::DOUBLE AS n FROM ${source}`)).getRowObjects();
  return {
    rowCount: Number(count[0]?.n ?? 0),
    columnNames: [...types.keys()],
    inferType: async (name) => (NUMERIC_TYPES.test(types.get(name) ?? '') ? 'numeric' : 'categorical'),
    load: async (name, type: FeatureType) => {
      const column = quoteIdent(name);
      const isNumeric = NUMERIC_TYPES.test(types.get(name) ?? '');
      if (type === 'numeric' && isNumeric) return readNumericColumn(connection, name, column, source);
      // Categories are counted by DuckDB: only the distinct values and their counts cross into JavaScript.
      const rows = await (await connection.run(`SELECT ${column}::VARCHAR AS v, count(*)::DOUBLE AS n FROM ${source} GROUP BY 1`)).getRowObjects();
      const counts = new Map<string, number>();
      let missing = 0;
      for (const r of rows) {
        if (r.v === null) missing += Number(r.n);
        else counts.set(String(r.v), Number(r.n));
      }
      const total = missing + [...counts.values()].reduce((a, b) => a + b, 0);
      if (type === 'numeric') {
        // Text where the reference had numbers: every present value is a type mismatch.
        return { name, type: 'numeric', values: new Float64Array(total).fill(NaN), typeMismatches: total - missing };
      }
      return { name, type: 'categorical', rows: total, counts, missing, typeMismatches: 0 };
    },
    read: async (names) => {
      const present = names.filter((n) => types.has(n));
      if (present.length === 0) return {};
      const select = present.map((n) => `${quoteIdent(n)}::${NUMERIC_TYPES.test(types.get(n) ?? '') ? 'DOUBLE' : 'VARCHAR'}`).join(', ');
      const columns = (await connection.runAndReadAll(`SELECT ${select} FROM ${source}`)).getColumnsJson();
      return Object.fromEntries(present.map((n, i) => [n, columns[i] ?? []]));
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
