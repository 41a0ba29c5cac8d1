import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Saved views of an experiment's runs (the web UI's runs table and chart workspace): a name and the query string
 * that holds the view (filter, order, columns, grouping, panels). One name per experiment; removed with it.
 */
export function experimentViewsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('experiment_views')
        .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id').onDelete('cascade'))
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_views_pk', ['experiment_id', 'name'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('experiment_views').execute();
    },
  };
}
