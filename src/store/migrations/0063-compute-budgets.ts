import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Compute budgets and the alerts they raised: one per budget, period and threshold (the unique key is what makes an
 * alert fire once). An alert's webhook delivery is in `webhook_deliveries` (source `compute-budget`), same id.
 */
export function computeBudgetsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('compute_budgets')
        .addColumn('budget_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('scope', 'varchar(16)', (c) => c.notNull())
        .addColumn('subject', 'varchar(500)', (c) => c.notNull())
        .addColumn('period', 'varchar(8)', (c) => c.notNull())
        .addColumn('limit_usd', 'double precision', (c) => c.notNull())
        .addColumn('thresholds', 'text', (c) => c.notNull())
        .addColumn('hard_stop', 'integer', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('compute_budget_alerts')
        .addColumn('alert_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('budget_id', 'varchar(32)', (c) => c.notNull().references('compute_budgets.budget_id').onDelete('cascade'))
        .addColumn('period_start', 'bigint', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('spent_usd', 'double precision', (c) => c.notNull())
        .addColumn('limit_usd', 'double precision', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('compute_budget_alerts_once', ['budget_id', 'period_start', 'threshold'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['compute_budget_alerts', 'compute_budgets']) await db.schema.dropTable(t).execute();
    },
  };
}
