/**
 * Production-sized batches as files: an uploaded CSV or Parquet table streams to a temporary file (never
 * whole into memory), DuckDB checks it and turns CSV into Parquet, and the Parquet file goes to the artifact
 * store. Windows read those files back through DuckDB one column at a time, so memory follows the columns,
 * not the rows. A local artifact store is read in place; any other store is downloaded for the read.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { invalid, isDomainError } from '../../core/errors.js';
import { duckReader, unreadable, type LocalFile } from '../datasets/data-file.js';
import { openDuckDb, openFileTable, type FileTable } from './file-table.js';
import { concatSources, concatTables, type TableSource } from './table.js';
import type { ColumnarBatch, StoredBatch, TableFormat } from './types.js';

export interface StagedTable {
  /** A Parquet file on local disk, ready to store. */
  readonly local: string;
  readonly rows: number;
  readonly columns: readonly string[];
}

/** What stands for a stored file while a window is analyzed; closing it releases DuckDB and any download. */
export interface OpenedTables {
  readonly tables: readonly TableSource[];
  /** The stored rows and files as read, for the columns performance needs (ids and predictions). */
  columns(side: number, names: readonly string[]): Promise<ColumnarBatch[]>;
  close(): Promise<void>;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class BatchFiles {
  constructor(private readonly artifacts: ArtifactStore) {}

  /** A temporary folder for the duration of `work`, removed afterwards whatever happens. */
  async withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-monitor-'));
    try {
      return await work(dir);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /** Streams an uploaded table to `dir` and stages it as Parquet; a file DuckDB cannot read is a 400 naming the format. */
  async stageUpload(body: Readable | NodeJS.ReadableStream, format: TableFormat, dir: string): Promise<StagedTable> {
    const received = path.join(dir, `upload.${format}`);
    await pipeline(body, createWriteStream(received));
    return this.stageLocal([{ local: received, name: `upload.${format}` }], dir);
  }

  /**
   * An uploaded table stored at `target` in the artifact store. A Parquet upload to a local store is written
   * there directly and checked in place — one write of the bytes instead of a temporary copy and a second
   * write; anything else is staged first (CSV becomes Parquet) and then stored. A table DuckDB cannot read
   * is not left behind.
   */
  async storeUpload(body: Readable | NodeJS.ReadableStream, format: TableFormat, target: string, dir: string): Promise<{ rows: number; columns: readonly string[] }> {
    if (format !== 'parquet' || !this.artifacts.uri.startsWith('file:')) {
      const staged = await this.stageUpload(body, format, dir);
      await this.put(staged, target);
      return staged;
    }
    await this.artifacts.put(target, body);
    try {
      return await this.withLocal([target], dir, ([local]) => this.stageLocal([{ local: local!, name: `upload.${format}` }], dir));
    } catch (err) {
      await this.delete([target]).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Checks a local table (one file, or the parts of a dataset version's table) and makes one Parquet file of
   * it in `dir`; a single Parquet file is used as it is.
   */
  async stageLocal(files: readonly LocalFile[], dir: string): Promise<StagedTable> {
    const instance = await openDuckDb(dir);
    const connection = await instance.connect();
    let file = files[0]!;
    try {
      let source: string;
      try {
        const readers: string[] = [];
        for (const f of files) {
          file = f;
          readers.push(duckReader(f));
          await connection.run(`DESCRIBE SELECT * FROM ${readers.at(-1)}`);
        }
        source = readers.length === 1 ? readers[0]! : `(${readers.map((r) => `SELECT * FROM ${r}`).join(' UNION ALL BY NAME ')})`;
        const described = await (await connection.run(`DESCRIBE SELECT * FROM ${source}`)).getRowObjects();
        if (described.length === 0) throw invalid(`Cannot read '${file.name}': it has no columns`);
        const columns = described.map((r) => String(r.column_name));
        let local = file.local;
        if (files.length > 1 || !/\.parquet$/i.test(file.name)) {
          local = path.join(dir, `staged-${path.basename(file.local)}.parquet`);
          await connection.run(`COPY (SELECT * FROM ${source}) TO ${sqlString(local)} (FORMAT parquet)`);
          source = `read_parquet(${sqlString(local)})`;
        }
        const count = await (await connection.run(`SELECT count(*)::DOUBLE AS n FROM ${source}`)).getRowObjects();
        return { local, rows: Number(count[0]?.n ?? 0), columns };
      } catch (err) {
        if (isDomainError(err)) throw err;
        throw await unreadable(file, err);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  async put(staged: StagedTable, target: string): Promise<void> {
    const { size } = await fs.stat(staged.local);
    await this.artifacts.put(target, createReadStream(staged.local), { contentLength: size });
  }

  /** Deletes stored files; one already gone is fine (a retried clean-up). */
  async delete(paths: readonly string[]): Promise<void> {
    for (const p of paths) {
      await this.artifacts.delete(p).catch((err: unknown) => {
        if (!(isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST')) throw err;
      });
    }
  }

  /** The artifact path of a URI the caller gave: relative, or under the store's own URI. Anything else is refused. */
  artifactPathOf(uri: string): string {
    const root = this.artifacts.uri.replace(/\/+$/, '');
    if (uri.startsWith(`${root}/`)) return uri.slice(root.length + 1);
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
      throw invalid(`Invalid value for parameter 'uri': '${uri}' is not in this server's artifact store (${root}); give a path inside it`);
    }
    return uri.replace(/^\/+/, '');
  }

  /** Local copies of stored files for the duration of `work`: read in place from a local store, downloaded from S3. */
  async withLocal<T>(paths: readonly string[], dir: string, work: (local: string[]) => Promise<T>): Promise<T> {
    if (this.artifacts.uri.startsWith('file:')) {
      const root = fileURLToPath(this.artifacts.uri);
      return work(paths.map((p) => path.join(root, ...p.split('/'))));
    }
    const local: string[] = [];
    for (const [i, p] of paths.entries()) {
      const target = path.join(dir, `${i}-${path.basename(p)}`);
      const { body } = await this.artifacts.get(p);
      await pipeline(body, createWriteStream(target));
      local.push(target);
    }
    return work(local);
  }
}

/**
 * Each list of stored batches as one table: JSON batches from memory, files through DuckDB (one instance per
 * side, reading only the column asked for). Files must already be local (see `BatchFiles.withLocal`).
 */
export async function openBatches(sides: readonly (readonly StoredBatch[])[], localOf: ReadonlyMap<string, string>, dir?: string): Promise<OpenedTables> {
  const opened: FileTable[] = [];
  const tables: TableSource[] = [];
  const fileSides: (FileTable | undefined)[] = [];
  const rowSides: ColumnarBatch[][] = [];
  try {
    for (const batches of sides) {
      const rows = batches.flatMap((b) => (b.kind === 'rows' ? [b.batch] : []));
      const files = batches.flatMap((b) => (b.kind === 'file' ? [localOf.get(b.path)!] : []));
      const parts: TableSource[] = [];
      let fileTable: FileTable | undefined;
      if (files.length > 0) {
        fileTable = await openFileTable(files, dir);
        opened.push(fileTable);
        parts.push(fileTable);
      }
      if (rows.length > 0 || parts.length === 0) parts.push(concatTables(rows));
      tables.push(parts.length === 1 ? parts[0]! : concatSources(parts));
      fileSides.push(fileTable);
      rowSides.push(rows);
    }
  } catch (err) {
    for (const t of opened) t.close();
    throw err;
  }
  return {
    tables,
    columns: async (side, names) => {
      const fileTable = fileSides[side];
      const fromFiles = fileTable ? [await fileTable.read(names)] : [];
      return [...rowSides[side]!, ...fromFiles];
    },
    close: async () => {
      for (const t of opened) t.close();
    },
  };
}
