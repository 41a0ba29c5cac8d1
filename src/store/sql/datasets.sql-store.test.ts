import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { NewDatasetVersion } from '../../domain/datasets/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlDatasetStore } from './datasets.sql-store.js';
import { SqlTrackingStore } from './tracking.sql-store.js';

const version = (name: string, digest: string, createdAt = 1000): NewDatasetVersion => ({
  name, digest, size: 10, files: [{ path: 'a.csv', size: 10, sha256: digest }], rowCount: 3,
  schema: [{ name: 'x', type: 'BIGINT' }], profile: null, parts: null, schemaDifferences: [], createdBy: 'alice', createdAt,
});
const NO_LINKS = { labels: [], edges: () => [] };
const dv = (id: string) => ({ kind: 'dataset_version', id });
const plain = { labels: [], edges: () => [] };
const run = (id: string) => ({ kind: 'run', id });

for (const backend of testBackends()) {
  describe(`DatasetStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: SqlDatasetStore;
    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlDatasetStore(handle);
    });
    afterAll(async () => handle.close());

    it('numbers versions per name, returns the existing version for the same bytes, and moves latest', async () => {
      const first = await store.addVersion(version('churn', 'a'.repeat(64)), NO_LINKS);
      const second = await store.addVersion(version('churn', 'b'.repeat(64)), NO_LINKS);
      const again = await store.addVersion(version('churn', 'a'.repeat(64)), NO_LINKS);
      const other = await store.addVersion(version('other', 'a'.repeat(64)), NO_LINKS);
      expect([first.version.version, second.version.version, again.version.version, other.version.version]).toEqual([1, 2, 1, 1]);
      expect([first.created, second.created, again.created]).toEqual([true, true, false]);
      expect(again.version.id).toBe(first.version.id);
      expect(await store.resolveLabel('churn', 'latest')).toBe(2);
      await store.setLabel('churn', 'prod', 1, 2000);
      expect((await store.getVersion('churn', 1))!.labels).toEqual(['prod']);
      expect((await store.listVersions('churn')).map((v) => [v.version, v.labels])).toEqual([[2, ['latest']], [1, ['prod']]]);
      expect(await store.listNames()).toEqual([{ name: 'churn', latestVersion: 2, versions: 2 }, { name: 'other', latestVersion: 1, versions: 1 }]);
      expect((await store.getVersion('churn', 1))!.schema).toEqual([{ name: 'x', type: 'BIGINT' }]);
    });

    it('never lets a blob deletion and a claim both go ahead, and finds which blobs versions name', async () => {
      const [a, b, c] = ['1'.repeat(64), '2'.repeat(64), '3'.repeat(64)];
      // A live claim stops a deletion; an expired one does not.
      expect(await store.claimBlobs([a], 'add:1', 2000, 0)).toEqual([]);
      expect(await store.beginBlobDeletion(a, 1000, 0)).toBe(false);
      expect(await store.beginBlobDeletion(a, 2000, 0)).toBe(true);
      // While a deletion is marked, a writer's claim is told to wait, and a second deleter is refused.
      expect(await store.claimBlobs([a, b], 'add:2', 5000, 0)).toEqual([a]);
      expect(await store.beginBlobDeletion(a, 2000, 0)).toBe(false);
      await store.endBlobDeletion(a);
      expect(await store.claimBlobs([a, b], 'add:2', 5000, 0)).toEqual([]);
      expect(await store.claimedBlobs([a, b, c], 3000)).toEqual(new Set([a, b]));
      await store.releaseClaims([a, b], ['add:1', 'add:2']);
      expect(await store.claimedBlobs([a, b, c], 3000)).toEqual(new Set());
      // A mark left by a server that died mid-deletion goes stale.
      expect(await store.beginBlobDeletion(c, 1000, 0)).toBe(true);
      expect(await store.claimBlobs([c], 'add:3', 9000, 1500)).toEqual([]);
      await store.releaseClaims([c], ['add:3']);
      expect(await store.beginBlobDeletion(c, 2000, 1500)).toBe(true);
      await store.endBlobDeletion(c);

      await store.addVersion({ ...version('blobs', 'f'.repeat(64)), files: [{ path: 'x.csv', size: 1, sha256: b }] }, NO_LINKS);
      expect(await store.referencedBlobs([a, b, c])).toEqual(new Set([b]));
      expect((await store.referencedBlobs()).has(b)).toBe(true);
      expect((await store.referencedBlobs()).has(a)).toBe(false);
    });

    it('walks a constructed graph up and down with depth limits, through a cycle', async () => {
      // raw → clean → r1 → m/1 ; clean → r2 ; features derived from clean; m/1 → deploy; a cycle c1 ⇄ c2.
      const e = (from: { kind: string; id: string }, to: { kind: string; id: string }, relation: string) => ({ from, to, relation, createdAt: 5, origin: 'platform' as const });
      await store.recordLineage([
        e(dv('raw'), dv('clean'), 'derived_from'),
        e(dv('clean'), run('r1'), 'consumed'),
        e(dv('clean'), run('r2'), 'consumed'),
        e(run('r1'), { kind: 'model_version', id: 'm/1' }, 'produced'),
        e({ kind: 'model_version', id: 'm/1' }, { kind: 'deployment', id: 'd1' }, 'deployed_as'),
        e(dv('c1'), dv('c2'), 'derived_from'),
        e(dv('c2'), dv('c1'), 'derived_from'),
      ]);
      // Recording the same edge twice changes nothing.
      await store.recordLineage([e(dv('raw'), dv('clean'), 'derived_from')]);
      const down = await store.traverse(dv('raw'), 'downstream', 10);
      expect(down.nodes.map((n) => `${n.kind}:${n.id}@${n.depth}`)).toEqual([
        'dataset_version:raw@0', 'dataset_version:clean@1', 'run:r1@2', 'run:r2@2', 'model_version:m/1@3', 'deployment:d1@4',
      ]);
      expect(down.edges).toHaveLength(5);
      const shallow = await store.traverse(dv('raw'), 'downstream', 2);
      expect(shallow.nodes.map((n) => n.id)).toEqual(['raw', 'clean', 'r1', 'r2']);
      expect(shallow.edges.map((x) => x.to.id)).toEqual(['r1', 'r2', 'clean']);
      const up = await store.traverse({ kind: 'deployment', id: 'd1' }, 'upstream', 10);
      expect(up.nodes.map((n) => n.id)).toEqual(['d1', 'm/1', 'r1', 'clean', 'raw']);
      const cycle = await store.traverse(dv('c1'), 'downstream', 50);
      expect(cycle.nodes.map((n) => `${n.id}@${n.depth}`)).toEqual(['c1@0', 'c2@1']);
    });

    it("keeps who asserted an edge: the platform's record outranks a user's claim of the same edge, never the reverse", async () => {
      const edge = (from: string, to: string, origin: 'platform' | 'user') => ({ from: dv(from), to: run(to), relation: 'consumed', createdAt: 3, origin });
      await store.recordLineage([edge('claimed', 'r9', 'user'), edge('recorded', 'r9', 'platform')]);
      await store.recordLineage([edge('claimed', 'r9', 'platform'), edge('recorded', 'r9', 'user'), edge('recorded', 'r9', 'user')]);
      await store.recordLineage([edge('only-claimed', 'r9', 'user')]);
      const up = await store.traverse(run('r9'), 'upstream', 1);
      expect(up.edges.map((e) => `${e.from.id}:${e.origin}`)).toEqual(['claimed:platform', 'only-claimed:user', 'recorded:platform']);
    });

    it('agrees with a breadth-first search on a generated graph, both ways and depth-limited', async () => {
      // 200 nodes, 600 random edges (cycles included), from a fixed linear congruential sequence.
      let seed = 12345;
      const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
      const node = (i: number) => ({ kind: i % 2 === 0 ? 'gen_a' : 'gen_b', id: `g${i}` });
      const pairs = Array.from({ length: 600 }, () => [next(200), next(200)] as const);
      await store.recordLineage(pairs.map(([a, b]) => ({ from: node(a), to: node(b), relation: 'derived_from', createdAt: 1, origin: 'platform' as const })));
      const bfs = (start: number, forward: boolean, depth: number) => {
        const seen = new Map([[start, 0]]);
        let frontier = [start];
        for (let d = 1; d <= depth; d++) {
          frontier = [...new Set(frontier.flatMap((x) => pairs.filter((p) => (forward ? p[0] : p[1]) === x).map((p) => (forward ? p[1] : p[0]))))].filter((y) => !seen.has(y));
          for (const y of frontier) seen.set(y, d);
        }
        return [...seen].map(([i, d]) => `${node(i).kind}:${node(i).id}@${d}`).sort();
      };
      for (const [start, depth] of [[0, 3], [7, 2], [42, 50]] as const) {
        for (const direction of ['downstream', 'upstream'] as const) {
          const graph = await store.traverse(node(start), direction, depth);
          expect(graph.nodes.map((n) => `${n.kind}:${n.id}@${n.depth}`).sort()).toEqual(bfs(start, direction === 'downstream', depth));
        }
      }
    });

    it('links MLflow log-inputs and dataset_version tags to versions without copying them', async () => {
      const tracking = new SqlTrackingStore(handle);
      const experimentId = await tracking.createExperiment({ name: 'lineage', artifactLocation: '/tmp/x', tags: [], now: 1 });
      const base = { experimentId, runName: 'r', userId: 'alice', startTime: 1, artifactUri: '/tmp/x/r', tags: [] };
      await tracking.createRun({ ...base, runId: 'f'.repeat(32) });
      await tracking.createRun({ ...base, runId: 'e'.repeat(32), tags: [{ key: 'dataset_version', value: 'linked@1' }] });
      const linked = await store.addVersion(version('linked', 'c'.repeat(64)), NO_LINKS);
      await tracking.logInputs('f'.repeat(32), experimentId, [{ dataset: { name: 'linked', digest: 'c'.repeat(64), sourceType: 'local', source: 'x' }, tags: [] }]);
      const down = await store.traverse(dv(linked.version.id), 'downstream', 1);
      expect(down.nodes.map((n) => n.id)).toEqual([linked.version.id, 'e'.repeat(32), 'f'.repeat(32)]);
      const up = await store.traverse(run('f'.repeat(32)), 'upstream', 1);
      expect(up.nodes.map((n) => n.id)).toEqual(['f'.repeat(32), linked.version.id]);
    });

    it('follows runs to the logged models and registered versions they produced, both ways', async () => {
      const runId = 'a1'.repeat(16);
      const experiment = await new SqlTrackingStore(handle).createExperiment({ name: 'models', artifactLocation: '/tmp/m', tags: [], now: 1 });
      await handle.db.insertInto('logged_models').values({
        model_id: 'm-1', experiment_id: Number(experiment), name: 'clf', artifact_location: '/tmp/m/1', status: 'READY', status_message: null, model_type: null,
        source_run_id: runId, creator: 'a', creation_time: 1, last_updated_time: 1, lifecycle_stage: 'active',
      }).execute();
      const model = await handle.db.insertInto('registered_models').values({ name: 'clf', description: null, creation_time: 1, last_updated_time: 1, last_version: 1 }).returning('id').executeTakeFirstOrThrow();
      await handle.db.insertInto('model_versions').values({
        registered_model_id: Number(model.id), version: 1, creation_time: 2, last_updated_time: 2, description: null, user_id: 'a', current_stage: 'None',
        source: 'models:/m-1', storage_location: '/tmp/m/1', run_id: runId, run_link: null, model_id: 'm-1', status: 'READY', model_metadata: null,
      }).execute();
      const down = await store.traverse(run(runId), 'downstream', 5);
      expect(down.nodes.map((n) => `${n.kind}:${n.id}@${n.depth}`)).toEqual([`run:${runId}@0`, 'logged_model:m-1@1', 'model_version:clf/1@1']);
      expect(down.edges.map((e) => e.relation).sort()).toEqual(['produced', 'produced', 'registered_as']);
      const up = await store.traverse({ kind: 'model_version', id: 'clf/1' }, 'upstream', 5);
      expect(up.nodes.map((n) => `${n.kind}:${n.id}@${n.depth}`)).toEqual(['model_version:clf/1@0', 'logged_model:m-1@1', `run:${runId}@1`]);
    });

    it('writes labels and lineage edges with a version, for new and existing content alike', async () => {
      const raw = await store.addVersion(version('raw', '1'.repeat(64)), plain);
      const edges = (id: string) => [{ from: dv(raw.version.id), to: dv(id), relation: 'derived_from', createdAt: 7, origin: 'platform' as const }];
      const clean = await store.addVersion(version('clean', '2'.repeat(64)), { labels: ['prod'], edges });
      expect(clean.version.labels).toEqual(['latest', 'prod']);
      const again = await store.addVersion(version('clean', '2'.repeat(64)), { labels: ['gold'], edges });
      expect([again.created, again.version.labels]).toEqual([false, ['gold', 'latest', 'prod']]);
      const down = await store.traverse(dv(raw.version.id), 'downstream', 5);
      expect(down.edges.map((e) => [e.to.id, e.relation])).toEqual([[clean.version.id, 'derived_from']]);
    });

    it('versions suites by content and keeps validations per version, newest first, each linked to its data', async () => {
      const expectations = [{ expectation_type: 'expect_column_to_exist' as const, kwargs: { column: 'x' } }];
      const s1 = await store.saveSuite({ name: 'checks', expectations, digest: 'f1', createdBy: 'a', createdAt: 1 });
      const same = await store.saveSuite({ name: 'checks', expectations, digest: 'f1', createdBy: 'b', createdAt: 2 });
      const s2 = await store.saveSuite({ name: 'checks', expectations: [...expectations, ...expectations], digest: 'f2', createdBy: 'a', createdAt: 3 });
      expect([s1.suite.version, same.suite.version, s2.suite.version, same.suite.createdBy]).toEqual([1, 1, 2, 'a']);
      expect([s1.created, same.created, s2.created]).toEqual([true, false, true]);
      expect((await store.getSuite('checks'))!.expectations).toHaveLength(2);
      expect((await store.getSuite('checks', 1))!.expectations).toEqual(expectations);
      expect(await store.getSuite('checks', 3)).toBeUndefined();
      expect(await store.listSuites()).toEqual([{ name: 'checks', latestVersion: 2 }]);

      const v = await store.addVersion(version('validated', 'd'.repeat(64)), plain);
      const result = { success: true, suite_name: 's', statistics: { evaluated_expectations: 0, successful_expectations: 0, unsuccessful_expectations: 0, success_percent: null }, results: [] };
      await store.saveValidation({ id: 'v1', versionId: v.version.id, suiteName: 'checks', suiteVersion: 1, success: true, result, createdBy: 'a', createdAt: 1 });
      await store.saveValidation({ id: 'v2', versionId: v.version.id, suiteName: 'checks', suiteVersion: 2, success: false, result: { ...result, success: false }, createdBy: 'a', createdAt: 2 });
      expect((await store.listValidations(v.version.id)).map((x) => [x.id, x.suiteVersion, x.success])).toEqual([['v2', 2, false], ['v1', 1, true]]);
      const down = await store.traverse(dv(v.version.id), 'downstream', 1);
      expect(down.nodes.map((n) => `${n.kind}:${n.id}`)).toEqual([`dataset_version:${v.version.id}`, 'validation:v1', 'validation:v2']);
    });

    it('merges datasheet sections and clears one given as empty text', async () => {
      expect(await store.getDatasheet('sheet')).toBeUndefined();
      await store.saveDatasheet('sheet', { motivation: 'why', uses: 'churn models' }, 'alice', 10);
      await store.saveDatasheet('sheet', { uses: '', maintenance: 'weekly' }, 'bob', 20);
      expect(await store.getDatasheet('sheet')).toEqual({ sections: { motivation: 'why', maintenance: 'weekly' }, updatedBy: 'bob', updatedAt: 20 });
    });
  });
}
