import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DomainError, invalid, invalidState } from '../core/errors.js';
import { backupDatabase, dialectOf, sqlitePath, withPgUser, type Dialect } from '../store/db.js';

/** A database copied into one file: the SQLite database itself, or pg_dump's custom format. */
export interface DatabaseDump {
  readonly dialect: Dialect;
  readonly file: string;
  /** The PostgreSQL schema dumped, when the URL pins one (`?options=-c search_path=x`); the whole database otherwise. */
  readonly schema?: string;
}

export const DUMP_FILE: Record<Dialect, string> = { sqlite: 'database.sqlite', postgres: 'database.pgdump' };

/**
 * Dumps the database at `url` into `file`. SQLite is copied online by `backupDatabase` (a consistent view while
 * the server writes on); PostgreSQL by `pg_dump`, which must be installed, of the server's major version or newer.
 */
export async function dumpDatabase(url: string, file: string): Promise<DatabaseDump> {
  const dialect = dialectOf(url);
  if (dialect === 'sqlite') {
    await backupDatabase(url, file);
    return { dialect, file };
  }
  const { connection, schema, env } = pgTarget(url);
  await tool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, ...(schema ? [`--schema=${schema}`] : []), `--dbname=${connection}`], env);
  return { dialect, file, ...(schema ? { schema } : {}) };
}

/**
 * Puts a dump back as the database at `url`. The target must hold no OpenExpert database unless `replace` is
 * given: then the SQLite file (with its WAL) is replaced, or pg_restore drops what the dump recreates first.
 */
export async function restoreDatabase(dump: DatabaseDump, url: string, options: { replace?: boolean } = {}): Promise<void> {
  const dialect = dialectOf(url);
  if (dialect !== dump.dialect) throw invalid(`The backup holds a ${dump.dialect} database; it cannot be restored into ${dialect}`);
  if (dialect === 'sqlite') return restoreSqlite(dump.file, sqlitePath(url), options.replace === true);
  const { connection, schema, env } = pgTarget(url);
  if ((schema ?? undefined) !== dump.schema) {
    throw invalid(`The backup holds PostgreSQL schema '${dump.schema ?? 'public (the whole database)'}'; the target URL names '${schema ?? 'public (the whole database)'}'. pg_restore recreates the schema under its own name`);
  }
  if (!options.replace && (await pgHasOpenExpert(url, schema))) {
    throw new DomainError('RESOURCE_ALREADY_EXISTS', `The target database already holds an OpenExpert schema${schema ? ` '${schema}'` : ''}; restore with --replace to overwrite it`);
  }
  // --clean drops each object the dump recreates (the pinned schema included), so an empty leftover schema is no obstacle.
  await tool('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--clean', '--if-exists', `--dbname=${connection}`, dump.file], env);
}

function restoreSqlite(source: string, target: string, replace: boolean): void {
  if (target === ':memory:') throw invalid('Cannot restore into an in-memory database');
  if (fs.existsSync(target) && !replace) throw new DomainError('RESOURCE_ALREADY_EXISTS', `'${target}' exists; stop the server and restore with --replace to overwrite it`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  // Copied beside the target and renamed over it, so a crash leaves either the old database or the whole new one.
  const temp = `${target}.restoring-${process.pid}`;
  fs.copyFileSync(source, temp);
  // A WAL left from the replaced database would be replayed onto the restored one.
  for (const suffix of ['-wal', '-shm']) fs.rmSync(`${target}${suffix}`, { force: true });
  fs.renameSync(temp, target);
}

/**
 * libpq settings for the client tools: the password goes by environment rather than on a command line others can
 * read, and the pinned schema (a search_path in the URL's `options`) becomes pg_dump's --schema instead.
 */
function pgTarget(url: string): { connection: string; schema?: string; env: NodeJS.ProcessEnv } {
  const parsed = new URL(withPgUser(url));
  const options = parsed.searchParams.get('options') ?? '';
  const schema = /(?:^|\s)-c\s*search_path=([a-z_][a-z0-9_]*)/.exec(options)?.[1];
  parsed.searchParams.delete('options');
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  return { connection: parsed.toString(), ...(schema ? { schema } : {}), env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) } };
}

async function pgHasOpenExpert(url: string, schema: string | undefined): Promise<boolean> {
  const client = new pg.Client({ connectionString: withPgUser(url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ found: string | null }>('select to_regclass($1)::text as found', [`${schema ?? 'public'}.kysely_migration`]);
    return rows[0]?.found !== null && rows[0]?.found !== undefined;
  } finally {
    await client.end();
  }
}

function tool(command: 'pg_dump' | 'pg_restore', args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 16 * 2 ** 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(invalidState(`${command} is not installed: PostgreSQL backups need the PostgreSQL client tools (the server's major version or newer) on the PATH`));
      }
      reject(invalidState(`${command} failed: ${stderr.trim() || err.message}`));
    });
  });
}
