import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, sql, PostgresDialect, SqliteDialect, type RawBuilder, type SqliteDatabase, type Transaction } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import { DomainError } from '../core/errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** The PostgreSQL schema the handle works in, when one was asked for. */
  readonly schema?: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL schema to work in (created if missing); tests use one per file. */
  readonly schema?: string;
  readonly sqliteSynchronous?: 'NORMAL' | 'FULL';
  readonly poolSize?: number;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

export function dialectOf(url: string): Dialect {
  return /^postgres(ql)?:\/\//.test(url) ? 'postgres' : 'sqlite';
}

/** The only place a dialect is chosen. */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (dialectOf(url) === 'postgres') return openPostgres(url, options);
  return openSqlite(sqlitePath(url), options);
}

export function sqlitePath(url: string): string {
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  return path.resolve(rest);
}

/**
 * A consistent copy of the embedded SQLite database while the server keeps running: `VACUUM INTO` writes one
 * read transaction's view (WAL readers do not block writers), compacted. SQLite's page-by-page online backup
 * was tried first; it restarts whenever another connection writes, so under steady ingest it never finished.
 * PostgreSQL has its own tools (pg_dump, base backups), so a PostgreSQL URL is refused with that advice.
 */
export async function backupDatabase(url: string, destination: string): Promise<{ bytes: number }> {
  if (dialectOf(url) === 'postgres') throw new DomainError('INVALID_PARAMETER_VALUE', 'A PostgreSQL database is backed up with pg_dump (or a base backup), not with this command');
  const file = sqlitePath(url);
  if (file === ':memory:' || !fs.existsSync(file)) throw new DomainError('INVALID_PARAMETER_VALUE', `No SQLite database at '${file}'`);
  if (fs.existsSync(destination)) throw new DomainError('RESOURCE_ALREADY_EXISTS', `'${destination}' exists; a backup never overwrites a file`);
  const source = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    source.prepare('VACUUM INTO ?').run(destination);
  } finally {
    source.close();
  }
  return { bytes: fs.statSync(destination).size };
}

function openSqlite(file: string, options: OpenOptions): DatabaseHandle {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous ?? 'NORMAL'}`);
  sqlite.pragma('busy_timeout = 10000');
  sqlite.pragma('foreign_keys = ON');
  // PostgreSQL's LIKE is case-sensitive; make SQLite's agree so a query returns the same rows on both.
  sqlite.pragma('case_sensitive_like = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query afresh; on the ingest path preparing cost about a tenth of the CPU. Statements are
 * kept by SQL text (least recently used dropped past `capacity`) and reused: SQLite re-prepares them itself after a
 * schema change, and nothing here iterates a statement while another query could run it.
 */
function withStatementCache(sqlite: SQLite.Database, capacity = 500): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) cache.delete(sql);
      else {
        statement = sqlite.prepare(sql);
        if (sql.startsWith(ARRAY_ROWS)) statement.raw(true);
      }
      cache.set(sql, statement);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

/** Marks a query whose rows come back as arrays of column values (see `selectArrays`). */
const ARRAY_ROWS = '/* array rows */ ';

/**
 * Runs a select and hands back each row as an array of its column values, in select order. For reads of many
 * small rows (a metric history page is 25,000 of them) the driver's object per row cost three times the query
 * itself on SQLite; there the statement returns arrays as they are. PostgreSQL's rows are turned into arrays here.
 * The query goes through Kysely, so it waits for an open transaction on SQLite's one connection as any other does.
 */
export async function selectArrays(db: Kysely<Database> | Transaction<Database>, query: RawBuilder<unknown>): Promise<unknown[][]> {
  const compiled = query.compile(db);
  const result = await db.executeQuery(CompiledQuery.raw(ARRAY_ROWS + compiled.sql, [...compiled.parameters]));
  const rows = result.rows as unknown[];
  return rows.length > 0 && !Array.isArray(rows[0]) ? rows.map((r) => Object.values(r as object)) : (rows as unknown[][]);
}

async function openPostgres(url: string, options: OpenOptions): Promise<DatabaseHandle> {
  // A schema given in the URL (`?options=-c search_path=x`, how libpq users say it) counts as asked for.
  options = { ...options, schema: options.schema ?? searchPathOf(url) };
  if (options.schema && !/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`bad schema name ${options.schema}`);
  if (options.schema) {
    const client = new pg.Client({ connectionString: withPgUser(url) });
    await client.connect();
    try {
      await client.query(`create schema if not exists ${options.schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: withPgUser(url),
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    // 64-bit integers (timestamps, steps, counts) come back as numbers, as SQLite returns them.
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === PG_INT8 || oid === PG_NUMERIC ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format),
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', ...(options.schema ? { schema: options.schema } : {}), close: () => db.destroy() };
}

/**
 * Brings the schema up to date; safe to run from several replicas at once (the migrator takes a lock).
 * `through` stops after that migration, as a database of an older release that ended there would be (upgrade tests).
 */
export async function migrate(handle: DatabaseHandle, options: { through?: string } = {}): Promise<string[]> {
  const { through } = options;
  const known = migrations(handle.dialect);
  const chosen = through === undefined ? known : Object.fromEntries(Object.entries(known).filter(([name]) => name <= through));
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migratorFor(handle, chosen).migrateToLatest();
    if (error && attempt < 4 && droppedElsewhere(error, handle)) continue;
    if (error) throw error;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
}

/**
 * Kysely's migrator lists the tables of every schema before it migrates; a schema another process drops meanwhile
 * (on a PostgreSQL shared by several databases, one per schema) fails that listing with "relation
 * "<other schema>.<table>" does not exist" (42P01), or "schema "<other schema>" does not exist" (3F000). Nothing was migrated then (a failed migration rolls back), so
 * the migration is tried again. A missing relation of this database's own schema is a real error.
 */
function droppedElsewhere(error: unknown, handle: DatabaseHandle): boolean {
  if (handle.dialect !== 'postgres') return false;
  const code = (error as { code?: string }).code;
  const message = String((error as Error).message);
  const gone = code === '42P01' ? /relation "([^".]+)\.[^"]+" does not exist/.exec(message) : code === '3F000' ? /schema "([^"]+)" does not exist/.exec(message) : null;
  return gone !== null && gone[1] !== (handle.schema ?? 'public');
}

function migratorFor(handle: DatabaseHandle, chosen: Record<string, Migration>): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => chosen };
  // Kysely looks for its own tables in every schema; pinning the schema keeps concurrent per-schema databases apart.
  // Modules own migration numbers and land in any order; a database that already ran a later number must
  // still accept an earlier one that arrives afterwards.
  return new Migrator({
    db: handle.db,
    provider,
    allowUnorderedMigrations: true,
    ...(handle.schema ? { migrationTableSchema: handle.schema } : {}),
  });
}

export interface MigrationStatus {
  readonly applied: readonly { readonly name: string; readonly appliedAt: string }[];
  /** Known to this release and not run yet: the next start (or `db migrate`) runs them. */
  readonly pending: readonly string[];
  /**
   * Run on this database but unknown to this release: the database was migrated by a newer release. Migrations
   * are forward-only, so this release must not serve it.
   */
  readonly unknown: readonly string[];
}

/** Which migrations a database has had, read without changing it (an empty database has had none). */
export async function migrationStatus(handle: DatabaseHandle): Promise<MigrationStatus> {
  const known = Object.keys(migrations(handle.dialect)).sort();
  const table = handle.schema ? `${handle.schema}.kysely_migration` : 'kysely_migration';
  const probe = handle.dialect === 'postgres'
    ? sql<{ found: unknown }>`select to_regclass(${table}) as found`
    : sql<{ found: unknown }>`select name as found from sqlite_master where type = 'table' and name = 'kysely_migration'`;
  const hasTable = ((await probe.execute(handle.db)).rows[0]?.found ?? null) !== null;
  const rows = hasTable
    ? ((await sql.raw<{ name: string; timestamp: string }>(`select name, timestamp from ${table} order by name`).execute(handle.db)).rows)
    : [];
  const ran = new Set(rows.map((r) => r.name));
  return {
    applied: rows.map((r) => ({ name: r.name, appliedAt: new Date(r.timestamp).toISOString() })),
    pending: known.filter((name) => !ran.has(name)),
    unknown: rows.map((r) => r.name).filter((name) => !known.includes(name)),
  };
}

/**
 * libpq's default user is the OS user; node-postgres reads it from $USER, which services and CI
 * shells often leave unset. Fall back the way libpq does.
 */
function searchPathOf(url: string): string | undefined {
  try {
    return /(?:^|\s)-c\s*search_path=([a-z_][a-z0-9_]*)/.exec(new URL(url).searchParams.get('options') ?? '')?.[1];
  } catch {
    return undefined;
  }
}

export function withPgUser(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username) return url;
  parsed.username = process.env.PGUSER || process.env.USER || os.userInfo().username;
  return parsed.toString();
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Runs a store operation with driver "busy" errors turned into the domain's retryable error. */
export async function busyGuard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translateBusy(err);
  }
}

/** Turns driver errors that mean "try later" into a domain error; anything else is a bug and stays as is. */
export function translateBusy(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_BUSY' || code === '40001' || code === '40P01') {
    return new DomainError('TEMPORARILY_UNAVAILABLE', 'The database is busy; retry the request');
  }
  return err;
}
