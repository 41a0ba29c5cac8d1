import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilter, parseOrderBy } from '../../domain/tracking/search-filter.js';
import type { TrackingStore } from '../../domain/tracking/tracking.store.js';
import type { Metric } from '../../domain/tracking/types.js';
import { testBackends } from '../../../test/support/backends.js';
import type { DatabaseHandle } from '../db.js';
import { SqlTrackingStore } from './tracking.sql-store.js';

/** One contract for the tracking store, held by SQLite and PostgreSQL alike. */
for (const backend of testBackends()) {
  describe(`TrackingStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: TrackingStore;
    let seq = 0;
    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlTrackingStore(handle);
    });
    afterAll(() => handle.close());

    const experiment = (name = `exp-${++seq}`) =>
      store.createExperiment({ name, artifactLocation: (id) => `mlflow-artifacts:/${id}`, tags: [], now: 1000 });
    const run = async (experimentId: string, startTime = 1, tags: { key: string; value: string }[] = []) => {
      const runId = `${(++seq).toString(16).padStart(32, '0')}`;
      return store.createRun({ runId, experimentId, runName: `run-${seq}`, userId: 'u', startTime, artifactUri: `x/${runId}`, tags });
    };
    const none = { metrics: [], params: [], tags: [] };

    it('has the Default experiment with id 0 and derives artifact locations from new ids', async () => {
      expect(await store.getExperiment('0')).toMatchObject({ name: 'Default', lifecycleStage: 'active' });
      const id = await experiment('located');
      expect((await store.getExperimentByName('located'))?.artifactLocation).toBe(`mlflow-artifacts:/${id}`);
      expect(await store.getExperiment('not-a-number')).toBeUndefined();
    });

    it('rejects a duplicate experiment name, also after a rename', async () => {
      const a = await experiment('dup-a');
      await experiment('dup-b');
      await expect(experiment('dup-a')).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await expect(store.renameExperiment(a, 'dup-b', 2)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await store.renameExperiment(a, 'dup-c', 2);
      expect((await store.getExperiment(a))?.name).toBe('dup-c');
    });

    it('deleting an experiment deletes its runs; restoring restores them', async () => {
      const e = await experiment();
      const r = await run(e);
      await store.setExperimentLifecycle(e, 'deleted', 5);
      expect((await store.getRunInfo(r.runId))?.lifecycleStage).toBe('deleted');
      await store.setExperimentLifecycle(e, 'active', 6);
      expect((await store.getRunInfo(r.runId))?.lifecycleStage).toBe('active');
    });

    it('sets, overwrites and deletes experiment tags', async () => {
      const e = await experiment();
      await store.setExperimentTag(e, { key: 'k', value: '1' });
      await store.setExperimentTag(e, { key: 'k', value: '2' });
      expect((await store.getExperiment(e))?.tags).toEqual([{ key: 'k', value: '2' }]);
      expect(await store.deleteExperimentTag(e, 'k')).toBe(true);
      expect(await store.deleteExperimentTag(e, 'k')).toBe(false);
    });

    it('returns the first run for a retried create with the same idempotency key', async () => {
      const e = await experiment();
      const key = { scope: `run:${e}`, key: 'retry-1' };
      const first = await store.createRun({ runId: 'a'.repeat(32), experimentId: e, runName: 'x', userId: 'u', startTime: 1, artifactUri: 'a', tags: [] }, key);
      const again = await store.createRun({ runId: 'b'.repeat(32), experimentId: e, runName: 'y', userId: 'u', startTime: 1, artifactUri: 'b', tags: [] }, key);
      expect(again.runId).toBe(first.runId);
      expect(await store.getRunInfo('b'.repeat(32))).toBeUndefined();
    });

    it('writes a batch all or nothing: a changed param rejects everything in it', async () => {
      const e = await experiment();
      const r = await run(e);
      await store.logBatch(r.runId, { ...none, params: [{ key: 'lr', value: '0.1' }] });
      await store.logBatch(r.runId, { ...none, params: [{ key: 'lr', value: '0.1' }] });
      await expect(store.logBatch(r.runId, {
        metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
        params: [{ key: 'new', value: '1' }, { key: 'lr', value: '0.2' }],
        tags: [{ key: 't', value: 'v' }],
      })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      const stored = await store.getRun(r.runId);
      expect(stored?.data).toEqual({ metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] });
      expect((await store.getMetricHistory(r.runId, 'loss', { maxResults: 10, offset: 0 })).items).toEqual([]);
    });

    it('keeps the latest metric as highest step, then latest timestamp; NaN and ±Infinity round-trip', async () => {
      const r = await run(await experiment());
      await store.logBatch(r.runId, { ...none, metrics: [
        { key: 'm', value: 3, timestamp: 100, step: 5 },
        { key: 'm', value: 1, timestamp: 999, step: 2 },
        { key: 'm', value: 4, timestamp: 101, step: 5 },
        { key: 'nan', value: NaN, timestamp: 1, step: 0 },
        { key: 'inf', value: Infinity, timestamp: 1, step: 0 },
        { key: 'ninf', value: -Infinity, timestamp: 1, step: 0 },
      ] });
      await store.logBatch(r.runId, { ...none, metrics: [{ key: 'm', value: 0, timestamp: 5000, step: 4 }] });
      const latest = Object.fromEntries((await store.getRun(r.runId))!.data.metrics.map((m) => [m.key, m.value]));
      expect(latest.m).toBe(4);
      expect(latest.nan).toBeNaN();
      expect(latest.inf).toBe(Number.MAX_VALUE);
      expect(latest.ninf).toBe(-Number.MAX_VALUE);
    });

    it('pages metric history in (timestamp, step, value) order, no token on the last page', async () => {
      const r = await run(await experiment());
      const points: Metric[] = [5, 3, 9, 1, 7].map((t, i) => ({ key: 'h', value: i, timestamp: t, step: i }));
      await store.logBatch(r.runId, { ...none, metrics: points });
      const p1 = await store.getMetricHistory(r.runId, 'h', { maxResults: 3, offset: 0 });
      expect(p1.items.map((m) => m.timestamp)).toEqual([1, 3, 5]);
      expect(p1.nextOffset).toBe(3);
      const p2 = await store.getMetricHistory(r.runId, 'h', { maxResults: 3, offset: 3 });
      expect(p2.items.map((m) => m.timestamp)).toEqual([7, 9]);
      expect(p2.nextOffset).toBeUndefined();
    });

    it('samples steps evenly for the bulk interval, ends included, within the step range', async () => {
      const r = await run(await experiment());
      await store.logBatch(r.runId, { ...none, metrics: Array.from({ length: 101 }, (_, s) => ({ key: 'b', value: s, timestamp: s, step: s })) });
      const all = await store.getMetricHistoryBulkInterval([r.runId], 'b', { stepsPerRun: 5 });
      expect(all.map((m) => m.step)).toEqual([0, 25, 50, 75, 100]);
      const ranged = await store.getMetricHistoryBulkInterval([r.runId], 'b', { startStep: 10, endStep: 20, stepsPerRun: 3 });
      expect(ranged.map((m) => m.step)).toEqual([10, 15, 20]);
      expect(ranged[0]).toEqual({ key: 'b', value: 10, timestamp: 10, step: 10, runId: r.runId });
    });

    describe('searchRuns', () => {
      let e: string;
      const rows = [
        { acc: 0.9, lr: '0.01', team: 'ML-core', status: 'FINISHED', start: 10 },
        { acc: 0.7, lr: '0.1', team: 'growth', status: 'FAILED', start: 20 },
        { acc: 0.95, lr: '0.01', team: 'ml-ops', status: 'FINISHED', start: 30 },
        { acc: undefined, lr: '0.001', team: 'growth', status: 'RUNNING', start: 40 },
        { acc: 0.8, lr: '0.1', team: 'ML-core', status: 'FINISHED', start: 50 },
      ];
      const ids: string[] = [];
      beforeAll(async () => {
        e = await experiment('search');
        for (const r of rows) {
          const info = await run(e, r.start);
          ids.push(info.runId);
          await store.logBatch(info.runId, {
            metrics: r.acc === undefined ? [] : [{ key: 'acc', value: r.acc, timestamp: 1, step: 0 }],
            params: [{ key: 'lr', value: r.lr }],
            tags: [{ key: 'team', value: r.team }],
          });
          await store.updateRun(info.runId, { status: r.status as 'FINISHED' });
        }
      });

      const search = async (filter: string, orderBy: string[] = [], extra: Partial<{ maxResults: number; offset: number }> = {}) =>
        (await store.searchRuns({ experimentIds: [e], filter: parseFilter(filter), orderBy: orderBy.map(parseOrderBy), viewType: 'ACTIVE_ONLY', maxResults: 100, offset: 0, ...extra }))
          .items.map((r) => ids.indexOf(r.info.runId));
      // Expected results are computed from `rows` with plain JavaScript, independently of the SQL.
      const where = (pred: (r: (typeof rows)[number]) => boolean) => rows.map((r, i) => (pred(r) ? i : -1)).filter((i) => i >= 0);
      const byStartDesc = (idx: number[]) => [...idx].sort((a, b) => rows[b]!.start - rows[a]!.start);

      it.each([
        ['metrics.acc > 0.8', (r: (typeof rows)[number]) => (r.acc ?? -Infinity) > 0.8],
        ['metrics.acc <= 0.8', (r: (typeof rows)[number]) => r.acc !== undefined && r.acc <= 0.8],
        ['metrics.acc != 0.9', (r: (typeof rows)[number]) => r.acc !== undefined && r.acc !== 0.9],
        ["params.lr = '0.01'", (r: (typeof rows)[number]) => r.lr === '0.01'],
        ["params.lr != '0.01'", (r: (typeof rows)[number]) => r.lr !== '0.01'],
        ["tags.team LIKE 'ML%'", (r: (typeof rows)[number]) => r.team.startsWith('ML')],
        ["tags.team ILIKE 'ml%'", (r: (typeof rows)[number]) => r.team.toLowerCase().startsWith('ml')],
        ["params.lr IN ('0.1', '0.001')", (r: (typeof rows)[number]) => ['0.1', '0.001'].includes(r.lr)],
        ["tags.team NOT IN ('growth')", (r: (typeof rows)[number]) => r.team !== 'growth'],
        ["attributes.status = 'FINISHED' and metrics.acc >= 0.9", (r: (typeof rows)[number]) => r.status === 'FINISHED' && (r.acc ?? 0) >= 0.9],
        ['attributes.start_time > 25', (r: (typeof rows)[number]) => r.start > 25],
      ])('filters %s', async (filter, pred) => {
        expect(await search(filter)).toEqual(byStartDesc(where(pred)));
      });

      it('orders by a metric with runs lacking it last, either direction', async () => {
        const withAcc = where((r) => r.acc !== undefined);
        const missing = where((r) => r.acc === undefined);
        expect(await search('', ['metrics.acc DESC'])).toEqual([...withAcc.sort((a, b) => rows[b]!.acc! - rows[a]!.acc!), ...missing]);
        expect(await search('', ['metrics.acc ASC'])).toEqual([...withAcc.sort((a, b) => rows[a]!.acc! - rows[b]!.acc!), ...missing]);
        expect(await search('', ['params.lr ASC', 'attributes.start_time DESC'])).toEqual(
          [...rows.keys()].sort((a, b) => rows[a]!.lr.localeCompare(rows[b]!.lr) || rows[b]!.start - rows[a]!.start),
        );
      });

      it('pages without repeating or skipping, and honours view types', async () => {
        const first = await store.searchRuns({ experimentIds: [e], filter: [], orderBy: [], viewType: 'ACTIVE_ONLY', maxResults: 2, offset: 0 });
        expect(first.nextOffset).toBe(2);
        const all = [...(await search('', [], { maxResults: 2, offset: 0 })), ...(await search('', [], { maxResults: 2, offset: 2 })), ...(await search('', [], { maxResults: 2, offset: 4 }))];
        expect(all).toEqual(byStartDesc([0, 1, 2, 3, 4]));
        await store.setRunLifecycle(ids[1]!, 'deleted', 99);
        expect(await search('')).not.toContain(1);
        const deleted = await store.searchRuns({ experimentIds: [e], filter: [], orderBy: [], viewType: 'DELETED_ONLY', maxResults: 10, offset: 0 });
        expect(deleted.items.map((r) => r.info.runId)).toEqual([ids[1]]);
        await store.setRunLifecycle(ids[1]!, 'active', 100);
      });
    });

    it('searches experiments by name LIKE and by tag', async () => {
      const a = await experiment('churn-a');
      await experiment('other-b');
      await store.setExperimentTag(a, { key: 'owner', value: 'ml' });
      const q = (filter: string) => store.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: parseFilter(filter), orderBy: [], maxResults: 50, offset: 0 });
      expect((await q("attributes.name LIKE 'churn%'")).items.map((x) => x.name)).toEqual(['churn-a']);
      expect((await q("tags.owner = 'ml'")).items.map((x) => x.experimentId)).toEqual([a]);
    });

    it('records dataset inputs once per digest and filters runs by dataset', async () => {
      const e = await experiment();
      const r1 = await run(e);
      const r2 = await run(e);
      const input = { dataset: { name: 'train', digest: 'abc123', sourceType: 'local', source: '/data/train.csv' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] };
      await store.logInputs(r1.runId, e, [input]);
      await store.logInputs(r2.runId, e, [input]);
      expect((await store.getRun(r1.runId))?.inputs).toEqual([input]);
      const found = await store.searchRuns({ experimentIds: [e], filter: parseFilter("datasets.digest = 'abc123' and datasets.context = 'training'"), orderBy: [], viewType: 'ACTIVE_ONLY', maxResults: 10, offset: 0 });
      expect(found.items.map((r) => r.info.runId).sort()).toEqual([r1.runId, r2.runId].sort());
    });
  });
}
