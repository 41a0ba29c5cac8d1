import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** LLM price table, redaction settings, cost budgets and the alerts budgets raised (one per budget, period and level). */
export function llmBudgetsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('llm_prices')
        .addColumn('provider', 'varchar(128)', (c) => c.notNull())
        .addColumn('model', 'varchar(256)', (c) => c.notNull())
        .addColumn('input_per_million', 'double precision', (c) => c.notNull())
        .addColumn('output_per_million', 'double precision', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('llm_prices_pk', ['provider', 'model'])
        .execute();
      await db.schema
        .createTable('llm_settings')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('llm_budgets')
        .addColumn('budget_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('project', 'varchar(256)', (c) => c.notNull())
        .addColumn('scope', 'varchar(16)', (c) => c.notNull())
        .addColumn('subject', 'varchar(256)')
        .addColumn('period', 'varchar(8)', (c) => c.notNull())
        .addColumn('limit_usd', 'double precision', (c) => c.notNull())
        .addColumn('warn_at', 'double precision')
        .addColumn('hard_stop', 'integer', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('llm_budget_alerts')
        .addColumn('alert_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('budget_id', 'varchar(32)', (c) => c.notNull().references('llm_budgets.budget_id').onDelete('cascade'))
        .addColumn('period_start', 'bigint', (c) => c.notNull())
        .addColumn('level', 'varchar(16)', (c) => c.notNull())
        .addColumn('spent_usd', 'double precision', (c) => c.notNull())
        .addColumn('limit_usd', 'double precision', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('llm_budget_alerts_once', ['budget_id', 'period_start', 'level'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['llm_budget_alerts', 'llm_budgets', 'llm_settings', 'llm_prices']) await db.schema.dropTable(t).execute();
    },
  };
}
