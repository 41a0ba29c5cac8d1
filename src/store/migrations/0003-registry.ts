import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';

export function registryMigration(dialect: Dialect): Migration {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('registered_models')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('creation_time', 'bigint', (c) => c.notNull())
        .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
        .addColumn('last_version', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('model_versions')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('registered_model_id', 'bigint', (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('creation_time', 'bigint', (c) => c.notNull())
        .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('user_id', 'varchar(256)')
        .addColumn('current_stage', 'varchar(20)', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('storage_location', 'text', (c) => c.notNull())
        .addColumn('run_id', 'varchar(32)')
        .addColumn('run_link', 'text')
        .addColumn('model_id', 'varchar(64)')
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('model_metadata', 'text')
        .addUniqueConstraint('model_versions_model_version', ['registered_model_id', 'version'])
        .execute();
      // get-latest-versions and registered models' latest_versions: newest version per (model, stage).
      await db.schema.createIndex('model_versions_stage').on('model_versions').columns(['registered_model_id', 'current_stage', 'version']).execute();
      await db.schema.createIndex('model_versions_run').on('model_versions').column('run_id').execute();
      // The default version search order starts with last_updated_time DESC.
      await db.schema.createIndex('model_versions_updated').on('model_versions').column('last_updated_time').execute();

      for (const [table, owner, parent] of [
        ['registered_model_tags', 'registered_model_id', 'registered_models.id'],
        ['model_version_tags', 'model_version_id', 'model_versions.id'],
      ] as const) {
        await db.schema
          .createTable(table)
          .addColumn(owner, 'bigint', (c) => c.notNull().references(parent).onDelete('cascade'))
          .addColumn('key', 'varchar(250)', (c) => c.notNull())
          .addColumn('value', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${table}_pk`, [owner, 'key'])
          .execute();
        await db.schema.createIndex(`${table}_key`).on(table).column('key').execute();
      }

      await db.schema
        .createTable('registered_model_aliases')
        .addColumn('registered_model_id', 'bigint', (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
        .addColumn('alias', 'varchar(255)', (c) => c.notNull())
        // Deleting a version deletes its aliases, as MLflow does.
        .addColumn('model_version_id', 'bigint', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('registered_model_aliases_pk', ['registered_model_id', 'alias'])
        .execute();
      await db.schema.createIndex('registered_model_aliases_version').on('registered_model_aliases').column('model_version_id').execute();

      await db.schema
        .createTable('promotion_policies')
        .addColumn('registered_model_id', 'bigint', (c) => c.primaryKey().references('registered_models.id').onDelete('cascade'))
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('updated_time', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('promotion_requests')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('model_version_id', 'bigint', (c) => c.notNull().references('model_versions.id').onDelete('cascade'))
        .addColumn('target_kind', 'varchar(8)', (c) => c.notNull())
        .addColumn('target', 'varchar(255)', (c) => c.notNull())
        .addColumn('archive_existing', 'smallint', (c) => c.notNull())
        .addColumn('requester', 'varchar(256)', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('created_time', 'bigint', (c) => c.notNull())
        .addColumn('updated_time', 'bigint', (c) => c.notNull())
        .addColumn('resolved_by', 'varchar(256)')
        .addColumn('resolution', 'text')
        .execute();
      await db.schema.createIndex('promotion_requests_version').on('promotion_requests').column('model_version_id').execute();
      // At most one pending request per version and target (both dialects support partial indexes).
      await sql`create unique index promotion_requests_one_pending on promotion_requests (model_version_id, target_kind, target) where state = 'pending'`.execute(db);

      await db.schema
        .createTable('promotion_approvals')
        .addColumn('request_id', 'bigint', (c) => c.notNull().references('promotion_requests.id').onDelete('cascade'))
        .addColumn('user_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addPrimaryKeyConstraint('promotion_approvals_pk', ['request_id', 'user_id'])
        .execute();

      await db.schema
        .createTable('model_version_transitions')
        .addColumn('id', serial, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('registered_model_id', 'bigint', (c) => c.notNull().references('registered_models.id').onDelete('cascade'))
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('target_kind', 'varchar(8)', (c) => c.notNull())
        .addColumn('target', 'varchar(255)', (c) => c.notNull())
        .addColumn('from_stage', 'varchar(20)')
        .addColumn('to_stage', 'varchar(20)')
        .addColumn('previous_version', 'bigint')
        .addColumn('actor', 'varchar(256)', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('request_id', 'bigint')
        .execute();
      await db.schema.createIndex('model_version_transitions_version').on('model_version_transitions').columns(['registered_model_id', 'version']).execute();
    },
  };
}
