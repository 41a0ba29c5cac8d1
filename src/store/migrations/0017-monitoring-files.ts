import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Production-sized batches live as Parquet files in the artifact store, not as JSON in the database: a batch
 * row names its file (its payload is then empty), and a monitor remembers where its reference came from
 * (an upload, a dataset version, an artifact URI).
 */
export function monitoringFilesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('monitor_batches').addColumn('file_path', 'varchar(1024)').execute();
      await db.schema.alterTable('monitors').addColumn('reference_source', 'text').execute();
    },
  };
}
