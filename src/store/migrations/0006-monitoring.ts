import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Monitors, their reference and window batches, window results, labels, alert rules, events, deliveries and retrain requests. */
export function monitoringMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('monitors')
        .addColumn('monitor_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(256)', (c) => c.notNull().unique())
        .addColumn('model_name', 'varchar(500)')
        .addColumn('model_version', 'varchar(64)')
        .addColumn('window_kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('reference_rows', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('monitor_windows')
        .addColumn('window_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull().references('monitors.monitor_id').onDelete('cascade'))
        .addColumn('window_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('window_end', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('row_count', 'bigint', (c) => c.notNull())
        .addColumn('dataset_drift_share', 'double precision')
        .addColumn('dataset_drift', 'integer')
        .addColumn('result', 'text')
        .addColumn('closed_at', 'bigint')
        .addUniqueConstraint('monitor_windows_key', ['monitor_id', 'window_key'])
        .execute();
      await db.schema.createIndex('monitor_windows_start').on('monitor_windows').columns(['monitor_id', 'window_start']).execute();

      await db.schema
        .createTable('monitor_batches')
        .addColumn('batch_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull().references('monitors.monitor_id').onDelete('cascade'))
        // null for the reference; the window otherwise
        .addColumn('window_id', 'varchar(32)', (c) => c.references('monitor_windows.window_id').onDelete('cascade'))
        .addColumn('row_count', 'bigint', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_batches_window').on('monitor_batches').columns(['monitor_id', 'window_id']).execute();

      await db.schema
        .createTable('monitor_labels')
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull().references('monitors.monitor_id').onDelete('cascade'))
        .addColumn('prediction_id', 'varchar(256)', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('monitor_labels_pk', ['monitor_id', 'prediction_id'])
        .execute();

      await db.schema
        .createTable('monitor_alert_rules')
        .addColumn('rule_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull().references('monitors.monitor_id').onDelete('cascade'))
        .addColumn('name', 'varchar(256)', (c) => c.notNull())
        .addColumn('figure', 'varchar(512)', (c) => c.notNull())
        .addColumn('op', 'varchar(4)', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('for_windows', 'integer', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('retrain', 'text')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('consecutive', 'integer', (c) => c.notNull())
        .addColumn('state_since', 'bigint', (c) => c.notNull())
        .addColumn('last_value', 'double precision')
        .addColumn('silenced_until', 'bigint')
        .addColumn('silence_reason', 'text')
        .addColumn('last_retrain_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('monitor_alert_rules_name', ['monitor_id', 'name'])
        .execute();

      await db.schema
        .createTable('monitor_alert_events')
        .addColumn('event_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('rule_id', 'varchar(32)', (c) => c.notNull().references('monitor_alert_rules.rule_id').onDelete('cascade'))
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('window_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('silenced', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_alert_events_rule').on('monitor_alert_events').columns(['rule_id', 'at']).execute();

      await db.schema
        .createTable('monitor_deliveries')
        .addColumn('delivery_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull().references('monitors.monitor_id').onDelete('cascade'))
        .addColumn('rule_id', 'varchar(32)')
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .execute();
      await db.schema.createIndex('monitor_deliveries_due').on('monitor_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('monitor_deliveries_monitor').on('monitor_deliveries').columns(['monitor_id', 'created_at']).execute();

      await db.schema
        .createTable('monitor_retrain_requests')
        .addColumn('request_id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('monitor_id', 'varchar(32)', (c) => c.notNull().references('monitors.monitor_id').onDelete('cascade'))
        .addColumn('rule_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('window_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitor_retrain_monitor').on('monitor_retrain_requests').columns(['monitor_id', 'created_at']).execute();
    },
  };
}
