import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import { metricsClusteredMigration } from './0014-metrics-clustered.js';
import { recreatePlainMetrics } from '../../../test/support/plain-metrics.js';

/** Upgrading a SQLite database moves every stored point into the clustered table, which still refuses duplicates. */
for (const backend of testBackends().filter((b) => b.name === 'sqlite')) {
  describe(`0014-metrics-clustered on ${backend.name}`, () => {
    it('keeps every point, stores them without a rowid and still refuses a duplicate', async () => {
      const handle = await backend.open();
      try {
        const db = handle.db;
        // Back to the schema before this migration: a rowid table with the unique point index.
        await recreatePlainMetrics(db);
        await db.schema.createIndex('metrics_point').unique().on('metrics').columns(['run_uuid', 'key', 'timestamp', 'step', 'value', 'is_nan']).execute();
        const point = (run: string, key: string, value: number, timestamp: number, step: number, isNan = 0) => ({ run_uuid: run, key, value, timestamp, step, is_nan: isNan });
        const a = 'a'.repeat(32);
        const b = 'b'.repeat(32);
        const points = [point(b, 'm', 1.5, 3, 0), point(a, 'm', 0.25, 2, 1), point(a, 'm', -1, 2, 0), point(a, 'loss', 0, 5, 7, 1), point(a, 'm', 1e300, 1, 9)];
        await db.insertInto('metrics').values(points).execute();

        await metricsClusteredMigration(handle.dialect).up(db);

        const rows = await db.selectFrom('metrics').selectAll().execute();
        const asTuples = (list: typeof points) => list.map((r) => [r.run_uuid, r.key, Number(r.timestamp), Number(r.step), Number(r.value), Number(r.is_nan)]);
        // Rows come back in key order: run, key, timestamp, step, value.
        expect(asTuples(rows)).toEqual(asTuples([points[3]!, points[4]!, points[2]!, points[1]!, points[0]!]));
        const ddl = (await sql<{ sql: string }>`select sql from sqlite_master where name = 'metrics'`.execute(db)).rows[0]!.sql;
        expect(ddl.toLowerCase()).toContain('without rowid');
        await expect(db.insertInto('metrics').values(point(a, 'm', -1, 2, 0)).execute()).rejects.toThrow();
        await db.insertInto('metrics').values(point(a, 'm', -1, 2, 1)).execute();
        expect(Number((await sql<{ n: number }>`select count(*) as n from metrics`.execute(db)).rows[0]!.n)).toBe(6);
      } finally {
        await handle.close();
      }
    });
  });
}
