import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPgSchema, sqliteTempUrl, TEST_PG_URL } from '../../../test/support/backends.js';
import { anonymousAdmin } from '../../core/actor.js';
import { systemClock } from '../../core/clock.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../store/db.js';
import { SqlTraceStore } from '../../store/sql/llmops.sql-store.js';
import { SqlWebhookDeliveryStore } from '../../store/sql/webhooks.sql-store.js';
import { allowAll } from '../access/access.js';
import { newDelivery, verifyWebhookSignature, WebhookDispatcher, type WebhookDelivery } from '../monitoring/webhooks.js';
import { BUDGET_DELIVERY_SOURCE, DispatchedBudgetAlerts } from './budget-alerts.js';
import { TraceService } from './traces.service.js';

const quiet = { info: () => {}, warn: () => {} };
const actor = anonymousAdmin();
const SECRET = 's'.repeat(32);

/** Answers 500 to the first `failFirst` requests for each idempotency key, 204 after; records every request. */
class FlakyReceiver {
  readonly requests: { key: string; ok: boolean; body: string; signed: boolean }[] = [];
  private readonly seen = new Map<string, number>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const key = String(req.headers['idempotency-key']);
      const n = (this.seen.get(key) ?? 0) + 1;
      this.seen.set(key, n);
      const ok = !req.url!.startsWith('/down') && n > this.failFirst;
      const signed = verifyWebhookSignature(SECRET, body, {
        signature: req.headers['x-openexpert-signature'] as string, timestamp: req.headers['x-openexpert-timestamp'] as string,
      }, Math.floor(Date.now() / 1000));
      this.requests.push({ key, ok, body, signed });
      res.statusCode = ok ? 204 : 500;
      res.end();
    });
  });
  constructor(private readonly failFirst: number) {}
  async up(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
  }
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }
  delivered(key: string): number {
    return this.requests.filter((r) => r.key === key && r.ok).length;
  }
  async down(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }
}

const eventually = async (check: () => boolean | Promise<boolean>, ms = 60_000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** A migrated database of its own and a way to open it again, as a restarted server (or a second one) would. */
async function database(kind: 'sqlite' | 'postgres'): Promise<{ open(): Promise<DatabaseHandle>; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const url = sqliteTempUrl();
    const first = await openDatabase(url);
    await migrate(first);
    await first.close();
    return { open: () => openDatabase(url), drop: async () => {} };
  }
  const schema = await emptyPgSchema('deliveries');
  const first = await openDatabase(schema.url);
  await migrate(first);
  await first.close();
  return { open: () => openDatabase(schema.url), drop: () => schema.drop() };
}

const options = { backoffMs: 40, maxAttempts: 6, timeoutMs: 2000, pollMs: 30 };

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`durable budget alert deliveries on ${kind}${kind === 'postgres' ? ` (${TEST_PG_URL})` : ''}`, () => {
    let db: Awaited<ReturnType<typeof database>>;
    const receiver = new FlakyReceiver(3);
    const handles: DatabaseHandle[] = [];
    const open = async () => {
      const h = await db.open();
      handles.push(h);
      return h;
    };

    beforeAll(async () => {
      db = await database(kind);
      await receiver.up();
    }, 120_000);
    afterAll(async () => {
      await receiver.down();
      for (const h of handles) await h.close();
      await db.drop();
    });

    it('queues the alert with its delivery, and a restarted dispatcher delivers it once the receiver recovers', async () => {
      const first = await open();
      // The first server: raises the alert, makes one failed attempt, then goes away without sending more.
      const dispatcherA = new WebhookDispatcher(new SqlWebhookDeliveryStore(first), systemClock, quiet, options);
      const traces = new TraceService(new SqlTraceStore(first), allowAll, systemClock, new DispatchedBudgetAlerts(quiet, { kick: () => {} }));
      const budget = await traces.createBudget(actor, {
        name: 'daily', project: 'default', scope: 'project', period: 'day', limitUsd: 1, hardStop: false, webhookUrl: receiver.url('/hook'), webhookSecret: SECRET,
      });
      const now = Date.now();
      const result = await traces.ingest(actor, { project: 'default', spans: [
        { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'call', kind: 'llm', startTime: now, endTime: now + 1, status: 'ok', cost: 2, attributes: {} },
      ] });
      expect(result.alerts.map((a) => a.level)).toEqual(['exceeded']);
      const alertId = result.alerts[0]!.alertId;
      await dispatcherA.deliverDue();
      expect(receiver.requests.map((r) => r.ok)).toEqual([false]);
      const queued = new SqlWebhookDeliveryStore(first);
      expect(await queued.list(BUDGET_DELIVERY_SOURCE, budget.budgetId, 10)).toMatchObject([{ deliveryId: alertId, status: 'pending', attempts: 1, lastStatus: 500 }]);
      // A second failed attempt is claimed and then the process dies before recording it: the lease runs out and
      // the delivery is claimed again (at least once).
      await new Promise((r) => setTimeout(r, options.backoffMs * 2));
      expect(await queued.claimDueDeliveries(Date.now(), Date.now() + 500, 10)).toHaveLength(1);
      await first.close();

      const second = await open();
      const store = new SqlWebhookDeliveryStore(second);
      const dispatcherB = new WebhookDispatcher(store, systemClock, quiet, options);
      dispatcherB.start();
      await eventually(() => receiver.delivered(alertId) === 1);
      await dispatcherB.stop();
      const mine = receiver.requests.filter((r) => r.key === alertId);
      expect(mine.map((r) => r.ok)).toEqual([false, false, false, true]);
      expect(mine.every((r) => r.signed)).toBe(true);
      expect(JSON.parse(mine[3]!.body)).toMatchObject({ type: 'budget', level: 'exceeded', alertId, budget: { name: 'daily' }, spentUsd: 2, limitUsd: 1 });
      const [stored] = await store.list(BUDGET_DELIVERY_SOURCE, budget.budgetId, 10);
      expect(stored).toMatchObject({ status: 'delivered', attempts: 4, lastError: null });
      // Once delivered it is never sent again.
      await dispatcherB.deliverDue();
      expect(receiver.delivered(alertId)).toBe(1);
    }, 120_000);

    it('gives up after the last attempt and leaves the delivery failed', async () => {
      const h = await open();
      const store = new SqlWebhookDeliveryStore(h);
      const d = newDelivery({ deliveryId: 'dead0001', source: BUDGET_DELIVERY_SOURCE, ownerId: 'b-dead', kind: 'budget', url: receiver.url('/down'), secret: SECRET, payload: '{}' }, Date.now());
      await store.enqueue(d);
      const dispatcher = new WebhookDispatcher(store, systemClock, quiet, { ...options, maxAttempts: 3 });
      dispatcher.start();
      await eventually(async () => (await store.list(BUDGET_DELIVERY_SOURCE, 'b-dead', 1))[0]!.status === 'failed');
      await dispatcher.stop();
      expect(receiver.requests.filter((r) => r.key === 'dead0001')).toHaveLength(3);
      expect((await store.list(BUDGET_DELIVERY_SOURCE, 'b-dead', 1))[0]).toMatchObject({ attempts: 3, lastStatus: 500, lastError: 'receiver answered 500' });
      expect(await store.claimDueDeliveries(Date.now() + 3_600_000, Date.now() + 3_700_000, 10)).toEqual([]);
    }, 120_000);

    it('two servers dispatching the same queue send each delivery to a healthy receiver once', async () => {
      const [a, b] = [await open(), await open()];
      const storeA = new SqlWebhookDeliveryStore(a);
      const healthy = new FlakyReceiver(0);
      await healthy.up();
      const keys = Array.from({ length: 40 }, (_, i) => `race${String(i).padStart(4, '0')}`);
      const now = Date.now();
      for (const k of keys) await storeA.enqueue(newDelivery({ deliveryId: k, source: 'test', ownerId: 'race', kind: 'budget', url: healthy.url('/hook'), secret: SECRET, payload: '{}' }, now) satisfies WebhookDelivery);
      const dispatchers = [new WebhookDispatcher(storeA, systemClock, quiet, options), new WebhookDispatcher(new SqlWebhookDeliveryStore(b), systemClock, quiet, options)];
      await Promise.all(dispatchers.flatMap((d) => [d.deliverDue(), d.deliverDue(), d.deliverDue()]));
      for (const d of dispatchers) d.start();
      await eventually(() => keys.every((k) => healthy.delivered(k) >= 1));
      for (const d of dispatchers) await d.stop();
      await healthy.down();
      expect(keys.map((k) => healthy.delivered(k))).toEqual(keys.map(() => 1));
      expect(healthy.requests).toHaveLength(40);
    }, 120_000);
  });
}
