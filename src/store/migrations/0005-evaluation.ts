import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Evaluations with their overall metrics, model comparisons, and the human-written parts of model cards. */
export function evaluationMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('evaluations')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('task', 'varchar(16)', (c) => c.notNull())
        .addColumn('run_id', 'varchar(32)')
        .addColumn('model_name', 'varchar(256)')
        .addColumn('model_version', 'bigint')
        .addColumn('dataset_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('dataset_digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('dataset_source', 'text', (c) => c.notNull())
        .addColumn('dataset_rows', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('artifacts', 'text')
        .execute();
      // Promotion checks ask for the newest evaluation of a version; runs list theirs.
      await db.schema.createIndex('evaluations_model').on('evaluations').columns(['model_name', 'model_version', 'created_at']).execute();
      await db.schema.createIndex('evaluations_run').on('evaluations').columns(['run_id', 'created_at']).execute();

      await db.schema
        .createTable('evaluation_metrics')
        .addColumn('evaluation_id', 'varchar(32)', (c) => c.notNull().references('evaluations.id').onDelete('cascade'))
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('ci_lower', 'double precision')
        .addColumn('ci_upper', 'double precision')
        .addPrimaryKeyConstraint('evaluation_metrics_pk', ['evaluation_id', 'key'])
        .execute();

      await db.schema
        .createTable('evaluation_comparisons')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('task', 'varchar(16)', (c) => c.notNull())
        .addColumn('run_id', 'varchar(32)')
        .addColumn('candidate_model_name', 'varchar(256)')
        .addColumn('candidate_version', 'bigint')
        .addColumn('baseline_model_name', 'varchar(256)')
        .addColumn('baseline_version', 'bigint')
        .addColumn('dataset_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('dataset_digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('dataset_source', 'text', (c) => c.notNull())
        .addColumn('dataset_rows', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('evaluation_comparisons_candidate').on('evaluation_comparisons').columns(['candidate_model_name', 'candidate_version', 'created_at']).execute();

      await db.schema
        .createTable('model_card_fields')
        .addColumn('model_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('model_version', 'bigint', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(256)', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_card_fields_pk', ['model_name', 'model_version'])
        .execute();
    },
  };
}
