import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';

/**
 * On SQLite the metric history becomes a table clustered on its point key (WITHOUT ROWID): each point is stored
 * once, in the order history is read, instead of once in a rowid table and again in the unique index. Ingest
 * writes half the pages (one B-tree instead of two) and a history page is one range scan. PostgreSQL keeps its
 * heap and unique index.
 */
export function metricsClusteredMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') return;
      // Kysely runs SQLite migrations outside a transaction; this one copies the table, so all of it or none of it.
      await db.transaction().execute(async (trx) => {
        await sql`create table metrics_points (
          run_uuid varchar(32) not null, key varchar(250) not null, value double precision not null,
          timestamp bigint not null, step bigint not null, is_nan smallint not null,
          primary key (run_uuid, key, timestamp, step, value, is_nan)
        ) without rowid`.execute(trx);
        await sql`insert into metrics_points (run_uuid, key, value, timestamp, step, is_nan)
          select run_uuid, key, value, timestamp, step, is_nan from metrics order by run_uuid, key, timestamp, step, value, is_nan`.execute(trx);
        await sql`drop table metrics`.execute(trx);
        await sql`alter table metrics_points rename to metrics`.execute(trx);
      });
    },
  };
}
