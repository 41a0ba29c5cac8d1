import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../core/errors.js';
import { parseFilter, parseOrderBy } from '../../domain/tracking/search-filter.js';
import type { RunQuery, TrackingStore } from '../../domain/tracking/tracking.store.js';
import type { DatasetInput, HistoryJsonPage, HistoryPosition, KeyValue, Metric, RunStatus, ViewType } from '../../domain/tracking/types.js';
import { seededRandom } from '../../domain/serving/router.js';
import { testBackends } from '../../../test/support/backends.js';
import { selectArrays, type DatabaseHandle } from '../db.js';
import { SqlTrackingStore } from './tracking.sql-store.js';

/**
 * One contract for the tracking store, held by SQLite and PostgreSQL alike. Every expected result is worked
 * out here with plain JavaScript over the fixture (never read back from the store), so a query that returns
 * other rows on either backend fails.
 */

type Row = {
  readonly name: string;
  readonly status: RunStatus;
  readonly start: number;
  readonly end?: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
};

/** Runs to search: metrics, params and tags missing on some, mixed case, literal `_` and `%` in values. */
const ROWS: readonly Row[] = [
  { name: 'base-a', status: 'FINISHED', start: 10, end: 15, metrics: { acc: 0.9, loss: 0.3 }, params: { lr: '0.01', opt: 'adam' }, tags: { team: 'ML-core', tier: 'gold' } },
  { name: 'base-b', status: 'FAILED', start: 20, end: 22, metrics: { acc: 0.7, loss: 0.5 }, params: { lr: '0.1', opt: 'sgd' }, tags: { team: 'growth', tier: 'silver' } },
  { name: 'tuned_a', status: 'FINISHED', start: 30, end: 40, metrics: { acc: 0.95, loss: 0.2 }, params: { lr: '0.01' }, tags: { team: 'ml-ops', tier: 'bronze' } },
  { name: 'tuned-b', status: 'RUNNING', start: 40, metrics: {}, params: { lr: '0.001', opt: 'adam' }, tags: {} },
  { name: 'Base-c', status: 'FINISHED', start: 50, end: 60, metrics: { acc: 0.8, loss: 0.4 }, params: { lr: '0.1', opt: 'Adam' }, tags: { team: 'ML-core', tier: 'gold' } },
  { name: 'x%y', status: 'KILLED', start: 60, end: 61, metrics: { acc: 0.9, loss: 0.9 }, params: { lr: '1e-3' }, tags: { team: 'data_eng' } },
];

/** A missing metric is NaN, so every ordered comparison with it is false, as a run without it matches none. */
const num = (r: Row, key: string) => r.metrics[key] ?? NaN;
const oneOf = (v: string | undefined, list: string[]) => v !== undefined && list.includes(v);

const FILTERS: readonly [string, (r: Row) => boolean][] = [
  ['metrics.acc = 0.9', (r) => num(r, 'acc') === 0.9],
  ['metrics.acc != 0.9', (r) => r.metrics.acc !== undefined && r.metrics.acc !== 0.9],
  ['metrics.acc < 0.8', (r) => num(r, 'acc') < 0.8],
  ['metrics.acc <= 0.8', (r) => num(r, 'acc') <= 0.8],
  ['metrics.acc > 0.8', (r) => num(r, 'acc') > 0.8],
  ['metrics.acc >= 0.9', (r) => num(r, 'acc') >= 0.9],
  ['metrics.loss > 0.25 and metrics.acc >= 0.8', (r) => num(r, 'loss') > 0.25 && num(r, 'acc') >= 0.8],
  ['metrics.never_logged > 0', () => false],
  ["params.lr = '0.01'", (r) => r.params.lr === '0.01'],
  ["params.lr != '0.01'", (r) => r.params.lr !== undefined && r.params.lr !== '0.01'],
  ["params.opt != 'adam'", (r) => r.params.opt !== undefined && r.params.opt !== 'adam'],
  ["params.lr IN ('0.1', '0.001')", (r) => oneOf(r.params.lr, ['0.1', '0.001'])],
  ["params.lr NOT IN ('0.1', '0.01')", (r) => r.params.lr !== undefined && !oneOf(r.params.lr, ['0.1', '0.01'])],
  ["params.opt LIKE 'a%'", (r) => r.params.opt?.startsWith('a') === true],
  ["params.opt ILIKE 'A%'", (r) => r.params.opt?.toLowerCase().startsWith('a') === true],
  ["tags.team = 'ML-core'", (r) => r.tags.team === 'ML-core'],
  ["tags.team = 'ml-core'", (r) => r.tags.team === 'ml-core'],
  ["tags.team LIKE 'ML%'", (r) => r.tags.team?.startsWith('ML') === true],
  ["tags.team LIKE '%core'", (r) => r.tags.team?.endsWith('core') === true],
  ["tags.team ILIKE 'ml%'", (r) => r.tags.team?.toLowerCase().startsWith('ml') === true],
  ["tags.team ILIKE '%CORE'", (r) => r.tags.team?.toLowerCase().endsWith('core') === true],
  ["tags.team LIKE 'ml_ops'", (r) => /^ml.ops$/s.test(r.tags.team ?? '')],
  ["tags.team LIKE '%\\_%'", (r) => r.tags.team?.includes('_') === true],
  ["tags.team IN ('growth', 'ml-ops')", (r) => oneOf(r.tags.team, ['growth', 'ml-ops'])],
  ["tags.team NOT IN ('growth')", (r) => r.tags.team !== undefined && r.tags.team !== 'growth'],
  ["attributes.status = 'FINISHED'", (r) => r.status === 'FINISHED'],
  ["attributes.status != 'FINISHED'", (r) => r.status !== 'FINISHED'],
  ["attributes.status IN ('FAILED', 'KILLED')", (r) => oneOf(r.status, ['FAILED', 'KILLED'])],
  ["attributes.status NOT IN ('FINISHED', 'RUNNING')", (r) => !oneOf(r.status, ['FINISHED', 'RUNNING'])],
  ["attributes.run_name LIKE 'base%'", (r) => r.name.startsWith('base')],
  ["attributes.run_name ILIKE 'BASE%'", (r) => r.name.toLowerCase().startsWith('base')],
  ["attributes.run_name LIKE 'tuned\\_%'", (r) => r.name.startsWith('tuned_')],
  ["attributes.run_name LIKE '%\\%%'", (r) => r.name.includes('%')],
  ['attributes.start_time >= 30', (r) => r.start >= 30],
  ['attributes.start_time < 30', (r) => r.start < 30],
  ['attributes.start_time = 40', (r) => r.start === 40],
  ['attributes.start_time != 40', (r) => r.start !== 40],
  ['attributes.start_time > 25.5', (r) => r.start > 25.5],
  ['attributes.end_time <= 40', (r) => r.end !== undefined && r.end <= 40],
  ["attributes.status = 'FINISHED' and params.lr = '0.01' and tags.team ILIKE 'ml%'", (r) =>
    r.status === 'FINISHED' && r.params.lr === '0.01' && r.tags.team?.toLowerCase().startsWith('ml') === true],
  ["metrics.acc > 0.5 and tags.tier = 'gold' and attributes.start_time > 20", (r) => num(r, 'acc') > 0.5 && r.tags.tier === 'gold' && r.start > 20],
];

/** Sort keys for expected orderings: rows lacking the value come last in either direction, then the default order (start_time DESC). */
type SortKey = { get: (r: Row) => number | string | undefined; ascending: boolean };
function sortRows(indices: readonly number[], keys: readonly SortKey[]): number[] {
  const cmp = (a: number, b: number): number => {
    for (const { get, ascending } of keys) {
      const x = get(ROWS[a]!);
      const y = get(ROWS[b]!);
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
        continue;
      }
      if (x !== y) return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    }
    return ROWS[b]!.start - ROWS[a]!.start;
  };
  return [...indices].sort(cmp);
}
const ALL = ROWS.map((_, i) => i);
const matching = (pred: (r: Row) => boolean) => ALL.filter((i) => pred(ROWS[i]!));

/** The points of a page the store wrote as JSON, "NaN" read back as NaN. */
function jsonPoints(page: HistoryJsonPage): Metric[] {
  return (JSON.parse(`[${Buffer.from(page.pointsJson).toString('utf8')}]`) as { key: string; value: number | 'NaN'; timestamp: number; step: number }[])
    .map((m) => ({ ...m, value: m.value === 'NaN' ? NaN : m.value }));
}

/** MLflow's notion of the latest point: highest step, then latest timestamp. */
function latestOf(points: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const p of points) {
    if (!best || p.step > best.step || (p.step === best.step && p.timestamp > best.timestamp)) best = p;
  }
  return best;
}


for (const backend of testBackends()) {
  describe(`TrackingStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: TrackingStore;
    let seq = 0;
    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlTrackingStore(handle);
    });
    afterAll(() => handle?.close());

    const experiment = (name = `exp-${++seq}`, now = 1000, tags: KeyValue[] = []) =>
      store.createExperiment({ name, artifactLocation: (id) => `mlflow-artifacts:/${id}`, tags, now });
    const newRunId = () => (++seq).toString(16).padStart(32, '0');
    const run = (experimentId: string, startTime = 1, runName = `run-${seq + 1}`, tags: KeyValue[] = []) => {
      const runId = newRunId();
      return store.createRun({ runId, experimentId, runName, userId: 'u', startTime, artifactUri: `x/${runId}`, tags });
    };
    const metricsOnly = (metrics: Metric[]) => ({ metrics, params: [], tags: [] });
    const query = (experimentIds: string[], over: Partial<RunQuery> = {}): RunQuery =>
      ({ experimentIds, filter: [], orderBy: [], viewType: 'ACTIVE_ONLY', maxResults: 100, offset: 0, ...over });

    describe('experiments', () => {
      it('has the Default experiment with id 0 from the start', async () => {
        expect(await store.getExperiment('0')).toMatchObject({ experimentId: '0', name: 'Default', lifecycleStage: 'active', artifactLocation: 'mlflow-artifacts:/0' });
        expect((await store.getExperimentByName('Default'))?.experimentId).toBe('0');
      });

      it('creates an experiment and finds it by id and by name', async () => {
        const id = await store.createExperiment({
          name: 'created', artifactLocation: (eid) => `s3://bucket/${eid}`, now: 1234,
          tags: [{ key: 'b', value: '2' }, { key: 'a', value: '1' }],
        });
        expect(id).toMatch(/^[1-9]\d*$/);
        const expected = {
          experimentId: id, name: 'created', artifactLocation: `s3://bucket/${id}`, lifecycleStage: 'active',
          creationTime: 1234, lastUpdateTime: 1234,
        };
        const got = await store.getExperiment(id);
        expect(got).toMatchObject(expected);
        expect([...got!.tags].sort((x, y) => x.key.localeCompare(y.key))).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
        expect(await store.getExperimentByName('created')).toEqual(got);

        const given = await store.createExperiment({ name: 'given-location', artifactLocation: '/mnt/art', tags: [], now: 1 });
        expect(given).not.toBe(id);
        expect((await store.getExperiment(given))?.artifactLocation).toBe('/mnt/art');
      });

      it('finds nothing for unknown or malformed ids and names', async () => {
        expect(await store.getExperiment('987654')).toBeUndefined();
        expect(await store.getExperiment('not-a-number')).toBeUndefined();
        expect(await store.getExperiment('')).toBeUndefined();
        expect(await store.getExperimentByName('no such experiment')).toBeUndefined();
        expect(await store.getExperimentByName('default')).toBeUndefined();
      });

      it('rejects a duplicate name with RESOURCE_ALREADY_EXISTS, also when the holder is deleted', async () => {
        const a = await experiment('dup-a');
        const err = await experiment('dup-a', 2000, [{ key: 'leak', value: 'x' }]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect(err).toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
        // The failed create left nothing behind: the holder keeps its state and gained no tag.
        expect(await store.getExperimentByName('dup-a')).toMatchObject({ experimentId: a, creationTime: 1000, tags: [] });

        await store.setExperimentLifecycle(a, 'deleted', 3000);
        await expect(experiment('dup-a')).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      });

      it('renames, refusing a name another experiment holds', async () => {
        const a = await experiment('rename-a', 100);
        await experiment('rename-b', 100);
        await expect(store.renameExperiment(a, 'rename-b', 200)).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
        expect(await store.getExperiment(a)).toMatchObject({ name: 'rename-a', lastUpdateTime: 100 });

        await store.renameExperiment(a, 'rename-c', 300);
        expect(await store.getExperiment(a)).toMatchObject({ name: 'rename-c', lastUpdateTime: 300, creationTime: 100 });
        expect((await store.getExperimentByName('rename-c'))?.experimentId).toBe(a);
        expect(await store.getExperimentByName('rename-a')).toBeUndefined();
        // The old name is free again.
        expect(await experiment('rename-a')).not.toBe(a);
      });

      it('deleting an experiment deletes its runs, restoring restores them; other experiments are untouched', async () => {
        const e = await experiment();
        const other = await experiment();
        const r1 = await run(e);
        const r2 = await run(e);
        const bystander = await run(other);

        await store.setExperimentLifecycle(e, 'deleted', 5);
        expect(await store.getExperiment(e)).toMatchObject({ lifecycleStage: 'deleted', lastUpdateTime: 5 });
        for (const r of [r1, r2]) expect((await store.getRunInfo(r.runId))?.lifecycleStage).toBe('deleted');
        expect((await store.getRunInfo(bystander.runId))?.lifecycleStage).toBe('active');
        expect((await store.getExperiment(other))?.lifecycleStage).toBe('active');

        await store.setExperimentLifecycle(e, 'active', 6);
        expect(await store.getExperiment(e)).toMatchObject({ lifecycleStage: 'active', lastUpdateTime: 6 });
        for (const r of [r1, r2]) expect((await store.getRunInfo(r.runId))?.lifecycleStage).toBe('active');
      });

      it('sets, overwrites and deletes experiment tags, one experiment at a time', async () => {
        const e = await experiment();
        const other = await experiment();
        await store.setExperimentTag(e, { key: 'k', value: '1' });
        await store.setExperimentTag(e, { key: 'keep', value: 'x' });
        await store.setExperimentTag(other, { key: 'k', value: 'other' });
        await store.setExperimentTag(e, { key: 'k', value: '2' });
        const tagsOf = async (id: string) => [...(await store.getExperiment(id))!.tags].sort((a, b) => a.key.localeCompare(b.key));
        expect(await tagsOf(e)).toEqual([{ key: 'k', value: '2' }, { key: 'keep', value: 'x' }]);

        expect(await store.deleteExperimentTag(e, 'k')).toBe(true);
        expect(await store.deleteExperimentTag(e, 'k')).toBe(false);
        expect(await store.deleteExperimentTag(e, 'never-set')).toBe(false);
        expect(await tagsOf(e)).toEqual([{ key: 'keep', value: 'x' }]);
        expect(await tagsOf(other)).toEqual([{ key: 'k', value: 'other' }]);
      });
    });

    describe('runs', () => {
      it('creates a run that starts RUNNING and active, with its initial tags', async () => {
        const e = await experiment();
        const runId = newRunId();
        const info = await store.createRun({
          runId, experimentId: e, runName: 'first', userId: 'alice', startTime: 42, artifactUri: `s3://b/${runId}`,
          tags: [{ key: 'mlflow.runName', value: 'first' }, { key: 'team', value: 'ml' }],
        });
        const expected = {
          runId, runName: 'first', experimentId: e, userId: 'alice', status: 'RUNNING', startTime: 42, endTime: null,
          artifactUri: `s3://b/${runId}`, lifecycleStage: 'active',
        };
        expect(info).toEqual(expected);
        expect(await store.getRunInfo(runId)).toEqual(expected);
        const full = await store.getRun(runId);
        expect(full?.info).toEqual(expected);
        expect(full?.data.metrics).toEqual([]);
        expect(full?.data.params).toEqual([]);
        expect([...full!.data.tags].sort((a, b) => a.key.localeCompare(b.key))).toEqual([{ key: 'mlflow.runName', value: 'first' }, { key: 'team', value: 'ml' }]);
        expect(full?.inputs).toEqual([]);
        expect(await store.getRunInfo('f'.repeat(32))).toBeUndefined();
        expect(await store.getRun('f'.repeat(32))).toBeUndefined();
      });

      it('updates status, end time and name (kept in the mlflow.runName tag too), and the run lifecycle', async () => {
        const r = await run(await experiment(), 1, 'before');
        await store.updateRun(r.runId, { status: 'FINISHED', endTime: 99 });
        expect(await store.getRunInfo(r.runId)).toMatchObject({ status: 'FINISHED', endTime: 99, runName: 'before' });
        await store.updateRun(r.runId, { runName: 'after' });
        const got = await store.getRun(r.runId);
        expect(got?.info).toMatchObject({ runName: 'after', status: 'FINISHED', endTime: 99 });
        expect(got?.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'after' });
        await store.setRunLifecycle(r.runId, 'deleted', 7);
        expect((await store.getRunInfo(r.runId))?.lifecycleStage).toBe('deleted');
        await store.setRunLifecycle(r.runId, 'active', 8);
        expect((await store.getRunInfo(r.runId))?.lifecycleStage).toBe('active');
      });

      it('returns the first run for a retried create with the same idempotency key, and only then', async () => {
        const e = await experiment();
        const attempt = (key: { scope: string; key: string }, runName: string) => {
          const runId = newRunId();
          return store.createRun({ runId, experimentId: e, runName, userId: 'u', startTime: 1, artifactUri: runId, tags: [] }, key).then((info) => ({ runId, info }));
        };
        const key = { scope: `run:${e}`, key: 'retry-1' };
        const first = await attempt(key, 'x');
        expect(first.info.runId).toBe(first.runId);
        const retry = await attempt(key, 'y');
        expect(retry.info).toEqual(first.info);
        expect(await store.getRunInfo(retry.runId)).toBeUndefined();

        // Another key, or the same key in another scope, is another run.
        const otherKey = await attempt({ scope: `run:${e}`, key: 'retry-2' }, 'z');
        const otherScope = await attempt({ scope: 'run:elsewhere', key: 'retry-1' }, 'w');
        expect(new Set([first.info.runId, otherKey.info.runId, otherScope.info.runId]).size).toBe(3);

        // Retries racing the first attempt still agree on one run.
        const raced = await Promise.all([1, 2, 3].map((i) => attempt({ scope: `run:${e}`, key: 'race' }, `r${i}`)));
        const winners = new Set(raced.map((r) => r.info.runId));
        expect(winners.size).toBe(1);
        const existing = await Promise.all(raced.map((r) => store.getRunInfo(r.runId)));
        expect(existing.filter((x) => x !== undefined).map((x) => x.runId)).toEqual([...winners]);
      });

      it('writes a batch all or nothing: a param re-logged with another value rejects everything in it', async () => {
        const r = await run(await experiment(), 1, 'original');
        await store.logBatch(r.runId, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 't0', value: 'v0' }] });
        const before = await store.getRun(r.runId);

        const err = await store.logBatch(r.runId, {
          metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
          params: [{ key: 'new', value: '1' }, { key: 'lr', value: '0.2' }],
          tags: [{ key: 't', value: 'v' }, { key: 't0', value: 'changed' }],
        }, 'renamed').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DomainError);
        expect(err).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });

        expect(await store.getRun(r.runId)).toEqual(before);
        expect(before?.info.runName).toBe('original');
        expect(before?.data).toEqual({ metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 't0', value: 'v0' }] });
        expect((await store.getMetricHistory(r.runId, 'loss', { maxResults: 10 })).items).toEqual([]);

        // The same value again is no change, and the rest of that batch is written.
        await store.logBatch(r.runId, {
          metrics: [{ key: 'loss', value: 2, timestamp: 3, step: 1 }],
          params: [{ key: 'lr', value: '0.1' }, { key: 'new', value: '1' }],
          tags: [{ key: 't0', value: 'changed' }],
        }, 'renamed');
        const after = await store.getRun(r.runId);
        expect(after?.info.runName).toBe('renamed');
        expect(after?.data.params).toEqual([{ key: 'lr', value: '0.1' }, { key: 'new', value: '1' }]);
        expect(after?.data.metrics).toEqual([{ key: 'loss', value: 2, timestamp: 3, step: 1 }]);
        expect(after?.data.tags).toContainEqual({ key: 't0', value: 'changed' });
        expect(after?.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });
      });

      it('lets exactly one of two racing batches set a param, and keeps nothing of the loser', async () => {
        const r = await run(await experiment());
        const batch = (v: string) => ({ metrics: [{ key: `m${v}`, value: 1, timestamp: 1, step: 0 }], params: [{ key: 'p', value: v }], tags: [] });
        const results = await Promise.allSettled([store.logBatch(r.runId, batch('1')), store.logBatch(r.runId, batch('2'))]);
        const won = results.findIndex((x) => x.status === 'fulfilled');
        expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
        expect(results.find((x) => x.status === 'rejected')).toMatchObject({ reason: { code: 'INVALID_PARAMETER_VALUE' } });
        const winner = String(won + 1);
        const got = await store.getRun(r.runId);
        expect(got?.data.params).toEqual([{ key: 'p', value: winner }]);
        expect(got?.data.metrics.map((m) => m.key)).toEqual([`m${winner}`]);
      });

      it('sets, overwrites and deletes run tags', async () => {
        const r = await run(await experiment());
        await store.logBatch(r.runId, { metrics: [], params: [], tags: [{ key: 'a', value: '1' }, { key: 'b', value: '1' }] });
        await store.logBatch(r.runId, { metrics: [], params: [], tags: [{ key: 'a', value: '2' }] });
        expect((await store.getRun(r.runId))?.data.tags).toEqual([{ key: 'a', value: '2' }, { key: 'b', value: '1' }]);
        expect(await store.deleteTag(r.runId, 'a')).toBe(true);
        expect(await store.deleteTag(r.runId, 'a')).toBe(false);
        expect((await store.getRun(r.runId))?.data.tags).toEqual([{ key: 'b', value: '1' }]);
      });
    });

    describe('metrics', () => {
      it('keeps as latest the highest step, then the latest timestamp, across batches', async () => {
        const r = await run(await experiment());
        const batches: Metric[][] = [
          [{ key: 'm', value: 3, timestamp: 100, step: 5 }, { key: 'm', value: 1, timestamp: 999, step: 2 }, { key: 'm', value: 4, timestamp: 101, step: 5 }],
          [{ key: 'm', value: 0, timestamp: 5000, step: 4 }], // later, but a lower step
          [{ key: 'm', value: 7, timestamp: 102, step: 5 }], // same step, later
          [{ key: 'm', value: 8, timestamp: 50, step: 5 }], // same step, earlier
          [{ key: 'm', value: 9, timestamp: 1, step: 6 }, { key: 'other', value: -2.5, timestamp: 1, step: 0 }], // higher step, earliest
        ];
        const logged: Metric[] = [];
        for (const b of batches) {
          await store.logBatch(r.runId, metricsOnly(b));
          logged.push(...b);
          const expected = ['m', 'other'].map((k) => latestOf(logged.filter((p) => p.key === k))).filter((m) => m !== undefined);
          expect((await store.getRun(r.runId))?.data.metrics).toEqual(expected);
        }
      });

      it('keeps one of each (key, timestamp, step, value) point, within a batch and against stored history, as MLflow does', async () => {
        const r = await run(await experiment());
        const p = (value: number, timestamp: number, step: number): Metric => ({ key: 'loss', value, timestamp, step });
        // A retried batch (the client's reply was lost) arrives again, with one point repeated inside it too.
        const batch = [p(0.5, 100, 0), p(0.5, 100, 0), p(0.4, 200, 1), p(NaN, 300, 2), p(NaN, 300, 2)];
        await store.logBatch(r.runId, metricsOnly(batch));
        await store.logBatch(r.runId, metricsOnly(batch));
        // Points differing in only one of value, timestamp or step are distinct points and all stay.
        await store.logBatch(r.runId, metricsOnly([p(0.5, 100, 0), p(0.6, 100, 0), p(0.5, 101, 0), p(0.5, 100, 1)]));
        const history = (await store.getMetricHistory(r.runId, 'loss', { maxResults: 100 })).items;
        expect(history).toEqual([p(0.5, 100, 0), p(0.6, 100, 0), p(0.5, 100, 1), p(0.5, 101, 0), p(0.4, 200, 1), p(NaN, 300, 2)]);
        expect((await store.getRun(r.runId))!.data.metrics).toEqual([p(NaN, 300, 2)]);
      });

      it('round-trips NaN, and ±Infinity as ±Number.MAX_VALUE (as MLflow stores them), in latest values and history', async () => {
        const r = await run(await experiment());
        await store.logBatch(r.runId, metricsOnly([
          { key: 'nan', value: 1, timestamp: 1, step: 0 },
          { key: 'nan', value: NaN, timestamp: 2, step: 1 },
          { key: 'inf', value: Infinity, timestamp: 1, step: 0 },
          { key: 'ninf', value: -Infinity, timestamp: 1, step: 0 },
          { key: 'tiny', value: 5e-324, timestamp: 1, step: 0 },
        ]));
        const latest = Object.fromEntries((await store.getRun(r.runId))!.data.metrics.map((m) => [m.key, m.value]));
        expect(latest).toEqual({ nan: NaN, inf: Number.MAX_VALUE, ninf: -Number.MAX_VALUE, tiny: 5e-324 });
        const history = (key: string) => store.getMetricHistory(r.runId, key, { maxResults: 10 }).then((p) => p.items.map((m) => m.value));
        expect(await history('nan')).toEqual([1, NaN]);
        expect(await history('inf')).toEqual([Number.MAX_VALUE]);
        expect(await history('ninf')).toEqual([-Number.MAX_VALUE]);
        if (backend.name === 'sqlite') {
          const json = async (key: string) => jsonPoints((await store.getMetricHistoryJson(r.runId, key, { maxResults: 10 }))!).map((m) => m.value);
          expect(await json('nan')).toEqual([1, NaN]);
          expect(await json('inf')).toEqual([Number.MAX_VALUE]);
          expect(await json('tiny')).toEqual([5e-324]);
        }
      });

      it('writes history pages as JSON on SQLite that read back as the very doubles stored', async () => {
        if (backend.name !== 'sqlite') {
          expect(await store.getMetricHistoryJson(newRunId(), 'm', { maxResults: 10 })).toBeUndefined();
          return;
        }
        const r = await run(await experiment());
        // Seeded random bit patterns (every exponent), and values that need all 17 digits or none.
        const random = seededRandom(16);
        const bits = new DataView(new ArrayBuffer(8));
        const values = [0.1, 1 / 3, 2, 1e21, 1e-7, 5e-324, 2.2250738585072014e-308, 123456789012345680000, -1.5e300, 0.30000000000000004];
        while (values.length < 2000) {
          bits.setUint32(0, Math.floor(random() * 2 ** 32));
          bits.setUint32(4, Math.floor(random() * 2 ** 32));
          const v = bits.getFloat64(0);
          if (Number.isFinite(v)) values.push(v);
        }
        const points = values.map((value, i) => ({ key: 'bits', value, timestamp: 1_700_000_000_000 + i, step: i - 1000 }));
        await store.logBatch(r.runId, metricsOnly(points));
        const page = (await store.getMetricHistoryJson(r.runId, 'bits', { maxResults: 5000 }))!;
        expect(page.count).toBe(points.length);
        expect(page.next).toBeUndefined();
        const read = jsonPoints(page);
        expect(read).toHaveLength(points.length);
        expect(read).toEqual(points);
      });

      it('pages metric history in (timestamp, step, value) order by position, with no next position on the last page', async () => {
        const e = await experiment();
        const r = await run(e);
        const bystander = await run(e);
        // Ties on timestamp and step (told apart by value, NaN included) fall on page boundaries at every page size.
        const points: Metric[] = [[5, 0, 0], [3, 1, 1], [9, 2, 2], [1, 3, 3], [7, 4, 4], [3, 0, 5], [3, 1, 0.5], [3, 1, -2], [3, 1, NaN]]
          .map(([timestamp, step, value]) => ({ key: 'h', value: value!, timestamp: timestamp!, step: step! }));
        await store.logBatch(r.runId, metricsOnly([...points, { key: 'other', value: 1, timestamp: 0, step: 0 }]));
        await store.logBatch(bystander.runId, metricsOnly([{ key: 'h', value: 1, timestamp: 0, step: 0 }]));
        // NaN is stored as 0 with a flag, so it sorts with 0 and after it, as in MLflow's table.
        const sortValue = (v: number) => (Number.isNaN(v) ? 0.1e-300 : v);
        const expected = [...points].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || sortValue(a.value) - sortValue(b.value));

        for (const size of [1, 2, 3, 4, 9]) {
          const pages = [];
          let after: HistoryPosition | undefined;
          do {
            const page = await store.getMetricHistory(r.runId, 'h', { maxResults: size, ...(after ? { after } : {}) });
            pages.push(page);
            after = page.next;
          } while (after);
          expect(pages).toHaveLength(Math.ceil(points.length / size));
          expect(pages.flatMap((p) => p.items)).toEqual(expected);

          if (backend.name !== 'sqlite') continue;
          // The same pages written as JSON, ending at the same positions.
          const jsonPages = [];
          let from: HistoryPosition | undefined;
          do {
            const page = (await store.getMetricHistoryJson(r.runId, 'h', { maxResults: size, ...(from ? { after: from } : {}) }))!;
            jsonPages.push(page);
            from = page.next;
          } while (from);
          expect(jsonPages.map((p) => ({ items: jsonPoints(p), count: p.count, next: p.next }))).toEqual(pages.map((p) => ({ items: p.items, count: p.items.length, next: p.next })));
        }
        expect(await store.getMetricHistory(r.runId, 'never-logged', { maxResults: 3 })).toEqual({ items: [] });
        if (backend.name === 'sqlite') expect(await store.getMetricHistoryJson(r.runId, 'never-logged', { maxResults: 3 })).toEqual({ pointsJson: Buffer.alloc(0), count: 0 });
      });

      it('serves a history page read ahead only while nothing was written since, by this connection or another', async () => {
        if (backend.name !== 'sqlite') return;
        const r = await run(await experiment());
        const points: Metric[] = Array.from({ length: 30 }, (_, i) => ({ key: 'ra', value: i / 7, timestamp: 1000 + i * 10, step: i }));
        await store.logBatch(r.runId, metricsOnly(points));
        const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 100));
        const stats = () => (store as SqlTrackingStore).historyReadAhead;
        const readAll = async (between: (page: number) => Promise<void>) => {
          const read: Metric[] = [];
          let after: HistoryPosition | undefined;
          let page = 0;
          do {
            const p = (await store.getMetricHistoryJson(r.runId, 'ra', { maxResults: 10, ...(after ? { after } : {}) }))!;
            read.push(...jsonPoints(p));
            after = p.next;
            await between(page++);
          } while (after);
          return read;
        };
        const byHistory = (ms: Metric[]) => [...ms].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || a.value - b.value);

        // Nothing written: pages 2 and 3 come read ahead, and are the pages.
        const before = stats();
        expect(await readAll(settle)).toEqual(points);
        expect(stats().served - before.served).toBe(2);

        // A point written through this store after page 1 was answered (and page 2 read ahead) lands in page 2.
        const late: Metric = { key: 'ra', value: -1, timestamp: 1105, step: 99 };
        const mid = stats();
        const withLate = await readAll(async (page) => {
          await settle();
          if (page === 0) await store.logBatch(r.runId, metricsOnly([late]));
        });
        expect(withLate).toEqual(byHistory([...points, late]).slice(0, 31));
        expect(stats().stale - mid.stale).toBeGreaterThanOrEqual(1);

        // A point written by another connection (another process, as far as SQLite knows) after page 1.
        const [file] = (await selectArrays(handle.db, sql`select file from pragma_database_list where name = 'main'`))[0]! as [string];
        const other = new Database(file);
        try {
          const outsider: Metric = { key: 'ra', value: 5, timestamp: 1115, step: 98 };
          const read = await readAll(async (page) => {
            await settle();
            if (page === 0) other.prepare('insert into metrics (run_uuid, key, value, timestamp, step, is_nan) values (?, ?, ?, ?, ?, 0)').run(r.runId, 'ra', outsider.value, outsider.timestamp, outsider.step);
          });
          expect(read).toEqual(byHistory([...points, late, outsider]));
        } finally {
          other.close();
        }
      });

      it("samples the bulk interval's steps as MLflow does: a fixed interval over all runs' steps, each run's ends kept", async () => {
        const e = await experiment();
        const [a, b, none] = [await run(e), await run(e), await run(e)];
        const aPoints: Metric[] = Array.from({ length: 101 }, (_, s) => ({ key: 'b', value: s, timestamp: 1000 + s, step: s }));
        const bPoints: Metric[] = [0, 2, 4, 6, 8, 10].map((s) => ({ key: 'b', value: 0.5 - s, timestamp: s, step: s }));
        bPoints.push({ key: 'b', value: 44, timestamp: 40, step: 4 }); // two points at step 4
        await store.logBatch(a.runId, metricsOnly(aPoints));
        await store.logBatch(b.runId, metricsOnly(bPoints));
        await store.logBatch(none.runId, metricsOnly([{ key: 'not-b', value: 1, timestamp: 1, step: 0 }]));
        const inStepOrder = (ps: Metric[]) => [...ps].sort((x, y) => x.step - y.step || x.timestamp - y.timestamp);
        const withRun = (runId: string, ps: Metric[]) => ps.map((p) => ({ ...p, runId }));
        const at = (ps: Metric[], steps: number[]) => inStepOrder(ps.filter((p) => steps.includes(p.step)));

        // Worked by hand with MLflow's rule: 101 distinct steps for 5 slots, interval 20.2 → indexes 0, 20, 40, 60, 80,
        // plus the last step (100) and each run's first and last (a: 0, 100; b: 0, 10).
        const steps = [0, 10, 20, 40, 60, 80, 100];
        expect(await store.getMetricHistoryBulkInterval([a.runId, b.runId, none.runId], 'b', { maxSteps: 5 }))
          .toEqual([...withRun(a.runId, at(aPoints, steps)), ...withRun(b.runId, at(bPoints, steps))]);
        // Room for every step: everything, in step order.
        expect(await store.getMetricHistoryBulkInterval([b.runId], 'b', { maxSteps: 10 })).toEqual(withRun(b.runId, inStepOrder(bPoints)));
        // [10, 20] holds 11 steps for 3 slots: interval 11/3 → indexes 0, 3, 7 (steps 10, 13, 17), plus the last, 20.
        expect(await store.getMetricHistoryBulkInterval([a.runId], 'b', { startStep: 10, endStep: 20, maxSteps: 3 }))
          .toEqual(withRun(a.runId, at(aPoints, [10, 13, 17, 20])));
        expect(await store.getMetricHistoryBulkInterval([none.runId], 'b', { maxSteps: 5 })).toEqual([]);
      });

      it('samples runs that logged every step (read as ranges) and runs with a repeated step and a gap alike', async () => {
        const e = await experiment();
        const [a, c, d] = [await run(e), await run(e), await run(e)];
        const aPoints: Metric[] = Array.from({ length: 101 }, (_, s) => ({ key: 'r', value: s, timestamp: 1000 + s, step: s }));
        const cPoints: Metric[] = Array.from({ length: 10 }, (_, s) => ({ key: 'r', value: 10 - s, timestamp: 5000 + s, step: 200 + s }));
        // Six points over steps 0..5 but no step 2 (step 1 twice): not every step in between.
        const dPoints: Metric[] = [0, 1, 1, 3, 4, 5].map((s, i) => ({ key: 'r', value: i, timestamp: 100 + i, step: s }));
        await store.logBatch(a.runId, metricsOnly(aPoints));
        await store.logBatch(c.runId, metricsOnly(cPoints));
        await store.logBatch(d.runId, metricsOnly(dPoints));
        const withRun = (runId: string, ps: Metric[]) => ps.map((p) => ({ ...p, runId }));
        const at = (ps: Metric[], steps: number[]) => ps.filter((p) => steps.includes(p.step)).sort((x, y) => x.step - y.step || x.timestamp - y.timestamp);

        // a and c: 101 + 10 distinct steps for 5 slots, interval 22.2 → indexes 0, 22, 44, 66, 88 (steps 0, 22, 44, 66,
        // 88), plus the last (209) and each run's ends (a: 0, 100; c: 200, 209).
        const steps = [0, 22, 44, 66, 88, 100, 200, 209];
        expect(await store.getMetricHistoryBulkInterval([a.runId, c.runId], 'r', { maxSteps: 5 }))
          .toEqual([...withRun(a.runId, at(aPoints, steps)), ...withRun(c.runId, at(cPoints, steps))]);
        // d's distinct steps are 0, 1, 3, 4, 5: 3 slots, interval 5/3 → indexes 0, 1, 3 (steps 0, 1, 4), plus the last (5).
        expect(await store.getMetricHistoryBulkInterval([d.runId], 'r', { maxSteps: 3 })).toEqual(withRun(d.runId, at(dPoints, [0, 1, 4, 5])));
      });

      it("keeps at most MLflow's 25,000 points of a run, the first in step then timestamp order, when they pile up at one step", async () => {
        const e = await experiment();
        const [many, few] = [await run(e), await run(e)];
        const points: Metric[] = Array.from({ length: 30_000 }, (_, i) => ({ key: 'p', value: i % 7, timestamp: 30_000 - i, step: 0 }));
        for (let i = 0; i < points.length; i += 5000) await store.logBatch(many.runId, metricsOnly(points.slice(i, i + 5000)));
        await store.logBatch(few.runId, metricsOnly([{ key: 'p', value: 1, timestamp: 1, step: 0 }, { key: 'p', value: 2, timestamp: 2, step: 1 }]));
        const got = await store.getMetricHistoryBulkInterval([many.runId, few.runId], 'p', { maxSteps: 10 });
        const kept = got.filter((p) => p.runId === many.runId);
        expect(kept).toHaveLength(25_000);
        // Timestamps 1 … 25,000 (the earliest), in order.
        expect(kept[0]!.timestamp).toBe(1);
        expect(kept[24_999]!.timestamp).toBe(25_000);
        expect(got.filter((p) => p.runId === few.runId).map((p) => p.step)).toEqual([0, 1]);
      }, 120_000);
    });

    describe('searchRuns', () => {
      let e: string;
      const ids: string[] = [];
      beforeAll(async () => {
        e = await experiment('search-runs');
        for (const r of ROWS) {
          const info = await run(e, r.start, r.name);
          ids.push(info.runId);
          await store.logBatch(info.runId, {
            metrics: Object.entries(r.metrics).map(([key, value]) => ({ key, value, timestamp: 1, step: 0 })),
            params: Object.entries(r.params).map(([key, value]) => ({ key, value })),
            tags: Object.entries(r.tags).map(([key, value]) => ({ key, value })),
          });
          await store.updateRun(info.runId, { status: r.status, ...(r.end === undefined ? {} : { endTime: r.end }) });
        }
        // Another experiment's run, matching most filters, must never show up.
        const stray = await run(await experiment(), 35, 'base-stray');
        await store.logBatch(stray.runId, { metrics: [{ key: 'acc', value: 0.9, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.01' }], tags: [{ key: 'team', value: 'ML-core' }] });
      });

      /** Indices into ROWS of the runs returned, in the order returned. */
      const search = async (filter: string, orderBy: string[] = [], over: Partial<RunQuery> = {}) => {
        const page = await store.searchRuns(query([e], { filter: parseFilter(filter), orderBy: orderBy.map(parseOrderBy), ...over }));
        return page.items.map((r) => ids.indexOf(r.info.runId));
      };

      it.each(FILTERS)('filters %s', async (filter, pred) => {
        expect(await search(filter)).toEqual(sortRows(matching(pred), []));
      });

      it.each(FILTERS)('counts the runs %s matches', async (filter, pred) => {
        expect(await store.countRuns({ experimentIds: [e], filter: parseFilter(filter), viewType: 'ACTIVE_ONLY' })).toBe(matching(pred).length);
      });

      it('filters by run id', async () => {
        expect(await search(`attributes.run_id IN ('${ids[0]}', '${ids[2]}')`)).toEqual(sortRows([0, 2], []));
        expect(await search(`attributes.run_id = '${ids[3]}'`)).toEqual([3]);
      });

      it('returns whole runs: latest metrics, params and tags', async () => {
        const page = await store.searchRuns(query([e], { filter: parseFilter("attributes.run_name = 'base-a'") }));
        expect(page.items).toHaveLength(1);
        const { info, data } = page.items[0]!;
        const row = ROWS[0]!;
        expect(info).toMatchObject({ runId: ids[0], runName: row.name, status: row.status, startTime: row.start, endTime: row.end });
        expect(Object.fromEntries(data.metrics.map((m) => [m.key, m.value]))).toEqual(row.metrics);
        expect(Object.fromEntries(data.params.map((p) => [p.key, p.value]))).toEqual(row.params);
        expect(Object.fromEntries(data.tags.map((t) => [t.key, t.value]))).toEqual(row.tags);
      });

      it.each<[string[], SortKey[]]>([
        [['metrics.acc DESC'], [{ get: (r) => r.metrics.acc, ascending: false }]],
        [['metrics.acc ASC'], [{ get: (r) => r.metrics.acc, ascending: true }]],
        [['metrics.acc'], [{ get: (r) => r.metrics.acc, ascending: true }]],
        [['params.lr ASC', 'attributes.start_time DESC'], [{ get: (r) => r.params.lr, ascending: true }, { get: (r) => r.start, ascending: false }]],
        [['tags.tier DESC'], [{ get: (r) => r.tags.tier, ascending: false }]],
        [['attributes.start_time ASC'], [{ get: (r) => r.start, ascending: true }]],
        [['attributes.start_time DESC'], [{ get: (r) => r.start, ascending: false }]],
        [['attributes.end_time DESC'], [{ get: (r) => r.end, ascending: false }]],
        [['metrics.loss ASC', 'params.opt DESC'], [{ get: (r) => r.metrics.loss, ascending: true }, { get: (r) => r.params.opt, ascending: false }]],
      ])('orders by %j, runs lacking the value last, ties by start time', async (orderBy, keys) => {
        expect(await search('', orderBy)).toEqual(sortRows(ALL, keys));
      });

      it('orders with filters applied, and pages without repeating or skipping', async () => {
        const filter = 'metrics.acc >= 0.8';
        const expected = sortRows(matching((r) => num(r, 'acc') >= 0.8), [{ get: (r) => r.metrics.acc, ascending: false }]);
        expect(await search(filter, ['metrics.acc DESC'])).toEqual(expected);

        for (const size of [1, 2, 3, 4]) {
          const seen: number[] = [];
          const offsets: (number | undefined)[] = [];
          for (let offset: number | undefined = 0; offset !== undefined;) {
            const page = await store.searchRuns(query([e], { filter: parseFilter(filter), orderBy: [parseOrderBy('metrics.acc DESC')], maxResults: size, offset }));
            seen.push(...page.items.map((r) => ids.indexOf(r.info.runId)));
            offsets.push(page.nextOffset);
            offset = page.nextOffset;
          }
          expect(seen).toEqual(expected);
          // A next offset on every page but the last, also when the last page is exactly full.
          const pageCount = Math.ceil(expected.length / size);
          expect(offsets).toEqual([...Array.from({ length: pageCount - 1 }, (_, i) => (i + 1) * size), undefined]);
        }
      });

      it('searches several experiments at once and ignores ids that name none', async () => {
        const other = await experiment();
        const extra = await run(other, 1000);
        const page = await store.searchRuns(query([e, other, 'not-an-id'], { filter: parseFilter("params.lr = '0.01'") }));
        expect(page.items.map((r) => r.info.runId)).toEqual([...sortRows(matching((r) => r.params.lr === '0.01'), []).map((i) => ids[i])]);
        const all = await store.searchRuns(query([e, other]));
        expect(all.items.map((r) => r.info.runId)).toEqual([extra.runId, ...sortRows(ALL, []).map((i) => ids[i])]);
        expect(await store.searchRuns(query(['not-an-id']))).toEqual({ items: [] });
      });
    });

    it('orders NaN after numbers and runs without the metric last, either direction; NaN matches no comparison', async () => {
      const e = await experiment();
      const values = [1, NaN, undefined, 3];
      const runIds: string[] = [];
      for (const [i, v] of values.entries()) {
        const r = await run(e, i);
        runIds.push(r.runId);
        if (v !== undefined) await store.logBatch(r.runId, metricsOnly([{ key: 'v', value: v, timestamp: 1, step: 0 }]));
      }
      const order = async (clause: string, filter = '') =>
        (await store.searchRuns(query([e], { filter: parseFilter(filter), orderBy: [parseOrderBy(clause)] }))).items.map((r) => values[runIds.indexOf(r.info.runId)]);
      expect(await order('metrics.v DESC')).toEqual([3, 1, NaN, undefined]);
      expect(await order('metrics.v ASC')).toEqual([1, 3, NaN, undefined]);
      expect(await order('metrics.v ASC', 'metrics.v > 0')).toEqual([1, 3]);
      expect(await order('metrics.v ASC', 'metrics.v < 10')).toEqual([1, 3]);
    });

    it.each<[ViewType, string[]]>([
      ['ACTIVE_ONLY', ['kept-1', 'kept-2']],
      ['DELETED_ONLY', ['gone']],
      ['ALL', ['kept-1', 'gone', 'kept-2']],
    ])('honours the %s view type for runs', async (viewType, expected) => {
      const e = await experiment();
      await run(e, 3, 'kept-2');
      const gone = await run(e, 2, 'gone');
      await run(e, 1, 'kept-1');
      await store.setRunLifecycle(gone.runId, 'deleted', 10);
      const page = await store.searchRuns(query([e], { viewType, orderBy: [parseOrderBy('attributes.start_time ASC')] }));
      expect(page.items.map((r) => r.info.runName)).toEqual(expected);
    });

    describe('searchExperiments', () => {
      type ExpRow = { name: string; now: number; tags: KeyValue[]; deleted?: boolean };
      const EXPS: ExpRow[] = [
        { name: 'srch-churn-a', now: 1000, tags: [{ key: 'owner', value: 'ml' }] },
        { name: 'srch-churn-b', now: 2000, tags: [{ key: 'owner', value: 'data' }, { key: 'stage', value: 'prod' }] },
        { name: 'srch-Churn-c', now: 3000, tags: [] },
        { name: 'srch-other', now: 4000, tags: [{ key: 'owner', value: 'ml' }] },
        { name: 'srch-churn-old', now: 500, tags: [{ key: 'owner', value: 'ml' }], deleted: true },
      ];
      const tag = (x: ExpRow, key: string) => x.tags.find((t) => t.key === key)?.value;
      beforeAll(async () => {
        for (const x of EXPS) {
          const id = await experiment(x.name, x.now, x.tags);
          if (x.deleted) await store.setExperimentLifecycle(id, 'deleted', x.now);
        }
      });
      // Every filter is narrowed to this test's experiments: others live in the same database.
      const names = async (filter: string, viewType: ViewType = 'ACTIVE_ONLY', orderBy: string[] = [], page = { maxResults: 50, offset: 0 }) =>
        (await store.searchExperiments({ viewType, filter: parseFilter(`attributes.name LIKE 'srch-%' and ${filter}`), orderBy: orderBy.map(parseOrderBy), ...page }))
          .items.map((x) => x.name);
      const expectedNames = (pred: (x: ExpRow) => boolean, viewType: ViewType = 'ACTIVE_ONLY') =>
        EXPS.filter((x) => (viewType === 'ALL' || (viewType === 'DELETED_ONLY') === !!x.deleted) && pred(x))
          .sort((a, b) => b.now - a.now)
          .map((x) => x.name);

      it.each<[string, (x: ExpRow) => boolean]>([
        ["attributes.name LIKE 'srch-churn%'", (x) => x.name.startsWith('srch-churn')],
        ["attributes.name ILIKE 'SRCH-CHURN%'", (x) => x.name.toLowerCase().startsWith('srch-churn')],
        ["attributes.name = 'srch-other'", (x) => x.name === 'srch-other'],
        ["attributes.name != 'srch-other'", (x) => x.name !== 'srch-other'],
        ["tags.owner = 'ml'", (x) => tag(x, 'owner') === 'ml'],
        ["tags.owner != 'ml'", (x) => tag(x, 'owner') !== undefined && tag(x, 'owner') !== 'ml'],
        ["tags.owner LIKE 'd%' and tags.stage = 'prod'", (x) => tag(x, 'owner')?.startsWith('d') === true && tag(x, 'stage') === 'prod'],
        ["tags.owner IN ('ml', 'nobody')", (x) => tag(x, 'owner') === 'ml'],
        ['attributes.creation_time >= 2000', (x) => x.now >= 2000],
        ['attributes.creation_time < 2500.5', (x) => x.now < 2500.5],
      ])('filters experiments by %s', async (filter, pred) => {
        expect(await names(filter)).toEqual(expectedNames(pred));
      });

      it('honours view types and orders and pages experiments', async () => {
        const churn = (x: ExpRow) => x.name.startsWith('srch-churn');
        expect(await names("attributes.name LIKE 'srch-churn%'", 'DELETED_ONLY')).toEqual(expectedNames(churn, 'DELETED_ONLY'));
        expect(await names("attributes.name LIKE 'srch-churn%'", 'ALL')).toEqual(expectedNames(churn, 'ALL'));
        const ascending = EXPS.filter((x) => !x.deleted).sort((a, b) => a.now - b.now).map((x) => x.name);
        expect(await names('attributes.creation_time > 0', 'ACTIVE_ONLY', ['attributes.creation_time ASC'])).toEqual(ascending);
        const first = await store.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: parseFilter("attributes.name LIKE 'srch-%'"), orderBy: [], maxResults: 3, offset: 0 });
        expect(first.items.map((x) => x.name)).toEqual(expectedNames(() => true).slice(0, 3));
        expect(first.nextOffset).toBe(3);
        const second = await store.searchExperiments({ viewType: 'ACTIVE_ONLY', filter: parseFilter("attributes.name LIKE 'srch-%'"), orderBy: [], maxResults: 3, offset: 3 });
        expect(second.items.map((x) => x.name)).toEqual(expectedNames(() => true).slice(3));
        expect(second.nextOffset).toBeUndefined();
        // Found experiments carry their tags.
        const b = (await store.searchExperiments({ viewType: 'ALL', filter: parseFilter("attributes.name = 'srch-churn-b'"), orderBy: [], maxResults: 5, offset: 0 })).items;
        expect(b.map((x) => [...x.tags].sort((p, q) => p.key.localeCompare(q.key)))).toEqual([EXPS[1]!.tags]);
      });
    });

    describe('dataset inputs', () => {
      const ctx = (value: string): KeyValue[] => [{ key: 'mlflow.data.context', value }];
      const train: DatasetInput = {
        dataset: { name: 'train', digest: 'abc123', sourceType: 'local', source: '/data/train.csv', schema: '{"cols":["a"]}', profile: '{"rows":10}' },
        tags: ctx('training'),
      };
      const evalSet: DatasetInput = { dataset: { name: 'eval', digest: 'e1', sourceType: 's3', source: 's3://b/eval' }, tags: ctx('eval_v1') };
      const lookalike: DatasetInput = { dataset: { name: 'eval', digest: 'e2', sourceType: 's3', source: 's3://b/eval2' }, tags: ctx('evalXv1') };
      const quoted: DatasetInput = { dataset: { name: 'odd', digest: 'o1', sourceType: 'local', source: '/odd' }, tags: ctx('q"b\\s%') };
      /** Inputs per run, as logged (the last logInputs of a dataset to a run wins). */
      const LOGGED: DatasetInput[][] = [[evalSet, train], [train], [lookalike, quoted]];
      let e: string;
      const runIds: string[] = [];
      beforeAll(async () => {
        e = await experiment();
        for (const inputs of LOGGED) {
          const r = await run(e);
          runIds.push(r.runId);
          await store.logInputs(r.runId, e, inputs);
        }
        await store.logInputs(runIds[0]!, e, [train]); // again: no second input
        await store.logInputs(runIds[1]!, e, []);
      });
      const byName = (xs: readonly DatasetInput[]) => [...xs].sort((a, b) => a.dataset.name.localeCompare(b.dataset.name) || a.dataset.digest.localeCompare(b.dataset.digest));

      it('records each dataset input of a run once, with schema and profile', async () => {
        for (const [i, inputs] of LOGGED.entries()) {
          expect(byName((await store.getRun(runIds[i]!))!.inputs)).toEqual(byName(inputs));
        }
      });

      it('stores a dataset once per experiment, name and digest', async () => {
        const rows = await handle.db.selectFrom('datasets').select(['name', 'digest']).where('experiment_id', '=', Number(e)).execute();
        const distinct = new Set(LOGGED.flat().map((x) => `${x.dataset.name}/${x.dataset.digest}`));
        expect(rows.map((r) => `${r.name}/${r.digest}`).sort()).toEqual([...distinct].sort());
      });

      it.each<[string, (inputs: DatasetInput[]) => boolean]>([
        ["datasets.name = 'train'", (xs) => xs.some((x) => x.dataset.name === 'train')],
        ["datasets.name LIKE 'ev%'", (xs) => xs.some((x) => x.dataset.name.startsWith('ev'))],
        ["datasets.digest IN ('e1', 'o1')", (xs) => xs.some((x) => ['e1', 'o1'].includes(x.dataset.digest))],
        ["datasets.digest = 'abc123' and datasets.context = 'training'", (xs) => xs.some((x) => x.dataset.digest === 'abc123' && x.tags[0]?.value === 'training')],
        ["datasets.context = 'eval_v1'", (xs) => xs.some((x) => x.tags[0]?.value === 'eval_v1')],
        ["datasets.context = 'q\"b\\\\s%'", (xs) => xs.some((x) => x.tags[0]?.value === 'q"b\\s%')],
        ["datasets.context = 'train'", (xs) => xs.some((x) => x.tags[0]?.value === 'train')],
      ])('filters runs by %s', async (filter, pred) => {
        const page = await store.searchRuns(query([e], { filter: parseFilter(filter) }));
        const expected = runIds.filter((_, i) => pred(LOGGED[i]!));
        expect(page.items.map((r) => r.info.runId).sort()).toEqual(expected.sort());
      });
    });
  });
}
