import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Sweeps: the declared search (config as JSON), its trials (one row per trial number; a trial interrupted by a
 * crash is handed out again under the same number) and the values trials left at ASHA's rungs. Objective values
 * are text so that NaN and ±Infinity survive on SQLite, which stores NaN as NULL.
 */
export function sweepsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sweeps')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('experiment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('parent_run_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('max_trials', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sweeps_experiment').on('sweeps').columns(['experiment_id', 'created_at']).execute();
      await db.schema
        .createTable('sweep_trials')
        .addColumn('sweep_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        // RUNNING | COMPLETE | PRUNED | FAILED | INTERRUPTED
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('run_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('value', 'varchar(32)')
        .addColumn('step', 'bigint')
        .addColumn('checked_step', 'bigint', (c) => c.notNull())
        // JSON [[step, value], …]; values as strings where JSON has no number for them
        .addColumn('curve', 'text')
        .addColumn('reason', 'text')
        .addColumn('pid', 'integer')
        .addColumn('host', 'varchar(256)')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addPrimaryKeyConstraint('sweep_trials_pk', ['sweep_id', 'number'])
        .execute();
      await db.schema
        .createTable('sweep_rungs')
        .addColumn('sweep_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('rung', 'integer', (c) => c.notNull())
        .addColumn('value', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('sweep_rungs_pk', ['sweep_id', 'number', 'rung'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['sweep_rungs', 'sweep_trials', 'sweeps']) await db.schema.dropTable(t).execute();
    },
  };
}
