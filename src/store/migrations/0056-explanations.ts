import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Explanations of model versions (feature attributions, permutation importance, partial dependence): the
 * request and the result as JSON text, listed per model version newest first.
 */
export function explanationsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('explanations')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('model_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('model_version', 'integer', (c) => c.notNull())
        .addColumn('data_name', 'varchar(256)', (c) => c.notNull())
        // comma-separated methods, for lists that do not read the result
        .addColumn('methods', 'varchar(128)', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('explanations_model').on('explanations').columns(['model_name', 'model_version', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('explanations').execute();
    },
  };
}
