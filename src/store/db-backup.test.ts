import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupDatabase, migrate, openDatabase } from './db.js';
import { SqlTrackingStore } from './sql/tracking.sql-store.js';

describe('backupDatabase', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-backup-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('copies a live SQLite database consistently while another connection keeps writing', async () => {
    const url = `sqlite:${path.join(dir, 'live.db')}`;
    const handle = await openDatabase(url);
    await migrate(handle);
    const store = new SqlTrackingStore(handle);
    for (let i = 0; i < 50; i++) await store.createExperiment({ name: `before-${i}`, artifactLocation: (id) => `x:/${id}`, tags: [], now: i });
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await store.createExperiment({ name: `during-${i}`, artifactLocation: (id) => `x:/${id}`, tags: [], now: i });
        await new Promise((resolve) => setImmediate(resolve)); // the backup copies its pages between these turns
      }
    })();
    const target = path.join(dir, 'copy.db');
    const { bytes } = await backupDatabase(url, target);
    writing = false;
    await writer;
    await handle.close();

    expect(bytes).toBe(fs.statSync(target).size);
    const copy = new SQLite(target, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const names = (copy.prepare('select name from experiments').all() as { name: string }[]).map((r) => r.name);
    copy.close();
    // Everything written before the backup began is there (plus the Default experiment and whatever the writer got in).
    for (let i = 0; i < 50; i++) expect(names).toContain(`before-${i}`);
    expect(names).toContain('Default');
  });

  it('never overwrites a file, and sends PostgreSQL users to pg_dump', async () => {
    const existing = path.join(dir, 'exists.db');
    fs.writeFileSync(existing, 'keep me');
    await expect(backupDatabase(`sqlite:${path.join(dir, 'live.db')}`, existing)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');
    await expect(backupDatabase('postgres://127.0.0.1:5432/test', path.join(dir, 'pg.db'))).rejects.toThrow(/pg_dump/);
    await expect(backupDatabase(`sqlite:${path.join(dir, 'missing.db')}`, path.join(dir, 'm.db'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
