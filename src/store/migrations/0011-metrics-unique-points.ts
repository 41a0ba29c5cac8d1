import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';

/**
 * MLflow keys a metric point by (run, key, timestamp, step, value, is_nan) and ignores a point it already has:
 * a client that retries a batch after a lost reply must not leave two identical points. Existing duplicates are
 * folded into one, then a unique index takes over from the history index (same columns, same order, so history
 * pages are still answered from the index alone).
 */
export function metricsUniquePointsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`delete from metrics a using metrics b
          where a.ctid > b.ctid and a.run_uuid = b.run_uuid and a.key = b.key and a.timestamp = b.timestamp
            and a.step = b.step and a.value = b.value and a.is_nan = b.is_nan`.execute(db);
      } else {
        await sql`delete from metrics where rowid not in (
          select min(rowid) from metrics group by run_uuid, key, timestamp, step, value, is_nan)`.execute(db);
      }
      await db.schema.createIndex('metrics_point').unique().on('metrics').columns(['run_uuid', 'key', 'timestamp', 'step', 'value', 'is_nan']).execute();
      await db.schema.dropIndex('metrics_history').execute();
    },
  };
}
