import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Human review queues: a queue per deployment, model, LLM project or for pushed items; its items (one per source
 * prediction row, trace or pushed record, never twice) and each reviewer's label of an item.
 */
export function reviewMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('review_queues')
        .addColumn('name', 'varchar(256)', (c) => c.primaryKey())
        .addColumn('project', 'varchar(256)', (c) => c.notNull())
        .addColumn('scope', 'varchar(32)', (c) => c.notNull())
        .addColumn('target', 'varchar(512)')
        .addColumn('description', 'text')
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('cursor', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('review_items')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('queue', 'varchar(256)', (c) => c.notNull())
        .addColumn('source_kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('source_id', 'varchar(512)', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('reason', 'varchar(32)', (c) => c.notNull())
        .addColumn('fields', 'text', (c) => c.notNull())
        .addColumn('predicted', 'varchar(512)')
        .addColumn('confidence', 'double precision')
        .addColumn('assigned', 'text', (c) => c.notNull())
        .addColumn('time', 'bigint', (c) => c.notNull())
        // order among items of the same source time (the rows of one request), as they were added
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('review_items_source', ['queue', 'source_kind', 'source_id'])
        .execute();
      await db.schema.createIndex('review_items_queue_time').on('review_items').columns(['queue', 'time']).execute();
      await db.schema
        .createTable('review_labels')
        .addColumn('item_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('queue', 'varchar(256)', (c) => c.notNull())
        .addColumn('reviewer', 'varchar(256)', (c) => c.notNull())
        .addColumn('label', 'varchar(256)', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('review_labels_pk', ['item_id', 'reviewer'])
        .execute();
      await db.schema.createIndex('review_labels_queue').on('review_labels').columns(['queue']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('review_labels').execute();
      await db.schema.dropTable('review_items').execute();
      await db.schema.dropTable('review_queues').execute();
    },
  };
}
