import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { DuckDBConnection } from '@duckdb/node-api';
import { invalid, type DomainError } from '../../core/errors.js';

/** Files whose rows the platform understands; the first of them (by path) is a version's table. */
export const TABULAR = /\.(parquet|csv|tsv|jsonl|ndjson|json)$/i;

/** A file DuckDB can read: where it is on this machine, and the dataset path that says what format it is. */
export interface LocalFile {
  readonly local: string;
  readonly name: string;
}

const delimiterOf = (name: string) => (/\.tsv$/i.test(name) ? '\t' : ',');

/**
 * The DuckDB table function for a file. Blobs have no extension, so the format comes from the dataset path.
 * CSV gets its delimiter fixed: left to sniff, DuckDB reads a ragged file as one text column instead of failing.
 */
export function duckReader(file: LocalFile): string {
  const literal = `'${file.local.replace(/'/g, "''")}'`;
  if (/\.parquet$/i.test(file.name)) return `read_parquet(${literal})`;
  if (/\.(csv|tsv)$/i.test(file.name)) return `read_csv(${literal}, delim = '${delimiterOf(file.name) === '\t' ? '\\t' : ','}', header = true)`;
  if (/\.(json|jsonl|ndjson)$/i.test(file.name)) return `read_json_auto(${literal})`;
  throw invalid(`Unsupported data file '${file.name}': use .parquet, .csv, .tsv, .json or .jsonl`);
}

/**
 * The first line whose field count differs from the header's, counted with RFC 4180 quoting (a quoted field
 * may hold delimiters and line breaks). Only run after DuckDB has failed, to say which row is at fault.
 */
export async function firstRaggedLine(local: string, delimiter: string): Promise<{ line: number; fields: number; expected: number } | undefined> {
  const lines = createInterface({ input: createReadStream(local, { encoding: 'utf8' }), crlfDelay: Infinity });
  let expected: number | undefined;
  let fields = 1;
  let quoted = false;
  let line = 0;
  let start = 0;
  try {
    for await (const text of lines) {
      line++;
      if (!quoted) {
        fields = 1;
        start = line;
      }
      for (const ch of text) {
        if (ch === '"') quoted = !quoted;
        else if (ch === delimiter && !quoted) fields++;
      }
      if (quoted || (text === '' && fields === 1)) continue;
      if (expected === undefined) expected = fields;
      else if (fields !== expected) return { line: start, fields, expected };
    }
  } finally {
    lines.close();
  }
  return undefined;
}

/** A DuckDB message with the local copies' paths replaced by the files' names in the dataset: errors never show where the server keeps them. */
export function withoutServerPaths(message: string, files: readonly LocalFile[]): string {
  return files.reduce((m, f) => (f.local === '' ? m : m.split(f.local).join(f.name)), message);
}

/** A read failure as one line that names the file and, for a ragged CSV, the row. */
export async function unreadable(file: LocalFile, err: unknown): Promise<DomainError> {
  const message = withoutServerPaths((err as Error).message ?? String(err), [file]);
  if (/\.(csv|tsv)$/i.test(file.name)) {
    const ragged = await firstRaggedLine(file.local, delimiterOf(file.name)).catch(() => undefined);
    if (ragged) return invalid(`Cannot read '${file.name}': line ${ragged.line} has ${ragged.fields} fields where the header has ${ragged.expected}`);
  }
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  const csvError = lines[0]?.includes('CSV Error on Line') ? lines.slice(0, 3).join('; ') : lines[0];
  return invalid(`Cannot read '${file.name}': ${csvError ?? 'unknown error'}`);
}

/**
 * The connection with every query error's message rid of the server's paths (local copies become the files'
 * dataset names, the temporary folder `<temp>`), whichever module's query failed.
 */
function hidingServerPaths(connection: DuckDBConnection, files: readonly LocalFile[], dir: string | undefined): DuckDBConnection {
  const scrub = (err: unknown) => {
    if (!(err instanceof Error)) return err;
    let message = withoutServerPaths(err.message, files);
    if (dir) message = message.split(dir).join('<temp>');
    if (message === err.message) return err;
    const clean = new Error(message);
    clean.name = err.name;
    return clean;
  };
  return new Proxy(connection, {
    get(target, property) {
      if (property === 'run') return (...args: Parameters<DuckDBConnection['run']>) => target.run(...args).catch((err: unknown) => Promise.reject(scrub(err)));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A table: one file, or the parts of a partitioned table (read together by column name). */
export type TableFiles = LocalFile | readonly LocalFile[];

const partsOf = (table: TableFiles): readonly LocalFile[] => ('local' in table ? [table as LocalFile] : (table as readonly LocalFile[]));

/** Files opened in one DuckDB connection: `sources[i]` is what a query selects FROM for table `i`. */
export interface OpenTables {
  readonly connection: DuckDBConnection;
  readonly sources: readonly string[];
  readonly types: readonly Map<string, string>[];
  /** Each file of table `i` on its own, in the order given. */
  readonly parts: readonly (readonly { readonly file: LocalFile; readonly source: string; readonly types: Map<string, string> }[])[];
  close(): Promise<void>;
}

/**
 * Opens tables for many queries. Parquet is read in place (columnar, with statistics); text formats are
 * parsed once into a table of a DuckDB database in a temporary folder, so the thirty queries of a suite do
 * not parse a CSV thirty times, and DuckDB can spill to disk instead of holding a large file in memory.
 * A table of several parts is their union by column name (DuckDB's `UNION ALL BY NAME`, as `union_by_name`
 * reads partitioned files): a column missing from a part is null in its rows, and a column whose type
 * differs between parts takes the type that holds both.
 */
export async function openTables(tables: readonly TableFiles[]): Promise<OpenTables> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const parsed = tables.some((t) => partsOf(t).some((f) => !/\.parquet$/i.test(f.name)));
  const dir = parsed ? await fs.mkdtemp(path.join(os.tmpdir(), 'oe-tables-')) : undefined;
  const instance = await DuckDBInstance.create(dir ? path.join(dir, 'tables.duckdb') : ':memory:');
  const connection = hidingServerPaths(await instance.connect(), tables.flatMap(partsOf), dir);
  const close = async () => {
    connection.closeSync();
    instance.closeSync();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  };
  const describe = async (source: string) => {
    const described = await (await connection.run(`DESCRIBE SELECT * FROM ${source}`)).getRowObjects();
    return new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
  };
  try {
    const sources: string[] = [];
    const types: Map<string, string>[] = [];
    const parts: { file: LocalFile; source: string; types: Map<string, string> }[][] = [];
    for (const [i, table] of tables.entries()) {
      const opened: { file: LocalFile; source: string; types: Map<string, string> }[] = [];
      for (const [j, file] of partsOf(table).entries()) {
        const reader = duckReader(file);
        try {
          // Queries name a view or table, never the file, so no server path reaches an error message.
          const source = `t${i}_${j}`;
          await connection.run(/\.parquet$/i.test(file.name) ? `CREATE VIEW ${source} AS SELECT * FROM ${reader}` : `CREATE TABLE ${source} AS SELECT * FROM ${reader}`);
          opened.push({ file, source, types: await describe(source) });
        } catch (err) {
          throw await unreadable(file, err);
        }
      }
      if (opened.length === 0) throw invalid('A table needs at least one file');
      let source = opened[0]!.source;
      if (opened.length > 1) {
        await connection.run(`CREATE VIEW v${i} AS ${opened.map((p) => `SELECT * FROM ${p.source}`).join(' UNION ALL BY NAME ')}`);
        source = `v${i}`;
      }
      sources.push(source);
      types.push(opened.length > 1 ? await describe(source) : opened[0]!.types);
      parts.push(opened);
    }
    return { connection, sources, types, parts, close };
  } catch (err) {
    await close();
    throw err;
  }
}
