import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { MonitoringStore } from '../../domain/monitoring/monitoring.store.js';
import type { AlertRule, Delivery, WindowResult } from '../../domain/monitoring/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlMonitoringStore } from './monitoring.sql-store.js';

const result = (share: number): WindowResult => ({
  report: {
    referenceRows: 3, currentRows: 2, columns: [], findings: [],
    datasetDrift: { drifted: share >= 0.5, driftedColumns: 1, testedColumns: 2, share, threshold: 0.5 },
  },
  figures: { dataset_drift_share: share },
});

const rule = (monitorId: string, name: string): AlertRule => ({
  ruleId: `r-${name}`, monitorId, name, figure: 'dataset_drift_share', op: '>=', threshold: 0.5, forWindows: 2, webhookUrl: 'http://127.0.0.1:1/hook',
  webhookSecret: 's3cret', retrain: { webhookUrl: 'http://127.0.0.1:1/retrain', cooldownMs: 1000 }, state: 'inactive', consecutive: 0, stateSince: 1,
  lastValue: null, silencedUntil: null, silenceReason: null, lastRetrainAt: null, createdAt: 1,
});

const delivery = (id: string, monitorId: string, nextAttemptAt: number): Delivery => ({
  deliveryId: id, monitorId, ruleId: null, kind: 'alert', url: 'http://127.0.0.1:1/', secret: 'k', payload: '{}', status: 'pending', attempts: 0,
  nextAttemptAt, lastError: null, lastStatus: null, createdAt: 1, deliveredAt: null,
});

for (const backend of testBackends()) {
  describe(`MonitoringStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: MonitoringStore;
    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlMonitoringStore(handle);
    });
    afterAll(async () => {
      await handle.close();
    });

    const monitor = async (name: string) => {
      await store.createMonitor({ monitorId: `m-${name}`, name, modelName: 'churn', modelVersion: '3', window: 'hour', config: { driftShare: 0.4 }, createdBy: 'ann', now: 10 });
      return `m-${name}`;
    };

    it('creates monitors, finds them by id or name, rejects a second name', async () => {
      const id = await monitor('alpha');
      expect(await store.getMonitor('alpha')).toMatchObject({ monitorId: id, modelName: 'churn', window: 'hour', config: { driftShare: 0.4 }, referenceRows: 0 });
      expect((await store.getMonitor(id))?.name).toBe('alpha');
      await expect(store.createMonitor({ monitorId: 'other', name: 'alpha', modelName: null, modelVersion: null, window: 'batch', config: {}, createdBy: 'x', now: 1 }))
        .rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      expect(await store.getMonitor('nope')).toBeUndefined();
    });

    it('replaces the reference as a whole', async () => {
      const id = await monitor('ref');
      expect(await store.replaceReference(id, [{ batchId: 'b1', batch: { a: [1, 2] }, rows: 2 }, { batchId: 'b2', batch: { a: [3] }, rows: 1 }], { kind: 'rows' }, 20)).toEqual([]);
      expect(await store.referenceBatches(id)).toEqual([{ kind: 'rows', batchId: 'b1', batch: { a: [1, 2] } }, { kind: 'rows', batchId: 'b2', batch: { a: [3] } }]);
      const source = { kind: 'dataset', dataset: 'churn-train', version: 3, versionId: 'v3', path: 'train.csv' } as const;
      expect(await store.replaceReference(id, [{ batchId: 'b3', file: 'monitoring/ref/b3.parquet', rows: 1_000_000 }], source, 30)).toEqual([]);
      expect(await store.referenceBatches(id)).toEqual([{ kind: 'file', batchId: 'b3', path: 'monitoring/ref/b3.parquet', rows: 1_000_000 }]);
      expect(await store.getMonitor(id)).toMatchObject({ referenceRows: 1_000_000, referenceSource: source });
      // The files of a replaced reference go back to the caller, which deletes them from the artifact store.
      expect(await store.replaceReference(id, [{ batchId: 'b4', batch: { a: [9] }, rows: 1 }], { kind: 'rows' }, 40)).toEqual(['monitoring/ref/b3.parquet']);
    });

    it('appends batches to a keyed window, closes it, reopens it for late rows', async () => {
      const id = await monitor('win');
      const w1 = await store.appendToWindow({ monitorId: id, windowKey: '3600000', newWindowId: 'w1', start: 3_600_000, end: 7_200_000, batchId: 'c1', batch: { a: [1] }, rows: 1, now: 1 });
      const again = await store.appendToWindow({ monitorId: id, windowKey: '3600000', newWindowId: 'unused', start: 3_600_000, end: 7_200_000, batchId: 'c2', batch: { a: [2, 3] }, rows: 2, now: 2 });
      expect(again).toMatchObject({ windowId: w1.windowId, rows: 3, status: 'open' });
      await store.appendToWindow({ monitorId: id, windowKey: '3600000', newWindowId: 'unused', start: 3_600_000, end: 7_200_000, batchId: 'c2f', file: 'monitoring/win/c2f.parquet', rows: 500, now: 2 });
      expect(await store.windowBatches('w1')).toEqual([{ kind: 'rows', batchId: 'c1', batch: { a: [1] } }, { kind: 'rows', batchId: 'c2', batch: { a: [2, 3] } }, { kind: 'file', batchId: 'c2f', path: 'monitoring/win/c2f.parquet', rows: 500 }]);
      expect((await store.openWindows(id)).map((w) => w.windowId)).toEqual(['w1']);
      await store.closeWindow('w1', result(0.5), 99);
      const closed = await store.getWindow(id, 'w1');
      expect(closed).toMatchObject({ status: 'closed', datasetDrift: true, datasetDriftShare: 0.5, closedAt: 99 });
      expect(closed?.result?.figures).toEqual({ dataset_drift_share: 0.5 });
      expect(await store.openWindows(id)).toEqual([]);
      const latest = (await store.latestResults()).find((l) => l.monitor.monitorId === id);
      expect(latest?.window.windowId).toBe('w1');
      await store.appendToWindow({ monitorId: id, windowKey: '3600000', newWindowId: 'x', start: 3_600_000, end: 7_200_000, batchId: 'c3', batch: { a: [4] }, rows: 1, now: 3 });
      expect((await store.openWindows(id)).map((w) => [w.windowId, w.rows])).toEqual([['w1', 504]]);
    });

    it('upserts labels by prediction id', async () => {
      const id = await monitor('labels');
      await store.upsertLabels(id, [{ predictionId: 'p1', label: 'yes' }, { predictionId: 'p2', label: 3.5 }], 1);
      await store.upsertLabels(id, [{ predictionId: 'p1', label: 'no' }], 2);
      expect(await store.labelsFor(id, ['p1', 'p2', 'p3'])).toEqual(new Map<string, unknown>([['p1', 'no'], ['p2', 3.5]]));
    });

    it('keeps alert rules, their state, silences and events', async () => {
      const id = await monitor('alerts');
      await store.createAlertRule(rule(id, 'drift'));
      await expect(store.createAlertRule({ ...rule(id, 'drift'), ruleId: 'r-other' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await store.updateAlertRule('r-drift', { state: 'firing', consecutive: 2, stateSince: 50, lastValue: 0.75, lastRetrainAt: 50 });
      await store.silenceAlertRule('r-drift', 500, 'planned backfill');
      expect(await store.getAlertRule('r-drift')).toMatchObject({
        state: 'firing', consecutive: 2, lastValue: 0.75, lastRetrainAt: 50, silencedUntil: 500, silenceReason: 'planned backfill',
        retrain: { webhookUrl: 'http://127.0.0.1:1/retrain', cooldownMs: 1000 },
      });
      expect((await store.listAlertRules({ state: 'firing' })).map((r) => r.ruleId)).toContain('r-drift');
      expect(await store.listAlertRules({ monitorId: id, state: 'pending' })).toEqual([]);
      await store.addAlertEvent({ eventId: 'e1', ruleId: 'r-drift', monitorId: id, windowId: 'w', state: 'firing', value: 0.75, silenced: true, at: 50 });
      expect(await store.listAlertEvents('r-drift', 10)).toEqual([{ eventId: 'e1', ruleId: 'r-drift', monitorId: id, windowId: 'w', state: 'firing', value: 0.75, silenced: true, at: 50 }]);
      await store.deleteAlertRule('r-drift');
      expect(await store.getAlertRule('r-drift')).toBeUndefined();
    });

    it('claims each due delivery once and records attempts', async () => {
      const id = await monitor('deliveries');
      await store.enqueueDelivery(delivery('d1', id, 100));
      await store.enqueueDelivery(delivery('d2', id, 500));
      const [a, b] = await Promise.all([store.claimDueDeliveries(200, 10_000, 10), store.claimDueDeliveries(200, 10_000, 10)]);
      expect([...a, ...b].map((d) => d.deliveryId)).toEqual(['d1']);
      expect(await store.claimDueDeliveries(300, 10_000, 10)).toEqual([]);
      await store.recordDeliveryAttempt('d1', { status: 'pending', attempts: 1, nextAttemptAt: 400, lastError: 'connection refused', lastStatus: null, deliveredAt: null });
      await store.recordDeliveryAttempt('d2', { status: 'delivered', attempts: 1, nextAttemptAt: 500, lastError: null, lastStatus: 204, deliveredAt: 510 });
      const listed = await store.listDeliveries(id, 10);
      expect(listed.find((d) => d.deliveryId === 'd1')).toMatchObject({ status: 'pending', attempts: 1, lastError: 'connection refused' });
      expect(listed.find((d) => d.deliveryId === 'd2')).toMatchObject({ status: 'delivered', lastStatus: 204, deliveredAt: 510 });
    });

    it('records retrain requests', async () => {
      const id = await monitor('retrain');
      await store.addRetrainRequest({ requestId: 'q1', monitorId: id, ruleId: 'r', windowId: 'w', target: 'http://x/', status: 'requested', detail: null, createdAt: 5 });
      await store.updateRetrainRequest('q1', 'delivered', 'delivered after 1 attempt(s)');
      expect(await store.listRetrainRequests(id, 10)).toEqual([
        { requestId: 'q1', monitorId: id, ruleId: 'r', windowId: 'w', target: 'http://x/', status: 'delivered', detail: 'delivered after 1 attempt(s)', createdAt: 5 },
      ]);
    });

    it('deleting a monitor removes what belongs to it', async () => {
      const id = await monitor('gone');
      await store.replaceReference(id, [{ batchId: 'g1', batch: { a: [1] }, rows: 1 }], { kind: 'rows' }, 1);
      await store.createAlertRule(rule(id, 'gone-rule'));
      await store.deleteMonitor(id);
      expect(await store.getMonitor(id)).toBeUndefined();
      expect(await store.referenceBatches(id)).toEqual([]);
      expect(await store.getAlertRule('r-gone-rule')).toBeUndefined();
    });
  });
}
