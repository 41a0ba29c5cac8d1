import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function reproducibilityMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('repro_captures')
        .addColumn('run_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('experiment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('repro_reproductions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('source_run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('run_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('repro_reproductions_source').on('repro_reproductions').columns(['source_run_id', 'created_at']).execute();
      await db.schema
        .createTable('repro_pipeline_runs')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('experiment_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('repro_pipeline_runs_name').on('repro_pipeline_runs').columns(['name', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('repro_pipeline_runs').execute();
      await db.schema.dropTable('repro_reproductions').execute();
      await db.schema.dropTable('repro_captures').execute();
    },
  };
}
