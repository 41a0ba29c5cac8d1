import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import { metricsUniquePointsMigration } from './0011-metrics-unique-points.js';
import { recreatePlainMetrics } from '../../../test/support/plain-metrics.js';

/** A database written before points were unique may hold duplicates (client retries); upgrading folds them into one. */
for (const backend of testBackends()) {
  describe(`0011-metrics-unique-points on ${backend.name}`, () => {
    it('keeps one row of each duplicated point and then refuses new duplicates', async () => {
      const handle = await backend.open();
      try {
        const db = handle.db;
        // Back to the schema before this migration: a plain table with the history index.
        await recreatePlainMetrics(db);
        await db.schema.createIndex('metrics_history').on('metrics').columns(['run_uuid', 'key', 'timestamp', 'step', 'value', 'is_nan']).execute();
        await db.insertInto('experiments').values({ name: 'e', artifact_location: 'x', lifecycle_stage: 'active', creation_time: 0, last_update_time: 0 }).execute();
        const { experiment_id } = await db.selectFrom('experiments').select('experiment_id').executeTakeFirstOrThrow();
        const runId = 'a'.repeat(32);
        await db.insertInto('runs').values({
          run_uuid: runId, experiment_id, name: 'r', user_id: 'u', status: 'RUNNING', start_time: 0, end_time: null,
          lifecycle_stage: 'active', artifact_uri: 'x', deleted_time: null,
        }).execute();
        const point = (value: number, step: number, isNan = 0) => ({ run_uuid: runId, key: 'm', value, timestamp: 1, step, is_nan: isNan });
        await db.insertInto('metrics').values([point(1, 0), point(1, 0), point(1, 0), point(2, 0), point(1, 1), point(0, 2, 1), point(0, 2, 1)]).execute();

        await metricsUniquePointsMigration(handle.dialect).up(db);

        const rows = await db.selectFrom('metrics').select(['value', 'step', 'is_nan']).orderBy('step').orderBy('value').execute();
        expect(rows.map((r) => [Number(r.value), Number(r.step), Number(r.is_nan)])).toEqual([[1, 0, 0], [2, 0, 0], [1, 1, 0], [0, 2, 1]]);
        await expect(db.insertInto('metrics').values(point(2, 0)).execute()).rejects.toThrow();
        expect(Number((await sql<{ n: number }>`select count(*) as n from metrics`.execute(db)).rows[0]!.n)).toBe(4);
      } finally {
        await handle.close();
      }
    });
  });
}
