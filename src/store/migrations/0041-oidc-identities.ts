import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Single sign-on: which OpenExpert user an identity provider's subject signs in as (linked on first sign-in). */
export function oidcIdentitiesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('gov_oidc_identities')
        .addColumn('issuer', 'varchar(512)', (c) => c.notNull())
        .addColumn('subject', 'varchar(256)', (c) => c.notNull())
        .addColumn('username', 'varchar(256)', (c) => c.notNull().references('gov_users.username').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('gov_oidc_identities_pk', ['issuer', 'subject'])
        .execute();
      await db.schema.createIndex('gov_oidc_identities_user').on('gov_oidc_identities').columns(['username']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('gov_oidc_identities').execute();
    },
  };
}
