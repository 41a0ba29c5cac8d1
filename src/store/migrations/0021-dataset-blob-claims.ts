import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Which dataset blobs an upload or an add is using (claims, until they expire), and which one is being
 * deleted right now: garbage collection and the clean-up of a refused add never delete a blob in use.
 */
export function datasetBlobClaimsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('dataset_blob_claims')
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('holder', 'varchar(300)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('dataset_blob_claims_pk', ['sha256', 'holder'])
        .execute();
      await db.schema
        .createTable('dataset_blob_deletions')
        .addColumn('sha256', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
