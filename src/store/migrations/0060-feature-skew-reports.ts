import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The latest training–serving skew report of each feature view, for its page and for reviews. */
export function featureSkewReportsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('feature_skew_reports')
        .addColumn('view', 'varchar(128)', (c) => c.primaryKey())
        // JSON of the view's part of the report: rows compared, tolerance, one entry per feature checked
        .addColumn('report', 'text', (c) => c.notNull())
        .addColumn('checked_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('checked_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('feature_skew_reports').execute();
    },
  };
}
