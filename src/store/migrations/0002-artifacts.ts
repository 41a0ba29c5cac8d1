import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export function artifactsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('artifact_files')
        .addColumn('path', 'varchar(1024)', (c) => c.primaryKey())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('logged_models')
        .addColumn('model_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('name', 'varchar(500)', (c) => c.notNull())
        .addColumn('artifact_location', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('status_message', 'text')
        .addColumn('model_type', 'varchar(500)')
        .addColumn('source_run_id', 'varchar(32)')
        .addColumn('creator', 'varchar(256)', (c) => c.notNull())
        .addColumn('creation_time', 'bigint', (c) => c.notNull())
        .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
        .addColumn('lifecycle_stage', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('logged_models_experiment').on('logged_models').columns(['experiment_id', 'creation_time']).execute();
      await db.schema.createIndex('logged_models_run').on('logged_models').column('source_run_id').execute();

      for (const table of ['logged_model_tags', 'logged_model_params']) {
        await db.schema
          .createTable(table)
          .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
          .addColumn('key', 'varchar(250)', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, ['model_id', 'key'])
          .execute();
      }

      await db.schema
        .createTable('run_outputs')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_outputs_pk', ['run_uuid', 'model_id'])
        .execute();
    },
  };
}
