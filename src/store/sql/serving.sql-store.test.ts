import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import { DEFAULT_ANALYSIS, type Deployment, type MetricSample } from '../../domain/serving/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlServingStore } from './serving.sql-store.js';

const deployment = (name: string, over: Partial<Deployment> = {}): Deployment => ({
  name, modelName: 'churn', target: 'champion', stable: { version: '1', runtime: { kind: 'onnx' } },
  routing: { flagHeader: 'x-openexpert-model' }, batching: { maxBatchSize: 8, maxWaitMs: 1, workers: 1, timeoutMs: 30_000 }, logging: { sampleRate: 0.5 },
  createdAt: 1000, createdBy: 'ana', updatedAt: 1000, revision: 1, ...over,
});

const sample = (version: string, bucketStart: number, requests: number, errors: number): MetricSample => ({
  deployment: 'churn', version, bucketStart, requests, errors, latencyCounts: [requests - errors, 0, 0], compared: 0, mismatches: 0,
});

for (const backend of testBackends()) {
  describe(`ServingStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: SqlServingStore;
    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlServingStore(handle);
    });
    afterAll(async () => handle.close());

    it('creates, reads back every part, and refuses a second deployment with the same name', async () => {
      const d = deployment('a', {
        rollout: {
          candidate: { version: '2', runtime: { kind: 'external', url: 'http://127.0.0.1:9/', protocol: 'v2', remoteModel: 'm' } },
          strategy: 'canary', steps: [10, 50, 100], stepIndex: 1, intervalMs: 60_000, stepStartedAt: 2000, startedAt: 1500, startedBy: 'bo',
          phase: 'progressing', analysis: { ...DEFAULT_ANALYSIS, maxP99Ms: 50, figures: [{ name: 'drift', maxIncrease: 0.1 }] },
        },
        previous: { version: '0', runtime: { kind: 'onnx' } },
      });
      await store.create(d, { deployment: 'a', time: 1000, kind: 'created', actor: 'ana', toVersion: '1' });
      expect(await store.get('a')).toEqual(d);
      await expect(store.create(d, { deployment: 'a', time: 1000, kind: 'created', actor: 'ana' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      expect((await store.list()).map((x) => x.name)).toContain('a');
    });

    it('updates only the revision it read, and records the event with the change', async () => {
      const d = deployment('b');
      await store.create(d, { deployment: 'b', time: 1000, kind: 'created', actor: 'ana' });
      const next = { ...d, stable: { version: '2', runtime: { kind: 'onnx' as const } }, revision: 2, updatedAt: 2000 };
      expect(await store.update(next, 1, { deployment: 'b', time: 2000, kind: 'promoted', actor: 'bo', fromVersion: '1', toVersion: '2', weight: 100, reason: 'ok', details: { n: 1 } })).toBe(true);
      // A replica that read revision 1 too loses, and leaves no event behind.
      expect(await store.update({ ...d, revision: 2 }, 1, { deployment: 'b', time: 2001, kind: 'rolled_back', actor: 'cy' })).toBe(false);
      expect((await store.get('b'))?.stable.version).toBe('2');
      const events = await store.events('b', 10);
      expect(events.map((e) => e.kind)).toEqual(['promoted', 'created']);
      expect(events[0]).toMatchObject({ actor: 'bo', fromVersion: '1', toVersion: '2', weight: 100, reason: 'ok', details: { n: 1 } });
    });

    it('clears a rollout by writing the deployment without one', async () => {
      const d = deployment('c', { rollout: { candidate: { version: '2', runtime: { kind: 'onnx' } }, strategy: 'shadow', steps: [100], stepIndex: 0, intervalMs: 0, stepStartedAt: 0, startedAt: 0, startedBy: 'x', phase: 'paused', analysis: DEFAULT_ANALYSIS } });
      await store.create(d, { deployment: 'c', time: 0, kind: 'created', actor: 'x' });
      expect(await store.update({ ...d, rollout: undefined, revision: 2 }, 1, { deployment: 'c', time: 1, kind: 'aborted', actor: 'x' })).toBe(true);
      expect((await store.get('c'))?.rollout).toBeUndefined();
    });

    it('keeps the feature list of a deployment that fetches its features, and drops it when written without one', async () => {
      const features = { features: ['user_stats:user_spend_sum_7d', 'user_orders_count_7d'], entityKeys: ['user_id'], onStale: 'warn' as const };
      const d = deployment('f', { features });
      await store.create(d, { deployment: 'f', time: 0, kind: 'created', actor: 'x' });
      expect((await store.get('f'))?.features).toEqual(features);
      const { features: _dropped, ...without } = d;
      expect(await store.update({ ...without, revision: 2 }, 1, { deployment: 'f', time: 1, kind: 'updated', actor: 'x' })).toBe(true);
      expect((await store.get('f'))?.features).toBeUndefined();
    });

    it('logs a batch request\'s feature vectors, one per row, in order', async () => {
      const vectors = [{ entity: { user_id: 2 }, values: { user_spend_sum_7d: 30 } }, { entity: { user_id: 1 }, values: { user_spend_sum_7d: 120 } }];
      const one = { entity: { user_id: 'u-1' }, values: { user_spend_sum_7d: null } };
      await store.addPredictions([
        { predictionId: 'fv-batch', deployment: 'vectors', modelName: 'churn', version: '1', time: 10, inputs: {}, outputs: {}, latencyMs: 1, featureVectors: vectors },
        { predictionId: 'fv-one', deployment: 'vectors', modelName: 'churn', version: '1', time: 11, inputs: {}, outputs: {}, latencyMs: 1, featureVector: one },
      ]);
      const [newest, batch] = await store.predictions('vectors', { limit: 10, withFeatureVector: true });
      expect(newest).toMatchObject({ predictionId: 'fv-one', featureVector: one });
      expect(newest!.featureVectors).toBeUndefined();
      expect(batch).toMatchObject({ predictionId: 'fv-batch', featureVectors: vectors });
      expect(batch!.featureVector).toBeUndefined();
    });

    it('deletes a deployment but keeps its history', async () => {
      await store.create(deployment('d'), { deployment: 'd', time: 0, kind: 'created', actor: 'x' });
      expect(await store.delete('d', { deployment: 'd', time: 5, kind: 'deleted', actor: 'x' })).toBe(true);
      expect(await store.delete('d', { deployment: 'd', time: 6, kind: 'deleted', actor: 'x' })).toBe(false);
      expect(await store.get('d')).toBeUndefined();
      expect((await store.events('d', 10)).map((e) => e.kind)).toEqual(['deleted', 'created']);
    });

    it('returns metric samples of one version inside a window, and prunes old ones', async () => {
      await store.addMetricSamples([sample('1', 1000, 10, 1), sample('1', 2000, 20, 0), sample('2', 2000, 5, 5), sample('1', 3000, 30, 3)]);
      const window = await store.metricSamples('churn', '1', 2000, 3000);
      expect(window.map((s) => [s.bucketStart, s.requests, s.errors])).toEqual([[2000, 20, 0], [3000, 30, 3]]);
      expect(window[0]?.latencyCounts).toEqual([20, 0, 0]);
      await store.pruneMetricSamples(2500);
      expect((await store.metricSamples('churn', '1', 0, 10_000)).map((s) => s.bucketStart)).toEqual([3000]);
    });

    it('logs predictions once per id and reads them back newest first', async () => {
      const p = (id: string, time: number, version = '1') => ({ predictionId: id, deployment: 'churn', modelName: 'churn', version, time, inputs: { x: [1] }, outputs: { y: [2.5] }, latencyMs: 0.5 });
      await store.addPredictions([p('p1', 10), p('p2', 20, '2')]);
      await store.addPredictions([p('p1', 99)]);
      expect((await store.predictions('churn', { limit: 10 })).map((r) => r.predictionId)).toEqual(['p2', 'p1']);
      expect((await store.predictions('churn', { limit: 10, version: '1' })).map((r) => r.time)).toEqual([10]);
      expect(await store.prediction('p2')).toMatchObject({ version: '2', outputs: { y: [2.5] }, latencyMs: 0.5 });
      expect(await store.prediction('p1')).not.toHaveProperty('shadow');
    });

    it('keeps a shadow candidate\'s answer next to the stable one', async () => {
      const shadow = { version: '3', outputs: { y: { shape: [1, 1], data: [2.75] } }, agreed: false };
      await store.addPredictions([{ predictionId: 's1', deployment: 'churn', modelName: 'churn', version: '1', time: 5, inputs: {}, outputs: { y: [2.5] }, latencyMs: 1, shadow }]);
      expect(await store.prediction('s1')).toMatchObject({ version: '1', shadow });
    });

    it('keeps load tests per model version', async () => {
      const base = { deployment: 'churn', modelName: 'churn', createdBy: 'x', endpoint: 'http://h/v2/models/churn/infer', connections: 4, durationS: 5, requests: 100, throughputRps: 20, latencyMs: { p50: 1, p90: 2, p99: 3, max: 4 }, errors: 0, non2xx: 0 };
      await store.addLoadTest({ ...base, id: 'l1', version: '1', time: 1 });
      await store.addLoadTest({ ...base, id: 'l2', version: '2', time: 2 });
      expect((await store.loadTests('churn')).map((l) => l.id)).toEqual(['l2', 'l1']);
      expect((await store.loadTests('churn', '1')).map((l) => l.latencyMs.p99)).toEqual([3]);
    });
  });
}
