import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';

/**
 * Charts read a metric by step (MLflow's bulk-interval sampling: each run's first and last step, how many distinct
 * steps, then the points at the picked steps), while the point key is in history order (timestamp first). This
 * index answers those from the index alone, in step order: on SQLite the clustered table's key comes with every
 * index entry; on PostgreSQL the point's other columns are included.
 */
export function metricsStepIndexMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`create index metrics_step on metrics (run_uuid, key, step) include (timestamp, value, is_nan)`.execute(db);
      } else {
        await sql`create index metrics_step on metrics (run_uuid, key, step)`.execute(db);
      }
    },
  };
}
