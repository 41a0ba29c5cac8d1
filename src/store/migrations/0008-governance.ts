import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Local users, API tokens (stored as sha256 only) and the hash-chained audit log. */
export function governanceMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('gov_users')
        .addColumn('username', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('password_hash', 'varchar(512)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('gov_tokens')
        .addColumn('token_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(256)', (c) => c.notNull().references('gov_users.username').onDelete('cascade'))
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('gov_audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'varchar(256)', (c) => c.notNull())
        .addColumn('action', 'varchar(512)', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('request_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('source_ip', 'varchar(64)', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['gov_audit_log', 'gov_tokens', 'gov_users']) await db.schema.dropTable(t).execute();
    },
  };
}
