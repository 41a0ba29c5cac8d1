import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Who asserted a lineage edge ('platform' when OpenExpert recorded it from an operation it checked, 'user' when a
 * caller posted it); which audit key signed each entry ('' for the keyless chain of earlier versions); failed
 * sign-ins counted per address across accounts.
 */
export function governanceIntegrityMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // Edges from before origins existed cannot be told apart: they count as asserted by users, so no evidence
      // provider trusts them by default.
      await db.schema.alterTable('lineage_edges').addColumn('origin', 'varchar(16)', (c) => c.notNull().defaultTo('user')).execute();
      await db.schema.alterTable('gov_audit_log').addColumn('key_id', 'varchar(64)', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.createIndex('gov_signin_failures_ip').on('gov_signin_failures').columns(['source_ip', 'at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('gov_signin_failures_ip').execute();
      await db.schema.alterTable('gov_audit_log').dropColumn('key_id').execute();
      await db.schema.alterTable('lineage_edges').dropColumn('origin').execute();
    },
  };
}
