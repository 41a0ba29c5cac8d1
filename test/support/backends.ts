import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, openDatabase, withPgUser, type DatabaseHandle } from '../../src/store/db.js';

/**
 * The databases every store contract suite runs against: a temp SQLite file and a fresh schema on the
 * machine's PostgreSQL (`OPENEXPERT_TEST_PG`, default postgres://127.0.0.1:5432/test). `open()` gives a
 * migrated, empty database; `close()` drops what it made.
 */
export interface TestBackend {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<DatabaseHandle>;
}

export const TEST_PG_URL = process.env.OPENEXPERT_TEST_PG ?? 'postgres://127.0.0.1:5432/test';

function sqliteBackend(): TestBackend {
  return {
    name: 'sqlite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-store-'));
      const handle = await openDatabase(`sqlite:${path.join(dir, 'test.db')}`);
      await migrate(handle);
      return { ...handle, close: async () => { await handle.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
    },
  };
}

function postgresBackend(): TestBackend {
  return {
    name: 'postgres',
    async open() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const handle = await openDatabase(TEST_PG_URL, { schema, poolSize: 4 });
      await migrate(handle);
      return {
        ...handle,
        close: async () => {
          await handle.close();
          const admin = new pg.Client({ connectionString: withPgUser(TEST_PG_URL) });
          await admin.connect();
          try {
            await admin.query(`drop schema if exists ${schema} cascade`);
          } finally {
            await admin.end();
          }
        },
      };
    },
  };
}

export function testBackends(): TestBackend[] {
  return [sqliteBackend(), postgresBackend()];
}
