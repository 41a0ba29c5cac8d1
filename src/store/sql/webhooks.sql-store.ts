import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DeliveryAttempt, WebhookDelivery, WebhookDeliveryStore } from '../../domain/monitoring/webhooks.js';
import type { DeliveryStatus } from '../../domain/monitoring/types.js';
import { busyGuard, type DatabaseHandle, type Dialect } from '../db.js';
import type { Database } from '../schema.js';
import type { WebhookTables } from '../tables/webhooks.tables.js';

const deliveryOf = (r: Selectable<WebhookTables['webhook_deliveries']>): WebhookDelivery => ({
  deliveryId: r.delivery_id, source: r.source, ownerId: r.owner_id, kind: r.kind, url: r.url, secret: r.secret, payload: r.payload,
  status: r.status as DeliveryStatus, attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at), lastError: r.last_error,
  lastStatus: r.last_status === null ? null : Number(r.last_status), createdAt: Number(r.created_at), deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
});

/** Inserts a delivery; modules call it inside their own transaction so what raised it and its delivery are stored together. */
export async function insertWebhookDelivery(db: Kysely<Database> | Transaction<Database>, d: WebhookDelivery): Promise<void> {
  await db.insertInto('webhook_deliveries').values({
    delivery_id: d.deliveryId, source: d.source, owner_id: d.ownerId, kind: d.kind, url: d.url, secret: d.secret, payload: d.payload, status: d.status,
    attempts: d.attempts, next_attempt_at: d.nextAttemptAt, last_error: d.lastError, last_status: d.lastStatus, created_at: d.createdAt, delivered_at: d.deliveredAt,
  }).execute();
}

export class SqlWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: Dialect;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
    this.dialect = handle.dialect;
  }

  async enqueue(d: WebhookDelivery): Promise<void> {
    await busyGuard(() => insertWebhookDelivery(this.db, d));
  }

  /**
   * One statement claims the batch. On PostgreSQL the due rows are picked `FOR UPDATE SKIP LOCKED`, so a second
   * server claiming at the same moment skips them, and a row it would wait on is re-checked after the first commits
   * (its next attempt is then in the future). SQLite runs one writer at a time, so the statement is atomic there.
   */
  async claimDueDeliveries(now: number, leaseUntil: number, limit: number): Promise<WebhookDelivery[]> {
    const rows = await busyGuard(() => this.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: leaseUntil })
      .where('delivery_id', 'in', (eb) => eb.selectFrom('webhook_deliveries').select('delivery_id')
        .where('status', '=', 'pending').where('next_attempt_at', '<=', now).orderBy('next_attempt_at').limit(limit)
        .$if(this.dialect === 'postgres', (q) => q.forUpdate().skipLocked()))
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .returningAll()
      .execute());
    return rows.map(deliveryOf).sort((a, b) => a.createdAt - b.createdAt);
  }

  async recordDeliveryAttempt(deliveryId: string, o: DeliveryAttempt): Promise<void> {
    await busyGuard(() => this.db
      .updateTable('webhook_deliveries')
      .set({ status: o.status, attempts: o.attempts, next_attempt_at: o.nextAttemptAt, last_error: o.lastError, last_status: o.lastStatus, delivered_at: o.deliveredAt })
      .where('delivery_id', '=', deliveryId)
      .execute());
  }

  async list(source: string, ownerId: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await busyGuard(() => this.db.selectFrom('webhook_deliveries').selectAll()
      .where('source', '=', source).where('owner_id', '=', ownerId).orderBy('created_at', 'desc').orderBy('delivery_id').limit(limit).execute());
    return rows.map(deliveryOf);
  }
}
