import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Token scopes; per-object grants (MLflow's levels) for users, groups and everyone; groups; web sessions; user e-mail; audit object and detail. */
export function governancePermissionsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('gov_users').addColumn('email', 'varchar(320)').execute();
      // Comma-separated token scopes; '' for tokens made before scopes existed (they act with the user's full rights).
      await db.schema.alterTable('gov_tokens').addColumn('scopes', 'varchar(128)', (c) => c.notNull().defaultTo('')).execute();
      await db.schema
        .createTable('gov_groups')
        .addColumn('name', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('description', 'varchar(1000)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('gov_group_members')
        .addColumn('group_name', 'varchar(256)', (c) => c.notNull().references('gov_groups.name').onDelete('cascade'))
        .addColumn('username', 'varchar(256)', (c) => c.notNull().references('gov_users.username').onDelete('cascade'))
        .addPrimaryKeyConstraint('gov_group_members_pk', ['group_name', 'username'])
        .execute();
      await db.schema.createIndex('gov_group_members_user').on('gov_group_members').columns(['username']).execute();
      await db.schema
        .createTable('gov_permissions')
        .addColumn('resource_kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('resource_id', 'varchar(512)', (c) => c.notNull())
        // 'user' | 'group' | 'everyone' (principal '*').
        .addColumn('principal_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('principal', 'varchar(256)', (c) => c.notNull())
        .addColumn('level', 'varchar(16)', (c) => c.notNull())
        .addColumn('granted_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('gov_permissions_pk', ['resource_kind', 'resource_id', 'principal_type', 'principal'])
        .execute();
      await db.schema.createIndex('gov_permissions_principal').on('gov_permissions').columns(['principal_type', 'principal']).execute();
      await db.schema
        .createTable('gov_sessions')
        .addColumn('session_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(256)', (c) => c.notNull().references('gov_users.username').onDelete('cascade'))
        .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      // Failed sign-ins, shared by every replica so the rate limit holds behind a load balancer.
      await db.schema
        .createTable('gov_signin_failures')
        .addColumn('username', 'varchar(256)', (c) => c.notNull())
        .addColumn('source_ip', 'varchar(64)', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('gov_signin_failures_key').on('gov_signin_failures').columns(['username', 'source_ip', 'at']).execute();
      await db.schema.alterTable('gov_audit_log').addColumn('object', 'varchar(512)', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('gov_audit_log').addColumn('detail', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.createIndex('gov_audit_log_at').on('gov_audit_log').columns(['at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('gov_audit_log_at').execute();
      await db.schema.alterTable('gov_audit_log').dropColumn('detail').execute();
      await db.schema.alterTable('gov_audit_log').dropColumn('object').execute();
      for (const t of ['gov_signin_failures', 'gov_sessions', 'gov_permissions', 'gov_group_members', 'gov_groups']) await db.schema.dropTable(t).execute();
      await db.schema.alterTable('gov_tokens').dropColumn('scopes').execute();
      await db.schema.alterTable('gov_users').dropColumn('email').execute();
    },
  };
}
