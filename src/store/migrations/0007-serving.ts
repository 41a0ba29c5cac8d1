import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';

export function servingMigration(dialect: Dialect): Migration {
  const serialId = (table: ReturnType<Kysely<unknown>['schema']['createTable']>) =>
    table.addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()));
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('serving_deployments')
        .addColumn('name', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('model_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('target', 'varchar(256)', (c) => c.notNull())
        .addColumn('stable', 'text', (c) => c.notNull())
        .addColumn('rollout', 'text')
        .addColumn('previous', 'text')
        .addColumn('routing', 'text', (c) => c.notNull())
        .addColumn('batching', 'text', (c) => c.notNull())
        .addColumn('logging', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('revision', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('serving_deployments_model').on('serving_deployments').column('model_name').execute();

      // Events outlive their deployment: the audit trail keeps what a deleted deployment did.
      await serialId(db.schema.createTable('serving_events'))
        .addColumn('deployment', 'varchar(256)', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('actor', 'varchar(256)', (c) => c.notNull())
        .addColumn('from_version', 'varchar(64)')
        .addColumn('to_version', 'varchar(64)')
        .addColumn('weight', 'double precision')
        .addColumn('reason', 'text')
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('serving_events_deployment').on('serving_events').columns(['deployment', 'id']).execute();

      await serialId(db.schema.createTable('serving_metric_samples'))
        .addColumn('deployment', 'varchar(256)', (c) => c.notNull())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('bucket_start', 'bigint', (c) => c.notNull())
        .addColumn('requests', 'bigint', (c) => c.notNull())
        .addColumn('errors', 'bigint', (c) => c.notNull())
        .addColumn('latency_counts', 'text', (c) => c.notNull())
        .addColumn('compared', 'bigint', (c) => c.notNull())
        .addColumn('mismatches', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('serving_metric_samples_window').on('serving_metric_samples').columns(['deployment', 'version', 'bucket_start']).execute();

      await db.schema
        .createTable('serving_predictions')
        .addColumn('prediction_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('deployment', 'varchar(256)', (c) => c.notNull())
        .addColumn('model_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('latency_ms', 'double precision', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('serving_predictions_deployment').on('serving_predictions').columns(['deployment', 'time']).execute();

      await db.schema
        .createTable('serving_load_tests')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('deployment', 'varchar(256)', (c) => c.notNull())
        .addColumn('model_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('version', 'varchar(64)', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('serving_load_tests_version').on('serving_load_tests').columns(['model_name', 'version', 'time']).execute();
    },
  };
}
