import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Retention: policies (runs older than `max_age_days` in an experiment, a project or the whole server are
 * deleted for good) and deletion jobs, whose progress and outcome stay readable after they finish.
 */
export function retentionMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('retention_policies')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        // 'server' | 'experiment' | 'project'
        .addColumn('scope_kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('scope_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('max_age_days', 'integer', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('retention_policies_scope', ['scope_kind', 'scope_id'])
        .execute();
      await db.schema
        .createTable('deletion_jobs')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('requested_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('reason', 'varchar(1000)', (c) => c.notNull())
        // 'running' | 'done' | 'failed'
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        // JSON: rows deleted per table, artifact files and bytes
        .addColumn('counts', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['deletion_jobs', 'retention_policies']) await db.schema.dropTable(t).execute();
    },
  };
}
