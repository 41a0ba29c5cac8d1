import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { migrate, openDatabase, withPgUser, type DatabaseHandle } from '../../src/store/db.js';

/**
 * The databases every store contract suite runs against: a temp SQLite file and a fresh schema on the
 * machine's PostgreSQL (`OPENEXPERT_TEST_PG`, default postgres://127.0.0.1:5432/test). `open()` gives a
 * migrated, empty database of its own; its `close()` drops what it made (temp files, the schema).
 */
export interface TestBackend {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<DatabaseHandle>;
}

export const TEST_PG_URL = process.env.OPENEXPERT_TEST_PG ?? 'postgres://127.0.0.1:5432/test';

/**
 * What this module made and nobody has cleaned up yet: temp directories (the SQLite template, URLs from
 * `sqliteTempUrl`, databases left open) and PostgreSQL schemas migrated ahead of need but never opened.
 */
const tempDirs = new Set<string>();
let sqliteTemplate: Promise<string> | undefined;
const unclaimedSchemas = new Set<Promise<DatabaseHandle>>();

async function cleanUp(): Promise<void> {
  const schemas = [...unclaimedSchemas];
  unclaimedSchemas.clear();
  await Promise.all(schemas.map(async (p) => (await p.catch(() => undefined))?.close()));
  sqliteTemplate = undefined;
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// Imported while vitest collects a test file (each file imports its own copy), so this hook belongs to the
// file and runs after all of its suites; a hook added later, from a test or a hook, would silently never run.
// Workers are not guaranteed an 'exit' event; it covers use outside vitest.
try {
  afterAll(cleanUp);
} catch {
  // Not under vitest.
}
process.once('exit', () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function makeTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-db-'));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * A `sqlite:` URL naming a file that does not exist yet, in a fresh directory under the OS temp dir that is
 * removed when the test file ends. Not migrated: for tests that open (and migrate) the database themselves.
 */
export function sqliteTempUrl(fileName = 'test.db'): string {
  return `sqlite:${path.join(makeTempDir(), fileName)}`;
}

/** `close()` may be called more than once (a test's own close, then an afterAll); only the first one acts. */
function closeOnce(handle: DatabaseHandle, cleanup: () => Promise<void> | void): DatabaseHandle {
  let closing: Promise<void> | undefined;
  return {
    ...handle,
    close: () =>
      (closing ??= (async () => {
        try {
          await handle.close();
        } finally {
          await cleanup();
        }
      })()),
  };
}

/**
 * Migrating a SQLite database takes tens of milliseconds, copying a migrated one about one: each test file
 * migrates a template once and every `open()` gets a copy of it.
 */
function migratedSqliteTemplate(): Promise<string> {
  sqliteTemplate ??= (async () => {
    const file = path.join(makeTempDir(), 'template.db');
    const handle = await openDatabase(`sqlite:${file}`);
    try {
      await migrate(handle);
    } finally {
      // The last connection closing checkpoints the WAL into the main file.
      await handle.close();
    }
    return file;
  })();
  return sqliteTemplate;
}

function sqliteBackend(): TestBackend {
  return {
    name: 'sqlite',
    async open() {
      const template = await migratedSqliteTemplate();
      const dir = makeTempDir();
      const file = path.join(dir, 'test.db');
      fs.copyFileSync(template, file);
      // Should a WAL survive the close (it does not today), it holds committed pages the copy needs.
      if (fs.existsSync(`${template}-wal`)) fs.copyFileSync(`${template}-wal`, `${file}-wal`);
      try {
        return closeOnce(await openDatabase(`sqlite:${file}`), () => removeTempDir(dir));
      } catch (err) {
        removeTempDir(dir);
        throw err;
      }
    },
  };
}

async function dropPgSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withPgUser(TEST_PG_URL) });
  await admin.connect();
  try {
    await admin.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await admin.end();
  }
}

/**
 * An empty PostgreSQL schema and the URL that pins it (`search_path`), for servers started on it (replica tests);
 * `drop()` removes it with everything in it.
 */
export async function emptyPgSchema(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withPgUser(TEST_PG_URL) });
  await admin.connect();
  try {
    await admin.query(`create schema "${schema}"`);
  } finally {
    await admin.end();
  }
  return { url: `${TEST_PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, drop: () => dropPgSchema(schema) };
}

async function freshPgSchema(): Promise<DatabaseHandle> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const handle = await openDatabase(TEST_PG_URL, { schema, poolSize: 4 });
  try {
    await migrate(handle);
  } catch (err) {
    await handle.close();
    await dropPgSchema(schema).catch(() => undefined); // the migration's error is the one to report
    throw err;
  }
  return closeOnce(handle, () => dropPgSchema(schema));
}

/**
 * Migrating a PostgreSQL schema is bound by the server's DDL (0.3–1.5 s here, whatever issues it: replaying
 * the recorded migration SQL into a new schema measured no faster), so there is no cheap copy. Instead the
 * first schema gets a head start: it begins migrating when a suite is collected for this backend (the
 * collector reads `name` for the suite's title) and is ready, or nearly, when the PostgreSQL suite opens it
 * after the SQLite one has run. Should nothing open it, `cleanUp` drops it when the file ends. Later
 * `open()` calls migrate on demand.
 */
function postgresBackend(): TestBackend {
  let prepared: Promise<DatabaseHandle> | undefined;
  let started = false;
  return {
    get name() {
      if (!started) {
        started = true;
        prepared = freshPgSchema();
        unclaimedSchemas.add(prepared);
        // Reported by the open() that takes it; kept from surfacing as an unhandled rejection meanwhile.
        prepared.catch(() => undefined);
      }
      return 'postgres' as const;
    },
    open() {
      started = true;
      const handle = prepared ?? freshPgSchema();
      if (prepared) unclaimedSchemas.delete(prepared);
      prepared = undefined;
      return handle;
    },
  };
}

export function testBackends(): TestBackend[] {
  return [sqliteBackend(), postgresBackend()];
}
