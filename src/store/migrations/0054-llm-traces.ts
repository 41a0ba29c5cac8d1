import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * LLM traces and their spans. A trace row is a summary recomputed from its spans whenever spans arrive (spans of
 * one trace may come in several batches, in any order). Start and end times are epoch milliseconds with fractions
 * (double precision), inputs, outputs and attributes JSON text, already redacted.
 */
export function llmTracesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('llm_traces')
        .addColumn('trace_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('project', 'varchar(256)', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('user_id', 'varchar(256)')
        .addColumn('session_id', 'varchar(256)')
        .addColumn('prompt_name', 'varchar(256)')
        .addColumn('prompt_version', 'varchar(64)')
        .addColumn('start_time', 'double precision', (c) => c.notNull())
        .addColumn('end_time', 'double precision')
        .addColumn('status', 'varchar(8)', (c) => c.notNull())
        .addColumn('span_count', 'integer', (c) => c.notNull())
        .addColumn('input_tokens', 'bigint', (c) => c.notNull())
        .addColumn('output_tokens', 'bigint', (c) => c.notNull())
        .addColumn('cost', 'double precision', (c) => c.notNull())
        .addColumn('models', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('llm_traces_project_start').on('llm_traces').columns(['project', 'start_time']).execute();
      await db.schema
        .createTable('llm_spans')
        .addColumn('trace_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('span_id', 'varchar(16)', (c) => c.notNull())
        .addColumn('parent_span_id', 'varchar(16)')
        .addColumn('project', 'varchar(256)', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('start_time', 'double precision', (c) => c.notNull())
        .addColumn('end_time', 'double precision')
        .addColumn('status', 'varchar(8)', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('input', 'text')
        .addColumn('output', 'text')
        .addColumn('model', 'varchar(256)')
        .addColumn('provider', 'varchar(128)')
        .addColumn('input_tokens', 'bigint')
        .addColumn('output_tokens', 'bigint')
        .addColumn('cost', 'double precision')
        .addColumn('prompt_name', 'varchar(256)')
        .addColumn('prompt_version', 'varchar(64)')
        .addColumn('user_id', 'varchar(256)')
        .addColumn('session_id', 'varchar(256)')
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('llm_spans_pk', ['trace_id', 'span_id'])
        .execute();
      // Budgets sum cost over a period, by project and optionally prompt or user.
      await db.schema.createIndex('llm_spans_project_start').on('llm_spans').columns(['project', 'start_time']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['llm_spans', 'llm_traces']) await db.schema.dropTable(t).execute();
    },
  };
}
