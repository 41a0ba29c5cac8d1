import { sql, type Kysely, type Selectable } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { ItemFilter, ReviewStore } from '../../domain/review/review.store.js';
import type { ItemReason, NewReviewItem, QueueScope, QueueSpec, ReviewItem, ReviewLabel, ReviewQueue } from '../../domain/review/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { ReviewTables } from '../tables/review.tables.js';

type QueueRow = Selectable<ReviewTables['review_queues']>;
type ItemRow = Selectable<ReviewTables['review_items']>;
type LabelRow = Selectable<ReviewTables['review_labels']>;

const queueOf = (r: QueueRow): ReviewQueue => ({
  name: r.name, project: r.project, scope: r.scope as QueueScope, ...(r.target !== null ? { target: r.target } : {}),
  ...(r.description !== null ? { description: r.description } : {}), spec: JSON.parse(r.spec), cursor: Number(r.cursor),
  createdBy: r.created_by, createdAt: Number(r.created_at),
});

const labelOf = (r: LabelRow): ReviewLabel => ({ reviewer: r.reviewer, label: r.label, ...(r.comment !== null ? { comment: r.comment } : {}), at: Number(r.at) });

const itemOf = (r: ItemRow, labels: readonly ReviewLabel[]): ReviewItem => ({
  id: r.id, queue: r.queue, source: JSON.parse(r.source), reason: r.reason as ItemReason, fields: JSON.parse(r.fields),
  ...(r.predicted !== null ? { predicted: r.predicted } : {}), ...(r.confidence !== null ? { confidence: Number(r.confidence) } : {}),
  assigned: JSON.parse(r.assigned), time: Number(r.time), createdAt: Number(r.created_at), labels,
});

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const byTime = (a: LabelRow, b: LabelRow) => Number(a.at) - Number(b.at) || a.reviewer.localeCompare(b.reviewer);

export class SqlReviewStore implements ReviewStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async createQueue(q: ReviewQueue): Promise<void> {
    try {
      await busyGuard(() => this.db.insertInto('review_queues').values({
        name: q.name, project: q.project, scope: q.scope, target: q.target ?? null, description: q.description ?? null, spec: JSON.stringify(q.spec),
        cursor: q.cursor, created_by: q.createdBy, created_at: q.createdAt,
      }).execute());
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Review queue '${q.name}'`);
      throw err;
    }
  }

  async getQueue(name: string): Promise<ReviewQueue | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('review_queues').selectAll().where('name', '=', name).executeTakeFirst());
    return row ? queueOf(row) : undefined;
  }

  async listQueues(): Promise<ReviewQueue[]> {
    return (await busyGuard(() => this.db.selectFrom('review_queues').selectAll().orderBy('name').execute())).map(queueOf);
  }

  async setCursor(name: string, cursor: number): Promise<void> {
    // Only forward: two pulls at once (two servers, or a background pull and a request) may finish in either order.
    await busyGuard(() => this.db.updateTable('review_queues').set({ cursor }).where('name', '=', name).where('cursor', '<', cursor).execute());
  }

  async updateQueue(name: string, update: { description: string | null; spec: QueueSpec }, opts: { unlabelledOnly: boolean }): Promise<'updated' | 'labelled' | 'missing'> {
    return busyGuard(() => this.db.transaction().execute(async (tx) => {
      if (opts.unlabelledOnly && await tx.selectFrom('review_labels').select('item_id').where('queue', '=', name).limit(1).executeTakeFirst()) return 'labelled';
      const r = await tx.updateTable('review_queues').set({ description: update.description, spec: JSON.stringify(update.spec) }).where('name', '=', name).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0 ? 'updated' : 'missing';
    }));
  }

  async deleteQueue(name: string): Promise<boolean> {
    return busyGuard(() => this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('review_labels').where('queue', '=', name).execute();
      await tx.deleteFrom('review_items').where('queue', '=', name).execute();
      const r = await tx.deleteFrom('review_queues').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    }));
  }

  async addItems(items: readonly NewReviewItem[]): Promise<NewReviewItem[]> {
    const added: NewReviewItem[] = [];
    // One at a time, so an item whose source is already queued is skipped, whatever the database.
    for (let i = 0; i < items.length; i += 200) {
      const batch = items.slice(i, i + 200);
      await busyGuard(() => this.db.transaction().execute(async (tx) => {
        for (const [k, it] of batch.entries()) {
          const r = await tx.insertInto('review_items').values({
            id: it.id, queue: it.queue, source_kind: it.source.kind, source_id: it.source.id, source: JSON.stringify(it.source), reason: it.reason,
            fields: JSON.stringify(it.fields), predicted: it.predicted ?? null, confidence: it.confidence ?? null, assigned: JSON.stringify(it.assigned),
            time: it.time, seq: i + k, created_at: it.createdAt,
          }).onConflict((oc) => oc.columns(['queue', 'source_kind', 'source_id']).doNothing()).executeTakeFirst();
          if (Number(r.numInsertedOrUpdatedRows ?? 0n) > 0) added.push(it);
        }
      }));
    }
    return added;
  }

  async items(queue: string): Promise<ReviewItem[]> {
    const [rows, labels] = await busyGuard(() => Promise.all([
      this.db.selectFrom('review_items').selectAll().where('queue', '=', queue).orderBy('time').orderBy('seq').orderBy('id').execute(),
      this.db.selectFrom('review_labels').selectAll().where('queue', '=', queue).execute(),
    ]));
    const byItem = new Map<string, LabelRow[]>();
    for (const l of labels) byItem.set(l.item_id, [...(byItem.get(l.item_id) ?? []), l]);
    return rows.map((r) => itemOf(r, (byItem.get(r.id) ?? []).sort(byTime).map(labelOf)));
  }

  async itemPage(queue: string, q: { filter: ItemFilter; offset: number; limit: number }): Promise<{ items: ReviewItem[]; more: boolean }> {
    const { filter } = q;
    const rows = await busyGuard(() => this.db.selectFrom('review_items as i').selectAll('i').where('i.queue', '=', queue)
      .$if(filter.kind === 'labelled', (b) => b.where(({ exists, selectFrom }) => exists(selectFrom('review_labels as l').select('l.item_id').whereRef('l.item_id', '=', 'i.id'))))
      .$if(filter.kind === 'todo', (b) => {
        const { reviewer, assignedOnly } = filter as Extract<ItemFilter, { kind: 'todo' }>;
        const mine = b.where(({ not, exists, selectFrom }) => not(exists(selectFrom('review_labels as l').select('l.item_id').whereRef('l.item_id', '=', 'i.id').where('l.reviewer', '=', reviewer))));
        // `assigned` is a JSON array of strings: the reviewer's JSON string appears in it exactly when they are assigned.
        return assignedOnly ? mine.where(sql<boolean>`${sql.ref('i.assigned')} LIKE ${`%${likeEscape(JSON.stringify(reviewer))}%`} ESCAPE '\\'`) : mine;
      })
      .orderBy('i.time').orderBy('i.seq').orderBy('i.id').limit(q.limit + 1).offset(q.offset).execute());
    const page = rows.slice(0, q.limit);
    const labels = page.length === 0 ? [] : await busyGuard(() => this.db.selectFrom('review_labels').selectAll().where('item_id', 'in', page.map((r) => r.id)).execute());
    const byItem = new Map<string, LabelRow[]>();
    for (const l of labels) byItem.set(l.item_id, [...(byItem.get(l.item_id) ?? []), l]);
    return { items: page.map((r) => itemOf(r, (byItem.get(r.id) ?? []).sort(byTime).map(labelOf))), more: rows.length > q.limit };
  }

  async item(queue: string, id: string): Promise<ReviewItem | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('review_items').selectAll().where('queue', '=', queue).where('id', '=', id).executeTakeFirst());
    if (!row) return undefined;
    const labels = await busyGuard(() => this.db.selectFrom('review_labels').selectAll().where('item_id', '=', id).execute());
    return itemOf(row, labels.sort(byTime).map(labelOf));
  }

  async putLabel(queue: string, itemId: string, l: ReviewLabel): Promise<void> {
    await busyGuard(() => this.db.insertInto('review_labels')
      .values({ item_id: itemId, queue, reviewer: l.reviewer, label: l.label, comment: l.comment ?? null, at: l.at })
      .onConflict((oc) => oc.columns(['item_id', 'reviewer']).doUpdateSet({ label: l.label, comment: l.comment ?? null, at: l.at }))
      .execute());
  }
}
