import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends, type TestBackend } from '../../../test/support/backends.js';
import { anonymousAdmin } from '../../core/actor.js';
import { SqlFeatureStore, SqlOnlineStore } from '../../store/sql/features.sql-store.js';
import { RedisOnlineStore } from '../../store/redis/features.redis-online-store.js';
import { allowAll } from '../access/access.js';
import { FeatureService, type LineageEdgeInput } from './feature.service.js';
import { sourceFiles } from './source-files.js';
import type { OnlineStore } from './types.js';

/**
 * The service over real stores: the registry on SQLite and PostgreSQL, the online store in the database and in the
 * machine's Redis. Online values read at a time must equal the offline point-in-time values for that time.
 */
const REDIS_URL = process.env.OPENEXPERT_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const HOUR = 3_600_000;
const T0 = Date.parse('2024-03-01T00:00:00Z');
const USERS = 200;
const HOURS = 48;

let dir: string;
let statsFile: string;

/** Rows per user every hour, some hours missing, a rewrite of some rows at the same event time with a later created time. */
function writeStats(hours: number): void {
  const lines = ['user_id,event_timestamp,created,user_spend_sum_24h,user_orders_count_24h'];
  for (let h = 0; h < hours; h++) {
    for (let u = 1; u <= USERS; u++) {
      if ((u * 7 + h) % 5 === 0 || (u > 180 && h > 10)) continue;
      const at = new Date(T0 + h * HOUR).toISOString().replace('T', ' ').replace('Z', '');
      lines.push(`${u},${at},${at},${(u * 13 + h * 7) % 101},${(u + h) % 4}`);
      if ((u + h) % 11 === 0) lines.push(`${u},${at},${new Date(T0 + h * HOUR + 60_000).toISOString().replace('T', ' ').replace('Z', '')},${1000 + u},${h % 3}`);
    }
  }
  fs.writeFileSync(statsFile, `${lines.join('\n')}\n`);
}

const repo = (extra: Record<string, unknown> = {}) => ({
  entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
  feature_views: [{
    name: 'user_stats', entity: 'user', source: { path: statsFile, created_timestamp_field: 'created' }, ttl: '6h', owner: 'ana',
    schema: [{ name: 'user_spend_sum_24h', dtype: 'float64' }, { name: 'user_orders_count_24h', dtype: 'int64' }],
    transformations: [{ name: 'user_spend_per_order_avg_24h', expression: 'user_spend_sum_24h / user_orders_count_24h' }],
    ...extra,
  }],
});
const FEATURES = ['user_stats:user_spend_sum_24h', 'user_stats:user_orders_count_24h', 'user_stats:user_spend_per_order_avg_24h'];
const NAMES = FEATURES.map((f) => f.split(':')[1]!);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-features-'));
  statsFile = path.join(dir, 'user_stats.csv');
  writeStats(HOURS);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const [sqlite, postgres] = testBackends() as [TestBackend, TestBackend];
const setups: { name: string; online: (h: Awaited<ReturnType<typeof sqlite.open>>) => OnlineStore; backend: typeof sqlite }[] = [
  { name: 'SQLite, online in SQLite', backend: sqlite!, online: (h) => new SqlOnlineStore(h) },
  { name: 'PostgreSQL, online in PostgreSQL', backend: postgres!, online: (h) => new SqlOnlineStore(h) },
  { name: 'SQLite, online in Redis', backend: sqlite!, online: () => new RedisOnlineStore(REDIS_URL, `openexpert:test:${process.pid}:${Date.now()}:`) },
];

for (const setup of setups) {
  describe(`features on ${setup.name}`, () => {
    const clock = { t: T0 };
    const lineage: LineageEdgeInput[] = [];
    let service: FeatureService;
    let close: () => Promise<void>;
    const actor = anonymousAdmin();

    beforeAll(async () => {
      const handle = await setup.backend.open();
      const online = setup.online(handle);
      service = new FeatureService({
        store: new SqlFeatureStore(handle), online, access: allowAll, clock: { now: () => clock.t },
        sources: sourceFiles({ dataset: () => Promise.reject(new Error('no datasets here')), s3: () => Promise.reject(new Error('no S3 here')) }),
        datasetVersion: () => Promise.reject(new Error('no datasets here')), lineage: async (edges) => void lineage.push(...edges), projectOf: async () => 'default',
      });
      close = async () => {
        await online.drop('user_stats');
        await service.close();
        await handle.close();
      };
    });
    afterAll(async () => close());

    /** The offline values at time t for every user (and one with no history), as JSON rows. */
    async function offlineAt(t: number): Promise<Record<string, unknown>[]> {
      const entities = path.join(dir, `entities-${t}.csv`);
      const at = new Date(t).toISOString().replace('T', ' ').replace('Z', '');
      fs.writeFileSync(entities, `user_id,event_timestamp\n${Array.from({ length: USERS + 1 }, (_, i) => `${i + 1},${at}`).join('\n')}\n`);
      const out = path.join(dir, `train-${t}.json`);
      await service.historical(actor, { entities: { local: entities, name: 'entities.csv' }, features: FEATURES, out: { path: out, format: 'json' } });
      return fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    }

    async function onlineNow() {
      return service.online(actor, { features: FEATURES, entities: { user_id: Array.from({ length: USERS + 1 }, (_, i) => i + 1) } });
    }

    it('plans and applies: create, unchanged, update with the changed fields, delete', async () => {
      const dry = await service.apply(actor, { definitions: repo(), dryRun: true });
      expect(dry).toEqual({ applied: false, plan: [
        { kind: 'entity', name: 'user', action: 'create', toVersion: 1, changes: [] },
        { kind: 'feature_view', name: 'user_stats', action: 'create', toVersion: 1, changes: [] },
      ] });
      expect(await service.listViews(actor)).toEqual([]);
      expect((await service.apply(actor, { definitions: repo(), dryRun: false })).applied).toBe(true);
      expect((await service.apply(actor, { definitions: repo(), dryRun: false })).plan.map((p) => p.action)).toEqual(['unchanged', 'unchanged']);
      const updated = await service.apply(actor, { definitions: repo({ tags: { team: 'growth' } }), dryRun: false });
      expect(updated.plan[1]).toEqual({ kind: 'feature_view', name: 'user_stats', action: 'update', fromVersion: 1, toVersion: 2, changes: ['tags'] });
      const grown = repo({ tags: { team: 'growth' } });
      const extra = { ...grown, feature_views: [...grown.feature_views, { ...grown.feature_views[0], name: 'user_stats_copy' }] };
      await service.apply(actor, { definitions: extra, dryRun: false });
      const kept = await service.apply(actor, { definitions: repo({ tags: { team: 'growth' } }), dryRun: false });
      expect(kept.plan.map((p) => p.name)).toEqual(['user', 'user_stats']);
      const deleted = await service.apply(actor, { definitions: repo({ tags: { team: 'growth' } }), dryRun: false, prune: true });
      expect(deleted.plan.find((p) => p.name === 'user_stats_copy')).toEqual({ kind: 'feature_view', name: 'user_stats_copy', action: 'delete', fromVersion: 1, changes: [] });
      const views = await service.listViews(actor);
      expect(views.map((v) => [v.name, v.version, v.stale])).toEqual([['user_stats', 2, true]]);
      expect((await service.getView(actor, 'user_stats')).versions.map((v) => v.version)).toEqual([2, 1]);
    });

    it('serves online exactly the point-in-time offline values at materialization time', async () => {
      const T = T0 + 30 * HOUR + 30 * 60_000;
      clock.t = T;
      const [result] = await service.materialize(actor, { start: T0, end: T, incremental: false });
      expect(result).toMatchObject({ view: 'user_stats', start: T0, end: T });
      const online = await onlineNow();
      const offline = await offlineAt(T);
      expect(online.rows.map((r) => NAMES.map((n) => r.values[n]!.value))).toEqual(offline.map((r) => NAMES.map((n) => r[n] ?? null)));
      const statuses = online.rows.flatMap((r) => Object.values(r.values).map((v) => v.status));
      // Users 181–200 stopped at hour 10: older than the 6 h TTL, withheld and warned about; user 201 has no row.
      expect(new Set(statuses)).toEqual(new Set(['PRESENT', 'NULL_VALUE', 'OUTSIDE_MAX_AGE', 'NOT_FOUND']));
      expect(online.rows[190]!.values.user_spend_sum_24h).toMatchObject({ value: null, status: 'OUTSIDE_MAX_AGE' });
      expect(online.rows[200]!.values.user_spend_sum_24h).toEqual({ value: null, status: 'NOT_FOUND' });
      expect(online.warnings[0]).toMatch(/^user_spend_sum_24h: 20 value\(s\) older than the view's TTL \(21600s\) were withheld \(OUTSIDE_MAX_AGE\)/);
    });

    it('never serves a value older than its TTL: a later read withholds what has expired since, and says so', async () => {
      const T = T0 + 30 * HOUR + 30 * 60_000;
      const offline = await offlineAt(T);
      const later = T + 5 * HOUR;
      clock.t = later;
      const online = await onlineNow();
      online.rows.forEach((r, i) => {
        for (const n of NAMES) {
          const v = r.values[n]!;
          if (v.status === 'NOT_FOUND') expect(offline[i]![n] ?? null).toBeNull();
          else if (v.eventTime! < later - 6 * HOUR) expect(v).toMatchObject({ value: null, status: 'OUTSIDE_MAX_AGE' });
          else expect(v.value).toEqual(offline[i]![n] ?? null);
        }
      });
      expect(online.rows.filter((r) => r.values.user_spend_sum_24h!.status === 'OUTSIDE_MAX_AGE').length).toBeGreaterThan(20);
      expect(online.warnings).toHaveLength(3);
      const [view] = await service.listViews(actor);
      expect(view).toMatchObject({ materializedUntil: T, stalenessSeconds: 5 * 3600, stale: false });
    });

    it('materializes incrementally from the watermark, loading only newer rows', async () => {
      writeStats(HOURS + 6);
      const end = T0 + (HOURS + 5) * HOUR;
      clock.t = end;
      const [result] = await service.materialize(actor, { incremental: true });
      expect(result!.start).toBe(T0 + 30 * HOUR + 30 * 60_000);
      // Each user 1–180 has rows after the watermark; 181–200 have none.
      expect(result!.rows).toBe(180);
      const online = await onlineNow();
      const offline = await offlineAt(end);
      expect(online.rows.map((r) => NAMES.map((n) => r.values[n]!.value))).toEqual(offline.map((r) => NAMES.map((n) => r[n] ?? null)));
      expect(lineage.some((e) => e.from.kind === 'feature_view' && e.to.kind === 'training_set')).toBe(true);
    });

    it('reports training–serving skew per feature, finding injected mismatches', async () => {
      const online = await onlineNow();
      const at = new Date(clock.t).toISOString().replace('T', ' ').replace('Z', '');
      const sample = path.join(dir, 'served.csv');
      const served = online.rows.slice(0, 180).map((r, i) => {
        const spend = r.values.user_spend_sum_24h!.value as number | null;
        // Every 10th served spend is off by 1: the skew to find.
        return `${r.entity.user_id},${at},${spend === null ? '' : i % 10 === 0 ? spend + 1 : spend},${r.values.user_orders_count_24h!.value ?? ''}`;
      });
      fs.writeFileSync(sample, `user_id,event_timestamp,user_spend_sum_24h,user_orders_count_24h\n${served.join('\n')}\n`);
      const report = await service.skew(actor, { sample: { local: sample, name: 'served.csv' }, features: FEATURES.slice(0, 2), tolerance: 1e-9 });
      const spend = report.features.find((f) => f.feature === 'user_spend_sum_24h')!;
      const orders = report.features.find((f) => f.feature === 'user_orders_count_24h')!;
      const injected = online.rows.slice(0, 180).filter((r, i) => i % 10 === 0 && r.values.user_spend_sum_24h!.value !== null).length;
      expect(spend).toMatchObject({ rows: 180, mismatches: injected, mismatchRate: injected / 180, nullMismatches: 0 });
      expect(spend.meanAbsoluteDifference).toBeGreaterThan(0);
      expect(orders).toMatchObject({ rows: 180, mismatches: 0, mismatchRate: 0 });
      expect(orders.distribution!.pValue).toBeCloseTo(1, 5);
      // The view keeps the check as its latest report, for its page.
      const view = await service.getView(actor, 'user_stats');
      expect(view.lastSkewReport).toMatchObject({ view: 'user_stats', rows: 180, checkedBy: actor.userId, checkedAt: clock.t });
      expect(view.lastSkewReport!.features.map((f) => [f.feature, f.mismatches])).toEqual([['user_spend_sum_24h', injected], ['user_orders_count_24h', 0]]);
    });

    it('reports every view\'s freshness for /metrics: staleness since the watermark, against the TTL', async () => {
      const [view] = await service.freshness();
      const mark = (await service.listViews(actor))[0]!.materializedUntil!;
      expect(view).toMatchObject({ name: 'user_stats', ttlSeconds: 6 * 3600, stalenessSeconds: (clock.t - mark) / 1000, stale: false });
      clock.t = mark + 6 * HOUR + 1000;
      expect((await service.freshness())[0]).toMatchObject({ stalenessSeconds: 6 * 3600 + 1, stale: true });
    });
  });
}

describe('definitions held in memory for the online path', () => {
  const actor = anonymousAdmin();
  const clock = { now: () => T0 + 30 * HOUR };
  const make = (handle: Awaited<ReturnType<typeof sqlite.open>>, definitionsRefreshMs: number) => new FeatureService({
    store: new SqlFeatureStore(handle), online: new SqlOnlineStore(handle), access: allowAll, clock,
    sources: sourceFiles({ dataset: () => Promise.reject(new Error('no datasets here')), s3: () => Promise.reject(new Error('no S3 here')) }),
    datasetVersion: () => Promise.reject(new Error('no datasets here')), lineage: async () => {}, projectOf: async () => 'default', definitionsRefreshMs,
  });
  const derived = (expression: string) => repo({ transformations: [{ name: 'user_spend_per_order_avg_24h', expression }] });
  const avgOf = async (s: FeatureService) => (await s.online(actor, { features: ['user_stats:user_spend_per_order_avg_24h'], entities: { user_id: [5] } })).rows[0]!.values.user_spend_per_order_avg_24h!.value;

  it('sees its own apply at once, and another replica\'s apply once it checks the store again', async () => {
    const handle = await sqlite!.open();
    // Two replicas on one database: `a` applies; `b` rechecks on every request, `c` trusts its copy for an hour.
    const a = make(handle, 3_600_000);
    const b = make(handle, 0);
    const c = make(handle, 3_600_000);
    try {
      await a.apply(actor, { definitions: derived('user_spend_sum_24h / user_orders_count_24h'), dryRun: false });
      await a.materialize(actor, { start: T0, end: T0 + 30 * HOUR, incremental: false });
      const row = (await a.online(actor, { features: ['user_stats:user_spend_sum_24h', 'user_stats:user_orders_count_24h'], entities: { user_id: [5] } })).rows[0]!.values;
      const spend = row.user_spend_sum_24h!.value as number;
      const orders = row.user_orders_count_24h!.value as number;
      expect(orders).toBeGreaterThan(0);
      for (const s of [a, b, c]) expect(await avgOf(s)).toBeCloseTo(spend / orders, 12);

      // The transformation changes: a's own apply shows at once, b sees it through the stamp, c within its hour.
      await a.apply(actor, { definitions: derived('user_spend_sum_24h * 2'), dryRun: false });
      expect(await avgOf(a)).toBe(spend * 2);
      expect(await avgOf(b)).toBe(spend * 2);
      expect(await avgOf(c)).toBeCloseTo(spend / orders, 12);
      // A deleted view is gone for the replica that deleted it.
      await a.apply(actor, { definitions: { entities: repo().entities, feature_views: [] }, dryRun: false, prune: true });
      await expect(avgOf(a)).rejects.toThrow("Feature view 'user_stats'");
      await expect(avgOf(b)).rejects.toThrow("Feature view 'user_stats'");
    } finally {
      await new SqlOnlineStore(handle).drop('user_stats');
      await Promise.all([a, b, c].map((s) => s.close()));
      await handle.close();
    }
  });
});
