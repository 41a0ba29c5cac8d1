import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * History is read in (timestamp, step, value) order. Without `value` in the index the database sorts every
 * page in a temporary B-tree, and without `is_nan` it visits the table for each row; this index answers a
 * page from the index alone, already in order.
 */
export function metricsHistoryIndexMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('metrics_history').on('metrics').columns(['run_uuid', 'key', 'timestamp', 'step', 'value', 'is_nan']).execute();
      await db.schema.dropIndex('metrics_run_key_time').execute();
    },
  };
}
