import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * MLflow 3 links runs and logged models both ways: a metric logged with a `model_id` (and the dataset it was
 * measured on) belongs to that model too, and a run records the logged models it took as inputs.
 */
export function loggedModelLinksMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('logged_model_metrics')
        .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('is_nan', 'smallint', (c) => c.notNull())
        .addColumn('dataset_name', 'varchar(500)')
        .addColumn('dataset_digest', 'varchar(64)')
        .addPrimaryKeyConstraint('logged_model_metrics_pk', ['model_id', 'key', 'timestamp', 'step', 'run_uuid'])
        .execute();
      await db.schema.createIndex('logged_model_metrics_dataset').on('logged_model_metrics').columns(['dataset_name', 'dataset_digest']).execute();

      await db.schema
        .createTable('run_model_inputs')
        .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull().references('runs.run_uuid').onDelete('cascade'))
        .addColumn('model_id', 'varchar(64)', (c) => c.notNull().references('logged_models.model_id').onDelete('cascade'))
        .addPrimaryKeyConstraint('run_model_inputs_pk', ['run_uuid', 'model_id'])
        .execute();
    },
  };
}
