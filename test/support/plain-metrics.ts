import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';

/** The metrics table as 0001 made it (a rowid table, no index), for tests that upgrade from an older schema. */
export async function recreatePlainMetrics(db: Kysely<Database>): Promise<void> {
  await db.schema.dropTable('metrics').execute();
  await db.schema
    .createTable('metrics')
    .addColumn('run_uuid', 'varchar(32)', (c) => c.notNull())
    .addColumn('key', 'varchar(250)', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('is_nan', 'smallint', (c) => c.notNull())
    .execute();
}
