import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Compute usage per run, one row per measured command or reported piece (a run's usage is their sum), with the
 * run's experiment and user beside it so budgets sum a period without joining runs.
 */
export function runUsageMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('run_usage')
        .addColumn('entry_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('run_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('experiment_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('user_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('cpu_seconds', 'double precision', (c) => c.notNull())
        .addColumn('peak_memory_bytes', 'double precision', (c) => c.notNull())
        .addColumn('wall_seconds', 'double precision', (c) => c.notNull())
        .addColumn('gpu_seconds', 'double precision', (c) => c.notNull())
        .addColumn('gpu_memory_bytes', 'double precision', (c) => c.notNull())
        .addColumn('gpu_type', 'varchar(200)')
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('run_usage_run').on('run_usage').columns(['run_id']).execute();
      await db.schema.createIndex('run_usage_experiment').on('run_usage').columns(['experiment_id', 'recorded_at']).execute();
      await db.schema.createIndex('run_usage_user').on('run_usage').columns(['user_id', 'recorded_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('run_usage').execute();
    },
  };
}
