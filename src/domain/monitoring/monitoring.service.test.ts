import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import { anonymousAdmin } from '../../core/actor.js';
import type { DatabaseHandle } from '../../store/db.js';
import { SqlMonitoringStore } from '../../store/sql/monitoring.sql-store.js';
import { allowAll } from '../access/access.js';
import { MonitoringService } from './monitoring.service.js';
import type { Delivery } from './types.js';
import { WebhookDispatcher, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhooks.js';

const actor = anonymousAdmin('ann');
const quiet = { info: () => {}, warn: () => {} };
const range = (n: number, f: (i: number) => number = (i) => i) => Array.from({ length: n }, (_, i) => f(i));

interface Received { path: string; body: string; headers: http.IncomingHttpHeaders }

/** A real HTTP receiver on a fixed port that can be taken down and brought back. */
class Receiver {
  readonly received: Received[] = [];
  private server: http.Server | undefined;
  port = 0;
  async up(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  async down(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server = undefined;
  }
  url(path: string) {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

const eventually = async (check: () => boolean | Promise<boolean>, ms = 5000) => {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const backend = testBackends()[0]!;

describe('monitoring service: windows, alerts, webhooks, retrain triggers', () => {
  let handle: DatabaseHandle;
  let service: MonitoringService;
  let dispatcher: WebhookDispatcher<Delivery>;
  const clock = { t: 1_700_000_000_000, now() { return this.t; } };
  const receiver = new Receiver();
  const commands: { argv: readonly string[]; env: Readonly<Record<string, string>> }[] = [];

  beforeAll(async () => {
    handle = await backend.open();
    const store = new SqlMonitoringStore(handle);
    dispatcher = new WebhookDispatcher(store, clock, quiet, { backoffMs: 50, maxAttempts: 3, timeoutMs: 1000, pollMs: 25 }, (d, ok, detail) => service.onDeliveryOutcome(d, ok, detail));
    service = new MonitoringService(store, allowAll, clock, dispatcher, quiet, async (argv, env) => {
      commands.push({ argv, env });
      return 4242;
    });
    dispatcher.start();
    await receiver.up();
  });
  afterAll(async () => {
    await dispatcher.stop();
    await receiver.down();
    await handle.close();
  });

  const reference = { x: range(300), y: range(300, (i) => i * 2) };
  const calm = { x: range(300), y: range(300, (i) => i * 2) };
  const drifted = { x: range(300, (i) => i + 200), y: range(300, (i) => i * 2 + 400) };

  it('an alert goes pending → firing → resolved over consecutive batch windows and notifies with a verifiable signature', async () => {
    await service.create(actor, { name: 'lifecycle', window: 'batch', reference });
    const rule = await service.createAlertRule(actor, {
      monitor: 'lifecycle', name: 'drift', figure: 'dataset_drift_share', op: '>=', threshold: 0.5, forWindows: 2, webhookUrl: receiver.url('/alerts'),
    });
    const states: string[] = [];
    for (const batch of [drifted, drifted, drifted, calm]) {
      clock.t += 60_000;
      const { window } = await service.ingest(actor, { monitor: 'lifecycle', batch });
      expect(window.status).toBe('closed');
      states.push((await service.getAlertRule(actor, rule.ruleId)).rule.state);
    }
    expect(states).toEqual(['pending', 'firing', 'firing', 'resolved']);
    await eventually(() => receiver.received.filter((r) => r.path === '/alerts').length === 2);
    const [firing, resolved] = receiver.received.filter((r) => r.path === '/alerts');
    expect(JSON.parse(firing!.body)).toMatchObject({ type: 'alert', state: 'firing', value: 1, rule: { name: 'drift', figure: 'dataset_drift_share' }, monitor: { name: 'lifecycle' } });
    expect(JSON.parse(resolved!.body)).toMatchObject({ state: 'resolved', value: 0 });
    for (const r of [firing!, resolved!]) {
      const headers = { signature: r.headers[SIGNATURE_HEADER] as string, timestamp: r.headers[TIMESTAMP_HEADER] as string };
      expect(verifyWebhookSignature(rule.webhookSecret, r.body, headers, Math.floor(clock.now() / 1000))).toBe(true);
      expect(verifyWebhookSignature('wrong secret', r.body, headers, Math.floor(clock.now() / 1000))).toBe(false);
      expect(verifyWebhookSignature(rule.webhookSecret, `${r.body} `, headers, Math.floor(clock.now() / 1000))).toBe(false);
      // A replayed delivery is refused once its timestamp is older than the tolerance.
      expect(verifyWebhookSignature(rule.webhookSecret, r.body, headers, Math.floor(clock.now() / 1000) + 301)).toBe(false);
    }
    const { events } = await service.getAlertRule(actor, rule.ruleId);
    expect(events.map((e) => e.state).reverse()).toEqual(['pending', 'firing', 'resolved']);
  });

  it('a receiver that is down does not block ingestion; the delivery is retried with backoff until it lands', async () => {
    await receiver.down();
    await service.create(actor, { name: 'down', window: 'batch', reference });
    await service.createAlertRule(actor, { monitor: 'down', name: 'any-drift', figure: 'drifted:x', op: '>=', threshold: 1, webhookUrl: receiver.url('/down') });
    const started = Date.now();
    clock.t += 60_000;
    await service.ingest(actor, { monitor: 'down', batch: drifted });
    expect(Date.now() - started).toBeLessThan(1000);
    await eventually(async () => (await service.listDeliveries(actor, { monitor: 'down' }))[0]?.attempts === 1);
    const [pending] = await service.listDeliveries(actor, { monitor: 'down' });
    expect(pending).toMatchObject({ status: 'pending', attempts: 1 });
    expect(pending!.lastError).toBeTruthy();
    await receiver.up();
    clock.t += 1000;
    await eventually(async () => (await service.listDeliveries(actor, { monitor: 'down' }))[0]?.status === 'delivered');
    expect(receiver.received.filter((r) => r.path === '/down')).toHaveLength(1);
  });

  it('gives up after the last attempt and shows it', async () => {
    await service.create(actor, { name: 'dead', window: 'batch', reference });
    await service.createAlertRule(actor, { monitor: 'dead', name: 'r', figure: 'dataset_drift', op: '>=', threshold: 1, webhookUrl: 'http://127.0.0.1:9/never' });
    clock.t += 60_000;
    await service.ingest(actor, { monitor: 'dead', batch: drifted });
    for (let i = 0; i < 3; i++) {
      await eventually(async () => (await service.listDeliveries(actor, { monitor: 'dead' }))[0]!.attempts > i);
      clock.t += 10_000;
    }
    await eventually(async () => (await service.listDeliveries(actor, { monitor: 'dead' }))[0]?.status === 'failed');
    expect((await service.listDeliveries(actor, { monitor: 'dead' }))[0]).toMatchObject({ attempts: 3, status: 'failed' });
  });

  it('a retrain trigger fires once per cooldown and is recorded; a silence mutes it', async () => {
    await service.create(actor, { name: 'retrain', window: 'batch', reference, modelName: 'churn', modelVersion: '3' });
    const hook = await service.createAlertRule(actor, {
      monitor: 'retrain', name: 'retrain-hook', figure: 'dataset_drift', op: '>=', threshold: 1, retrain: { webhookUrl: receiver.url('/retrain'), cooldownMs: 3_600_000 },
    });
    await service.createAlertRule(actor, {
      monitor: 'retrain', name: 'retrain-cmd', figure: 'dataset_drift', op: '>=', threshold: 1, retrain: { command: ['train.sh', '--model', 'churn'], cooldownMs: 3_600_000 },
    });
    // drift, calm, drift within the hour: the second firing is inside the cooldown.
    for (const batch of [drifted, calm, drifted]) {
      clock.t += 60_000;
      await service.ingest(actor, { monitor: 'retrain', batch });
    }
    await eventually(async () => (await service.listRetrainRequests(actor, { monitor: 'retrain' })).some((r) => r.status === 'delivered'));
    const requests = await service.listRetrainRequests(actor, { monitor: 'retrain' });
    expect(requests.map((r) => [r.target, r.status]).sort()).toEqual([
      ['http://127.0.0.1:' + receiver.port + '/retrain', 'delivered'],
      ['train.sh --model churn', 'started'],
    ]);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ argv: ['train.sh', '--model', 'churn'], env: { OPENEXPERT_MONITOR: 'retrain', OPENEXPERT_MODEL_NAME: 'churn', OPENEXPERT_MODEL_VERSION: '3' } });
    const body = JSON.parse(receiver.received.find((r) => r.path === '/retrain')!.body);
    expect(body).toMatchObject({ type: 'retrain', monitor: { modelName: 'churn', modelVersion: '3' }, rule: { name: 'retrain-hook' } });

    // After the cooldown a firing triggers again — unless the rule is silenced.
    clock.t += 3_600_000;
    await service.silence(actor, { ruleId: hook.ruleId, durationMs: 86_400_000, reason: 'known backfill' });
    for (const batch of [calm, drifted]) {
      clock.t += 60_000;
      await service.ingest(actor, { monitor: 'retrain', batch });
    }
    const after = await service.listRetrainRequests(actor, { monitor: 'retrain' });
    expect(after.filter((r) => r.target.startsWith('http'))).toHaveLength(1);
    expect(after.filter((r) => r.target.startsWith('train.sh'))).toHaveLength(2);
    const events = (await service.getAlertRule(actor, hook.ruleId)).events;
    expect(events[0]).toMatchObject({ state: 'firing', silenced: true });
  });

  it('hour windows collect batches and close when a later hour starts; late labels give performance', async () => {
    const hour = 3_600_000;
    clock.t = Math.floor(clock.t / hour) * hour + 10;
    await service.create(actor, {
      name: 'hourly', window: 'hour', reference: { id: range(300, (i) => i), x: range(300), pred: range(300, (i) => i % 2) },
      config: { idColumn: 'id', predictionColumn: 'pred', task: 'classification' },
    });
    const first = await service.ingest(actor, { monitor: 'hourly', batch: { id: range(100, (i) => 1000 + i), x: range(100), pred: range(100, (i) => i % 2) } });
    const second = await service.ingest(actor, { monitor: 'hourly', batch: { id: range(100, (i) => 1100 + i), x: range(100, (i) => i + 100), pred: range(100, () => 1) }, timestamp: clock.t + 60_000 });
    expect(second.window.windowId).toBe(first.window.windowId);
    expect(second.closed).toEqual([]);
    const third = await service.ingest(actor, { monitor: 'hourly', batch: { id: [5000], x: [1], pred: [0] }, timestamp: clock.t + hour });
    expect(third.closed.map((w) => [w.windowId, w.rows])).toEqual([[first.window.windowId, 200]]);
    // Labels: 150 of the 200 predictions, 100 of them right.
    const labels = [
      ...range(100, (i) => i).map((i) => ({ predictionId: String(1000 + i), label: i % 2 })),
      ...range(50, (i) => i).map((i) => ({ predictionId: String(1100 + i), label: 0 })),
    ];
    expect(await service.addLabels(actor, { monitor: 'hourly', labels })).toEqual({ stored: 150, windowsUpdated: 1 });
    const w = await service.getWindow(actor, { monitor: 'hourly', windowId: first.window.windowId });
    expect(w.result?.performance).toEqual({ labelled: 150, accuracy: 100 / 150 });
    expect(w.result?.figures.accuracy).toBeCloseTo(2 / 3, 15);
  });

  it('rejects bad input with the field named and changes nothing', async () => {
    await service.create(actor, { name: 'strict', reference });
    await expect(service.createAlertRule(actor, { monitor: 'strict', name: 'bad', figure: 'drift_scor:x', op: '>', threshold: 1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'figure'") });
    await expect(service.ingest(actor, { monitor: 'strict', batch: { x: [1, 2], y: [1] } })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await service.listWindows(actor, { monitor: 'strict' })).toEqual([]);
    await expect(service.create(actor, { name: 'strict' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    await service.create(actor, { name: 'no-reference' });
    await expect(service.ingest(actor, { monitor: 'no-reference', batch: calm })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(service.get(actor, 'missing')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
