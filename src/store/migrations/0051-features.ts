import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Feature store: versions of entity and feature-view definitions (a deletion is a version marked deleted), the
 * materialization watermark of each view, and the default online store (latest values per view and entity key).
 */
export function featuresMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('feature_definitions')
        // 'entity' | 'feature_view'
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        // JSON of the validated definition
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('feature_definitions_pk', ['kind', 'name', 'version'])
        .execute();
      await db.schema
        .createTable('feature_watermarks')
        .addColumn('view', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .addColumn('row_count', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('feature_online')
        .addColumn('view', 'varchar(128)', (c) => c.notNull())
        .addColumn('entity_key', 'varchar(1024)', (c) => c.notNull())
        // JSON object: feature name → value
        .addColumn('feature_values', 'text', (c) => c.notNull())
        .addColumn('event_time', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('feature_online_pk', ['view', 'entity_key'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['feature_online', 'feature_watermarks', 'feature_definitions']) await db.schema.dropTable(t).execute();
    },
  };
}
