import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * One row per sweep that a controller drives: who holds it (the controller's id, host and pid) and until when.
 * The holder renews it while it runs; another controller may take it only once it has expired, or when it names
 * the holder it saw and found dead (same host, no such process), so two controllers never schedule one sweep.
 */
export function sweepLeasesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sweep_leases')
        .addColumn('sweep_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('controller', 'varchar(256)', (c) => c.notNull())
        .addColumn('host', 'varchar(256)', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sweep_leases').execute();
    },
  };
}
