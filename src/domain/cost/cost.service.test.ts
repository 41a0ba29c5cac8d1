import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import { SYSTEM_ACTOR } from '../../core/actor.js';
import type { DatabaseHandle } from '../../store/db.js';
import { SqlCostStore } from '../../store/sql/cost.sql-store.js';
import { SqlTrackingStore } from '../../store/sql/tracking.sql-store.js';
import { allowAll } from '../access/access.js';
import { verifyWebhookSignature, WebhookDispatcher, type WebhookDelivery } from '../monitoring/webhooks.js';
import { SqlWebhookDeliveryStore } from '../../store/sql/webhooks.sql-store.js';
import type { CostService } from './cost.service.js';
import type { KeyValue } from '../tracking/types.js';
import { createCost } from './create-cost.js';
import { priceTableOf } from './pricing.js';

/** $3.60 per CPU-hour: one CPU-second is $0.001, so a $1 budget is 1000 CPU-seconds. Memory and GPUs are free here. */
const PRICES = priceTableOf(JSON.stringify({ cpuHour: 3.6, memoryGbHour: 0, gpuHour: { default: 0 } }));
const quiet = { info() {}, warn() {} };

/** Runs r1, r2 in experiment A, r3 in experiment B. */
const RUNS: [string, 'A' | 'B', string, KeyValue[]][] = [
  ['r1', 'A', 'alice', [{ key: 'project', value: 'churn' }]],
  ['r2', 'A', 'bob', []],
  ['r3', 'B', 'alice', [{ key: 'project', value: 'churn' }]],
];

let receiver: http.Server;
let receiverUrl: string;
const received: { body: string; signature: string | undefined; timestamp: string | undefined }[] = [];
beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-openexpert-signature'] as string, timestamp: req.headers['x-openexpert-timestamp'] as string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

for (const backend of testBackends()) {
  describe(`compute budgets on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    const clock = { t: Date.UTC(2026, 0, 20, 12) };
    const exp = { A: '', B: '' };
    let cost: { service: CostService; dispatcher: WebhookDispatcher<WebhookDelivery> };
    beforeEach(async () => {
      handle = await backend.open();
      const tracking = new SqlTrackingStore(handle);
      for (const name of ['A', 'B'] as const) exp[name] = await tracking.createExperiment({ name, artifactLocation: '/tmp/x', tags: [], now: 1 });
      for (const [runId, e, userId, tags] of RUNS) {
        await tracking.createRun({ runId, experimentId: exp[e], runName: runId, userId, startTime: 1, artifactUri: '/tmp/x', tags });
      }
      clock.t = Date.UTC(2026, 0, 20, 12);
      received.length = 0;
      const dispatcher = new WebhookDispatcher(new SqlWebhookDeliveryStore(handle), { now: () => clock.t }, quiet, { backoffMs: 10 });
      cost = { dispatcher, service: createCost(new SqlCostStore(handle), {
        runFacts: async (id) => {
          const run = await tracking.getRun(id);
          return run && { experimentId: run.info.experimentId, userId: run.info.userId, tags: run.data.tags };
        },
        sweepExperiment: async () => undefined,
      }, allowAll, { now: () => clock.t }, PRICES, quiet, () => undefined) };
    });
    afterEach(async () => {
      await cost.dispatcher.stop();
      await handle.close();
    });
    const use = (runId: string, cpuSeconds: number) => cost.service.logUsage(SYSTEM_ACTOR, runId, { cpuSeconds, peakMemoryBytes: 2 ** 30, wallSeconds: cpuSeconds, source: 'reported' });
    const alertsOf = async (name: string) => (await cost.service.getBudget(SYSTEM_ACTOR, name)).alerts.map((a) => a.threshold).sort();

    it('sums a run\'s usage and prices it by the table', async () => {
      await use('r1', 100);
      const u = await use('r1', 50);
      expect(u).toMatchObject({ cpuSeconds: 150, wallSeconds: 150, peakMemoryBytes: 2 ** 30, entries: 2 });
      expect(u.costUsd).toBeCloseTo(0.15, 10);
      expect(u.memoryGbHours).toBeCloseTo(150 / 3600, 10);
    });

    it('raises each threshold once a month, refuses runs once the limit is reached with a hard stop, and starts again next month', async () => {
      await cost.service.createBudget(SYSTEM_ACTOR, { name: 'exp7', scope: 'experiment', subject: exp.A, period: 'month', limitUsd: 1, hardStop: true, webhookUrl: receiverUrl, webhookSecret: 'a-shared-secret' });
      const run7 = { experimentId: exp.A, userId: 'carol', tags: [] };
      await use('r1', 400); // $0.40
      expect(await alertsOf('exp7')).toEqual([]);
      await use('r2', 150); // $0.55
      expect(await alertsOf('exp7')).toEqual([0.5]);
      await use('r1', 300); // $0.85
      expect(await alertsOf('exp7')).toEqual([0.5, 0.8]);
      await cost.service.admit(run7);
      await use('r3', 500); // another experiment: not this budget's
      expect(await alertsOf('exp7')).toEqual([0.5, 0.8]);
      await use('r2', 200); // $1.05
      await use('r2', 10); // still over: nothing new
      expect(await alertsOf('exp7')).toEqual([0.5, 0.8, 1]);
      await expect(cost.service.admit(run7)).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/Compute budget 'exp7' .*exceeded/) });
      await cost.service.admit({ experimentId: exp.B, userId: 'carol', tags: [] });

      // The three alerts went to the webhook, signed as monitoring's are.
      await cost.dispatcher.deliverDue();
      expect(received.map((r) => (JSON.parse(r.body) as { threshold: number }).threshold).sort()).toEqual([0.5, 0.8, 1]);
      for (const r of received) expect(verifyWebhookSignature('a-shared-secret', r.body, r, Math.floor(clock.t / 1000))).toBe(true);
      expect((await cost.service.getBudget(SYSTEM_ACTOR, 'exp7')).alerts.every((a) => a.delivery?.status === 'delivered')).toBe(true);

      // February: a new period, nothing spent, runs allowed, thresholds armed again.
      clock.t = Date.UTC(2026, 1, 1, 0, 0, 1);
      await cost.service.admit(run7);
      expect((await cost.service.listBudgets(SYSTEM_ACTOR))[0]).toMatchObject({ spentUsd: 0, exceeded: false, periodStart: Date.UTC(2026, 1, 1) });
      await use('r1', 600);
      const feb = (await cost.service.getBudget(SYSTEM_ACTOR, 'exp7')).alerts.filter((a) => a.periodStart === Date.UTC(2026, 1, 1));
      expect(feb.map((a) => a.threshold)).toEqual([0.5]);
    });

    it('counts runs by tag and by user per day, and a budget without hard stop never refuses', async () => {
      await cost.service.createBudget(SYSTEM_ACTOR, { name: 'churn', scope: 'tag', subject: 'project=churn', period: 'day', limitUsd: 0.5, hardStop: false, thresholds: [1] });
      await cost.service.createBudget(SYSTEM_ACTOR, { name: 'alice', scope: 'user', subject: 'alice', period: 'day', limitUsd: 0.5, hardStop: true, thresholds: [1] });
      await use('r1', 300); // alice, churn
      await use('r2', 300); // bob, untagged
      await use('r3', 300); // alice, churn
      const statuses = Object.fromEntries((await cost.service.listBudgets(SYSTEM_ACTOR)).map((s) => [s.budget.name, s]));
      expect(statuses.churn!.spentUsd).toBeCloseTo(0.6, 10);
      expect(statuses.alice!.spentUsd).toBeCloseTo(0.6, 10);
      await cost.service.admit({ experimentId: '9', userId: 'dave', tags: [{ key: 'project', value: 'churn' }] });
      await expect(cost.service.admit({ experimentId: '9', userId: 'alice', tags: [] })).rejects.toThrow(/Compute budget 'alice'/);
      // The next UTC day starts from nothing.
      clock.t = Date.UTC(2026, 0, 21, 0, 0, 0);
      await cost.service.admit({ experimentId: '9', userId: 'alice', tags: [] });
      expect(await alertsOf('alice')).toEqual([1]);
    });

    it('refuses bad budgets with the field named and keeps names unique', async () => {
      await expect(cost.service.createBudget(SYSTEM_ACTOR, { name: 't', scope: 'tag', subject: 'nokey', period: 'day', limitUsd: 1, hardStop: false })).rejects.toThrow(/'subject'/);
      await cost.service.createBudget(SYSTEM_ACTOR, { name: 'once', scope: 'user', subject: 'x', period: 'day', limitUsd: 1, hardStop: false });
      await expect(cost.service.createBudget(SYSTEM_ACTOR, { name: 'once', scope: 'user', subject: 'y', period: 'day', limitUsd: 1, hardStop: false })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await cost.service.deleteBudget(SYSTEM_ACTOR, 'once');
      expect(await cost.service.listBudgets(SYSTEM_ACTOR)).toEqual([]);
    });
  });
}
