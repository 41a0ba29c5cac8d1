import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** A partitioned dataset's per-file profiles and the columns that differ between its files (JSON). */
export function datasetPartsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('dataset_versions').addColumn('parts', 'text').execute();
    },
  };
}
