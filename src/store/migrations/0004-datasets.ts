import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Dataset versions and their labels, datasheets, the generic lineage graph, and stored validation results. */
export function datasetsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dataset_versions')
        .addColumn('version_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('files', 'text', (c) => c.notNull())
        .addColumn('row_count', 'bigint')
        .addColumn('schema', 'text')
        .addColumn('profile', 'text')
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('dataset_versions_number', ['name', 'version'])
        // The same bytes under the same name are the same version.
        .addUniqueConstraint('dataset_versions_digest', ['name', 'digest'])
        .execute();

      await db.schema
        .createTable('dataset_labels')
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('label', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('dataset_labels_pk', ['name', 'label'])
        .execute();

      await db.schema
        .createTable('datasheets')
        .addColumn('name', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('sections', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      // Nodes are (kind, id) pairs owned by other modules, so edges carry no foreign keys: registry and
      // serving add their own kinds without a schema change.
      await db.schema
        .createTable('lineage_edges')
        .addColumn('from_kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('from_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('to_kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('to_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('relation', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('lineage_edges_pk', ['from_kind', 'from_id', 'to_kind', 'to_id', 'relation'])
        .execute();
      await db.schema.createIndex('lineage_edges_to').on('lineage_edges').columns(['to_kind', 'to_id']).execute();

      await db.schema
        .createTable('validation_suites')
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('digest', 'varchar(64)', (c) => c.notNull())
        .addColumn('expectations', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('validation_suites_pk', ['name', 'version'])
        .addUniqueConstraint('validation_suites_digest', ['name', 'digest'])
        .execute();

      await db.schema
        .createTable('validation_results')
        .addColumn('result_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('version_id', 'varchar(32)', (c) => c.notNull().references('dataset_versions.version_id').onDelete('cascade'))
        .addColumn('suite_name', 'varchar(256)', (c) => c.notNull())
        .addColumn('suite_version', 'integer', (c) => c.notNull())
        .addColumn('success', 'integer', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('validation_results_version').on('validation_results').columns(['version_id', 'created_at']).execute();
    },
  };
}
