/**
 * Feature store: a point-in-time training set (100,000 entity rows × 1,000,000 feature rows) through the service,
 * against the same ASOF join written by hand in DuckDB (ratio ≈ 1, same rows); materialization rows per second;
 * online reads of 100 features for one entity, p50/p99, on SQLite and on Redis (`OPENEXPERT_BENCH_REDIS`,
 * default redis://127.0.0.1:6379). In process, on a temp SQLite database. Online reads are warmed up first; each
 * read's process CPU time is reported next to its wall time, so a p99 stretched by a busy machine (the process
 * waiting for a core, not working) shows as a wall p99 far above the CPU p99. `--online-only` skips the training set
 * and the large materialization.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { anonymousAdmin } from '../src/core/actor.js';
import { allowAll } from '../src/domain/access/access.js';
import { FeatureService } from '../src/domain/features/feature.service.js';
import { sourceFiles } from '../src/domain/features/source-files.js';
import type { OnlineStore } from '../src/domain/features/types.js';
import { openDuckDb } from '../src/domain/monitoring/file-table.js';
import { migrate, openDatabase } from '../src/store/db.js';
import { RedisOnlineStore } from '../src/store/redis/features.redis-online-store.js';
import { SqlFeatureStore, SqlOnlineStore } from '../src/store/sql/features.sql-store.js';

const FEATURE_ROWS = 1_000_000;
const ENTITY_ROWS = 100_000;
const KEYS = 10_000;
const WIDE = 100;
const READS = 2_000;
const WARM_UP = 200;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

export async function runFeaturesBench(opts: { onlineOnly?: boolean } = {}): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-features-'));
  const duck = await openDuckDb();
  const c = await duck.connect();
  const features = path.join(dir, 'features.parquet');
  const entities = path.join(dir, 'entities.parquet');
  const wide = path.join(dir, 'wide.parquet');
  await c.run(`COPY (SELECT (hash(i) % ${KEYS})::BIGINT AS user_id, TIMESTAMP '2024-01-01' + to_seconds(((hash(i * 3 + 1) % 100000) * 10)::BIGINT) AS event_timestamp,
    ((i * 7919) % 1000003)::BIGINT AS created, i::DOUBLE AS user_spend_sum_7d FROM range(${FEATURE_ROWS}) t(i)) TO '${features}' (FORMAT parquet)`);
  await c.run(`COPY (SELECT (hash(j * 7 + 3) % ${KEYS})::BIGINT AS user_id, TIMESTAMP '2024-01-01' + to_seconds((hash(j * 11 + 5) % 1000000)::BIGINT) AS event_timestamp, j AS label
    FROM range(${ENTITY_ROWS}) t(j)) TO '${entities}' (FORMAT parquet)`);
  await c.run(`COPY (SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-01' AS event_timestamp, ${Array.from({ length: WIDE }, (_, k) => `(i * ${k + 1})::DOUBLE AS user_f${k}_sum_7d`).join(', ')}
    FROM range(${KEYS}) t(i)) TO '${wide}' (FORMAT parquet)`);

  // The plain query a user would write: dedupe ties by created time, ASOF join, TTL check.
  let started = performance.now();
  await c.run("SET TimeZone = 'UTC'");
  const plain = opts.onlineOnly ? undefined : (await c.runAndReadAll(`SELECT count(v) AS hits FROM (
    SELECT e.label, CASE WHEN f.event_timestamp >= e.event_timestamp - INTERVAL 5000 SECOND THEN f.user_spend_sum_7d END AS v
    FROM '${entities}' e ASOF LEFT JOIN (SELECT * FROM '${features}' QUALIFY row_number() OVER (PARTITION BY user_id, event_timestamp ORDER BY created DESC) = 1) f
    ON e.user_id = f.user_id AND e.event_timestamp >= f.event_timestamp)`)).getRowObjectsJson()[0]!.hits;
  const plainMs = performance.now() - started;
  c.closeSync();
  duck.closeSync();

  const out: Record<string, unknown> = { featureRows: FEATURE_ROWS, entityRows: ENTITY_ROWS, loadAverageAtStart: os.loadavg().map((l) => round(l, 2)) };
  const stores: [string, (h: Awaited<ReturnType<typeof openDatabase>>) => OnlineStore][] = [
    ['sqlite', (h) => new SqlOnlineStore(h)],
    ['redis', () => new RedisOnlineStore(process.env.OPENEXPERT_BENCH_REDIS ?? 'redis://127.0.0.1:6379', `openexpert:bench:${process.pid}:`)],
  ];
  for (const [name, makeOnline] of stores) {
    const handle = await openDatabase(`sqlite:${path.join(dir, `${name}.db`)}`);
    await migrate(handle);
    const online = makeOnline(handle);
    const service = new FeatureService({
      store: new SqlFeatureStore(handle), online, access: allowAll, clock: { now: () => Date.parse('2024-01-02T00:00:00Z') },
      sources: sourceFiles({ dataset: () => Promise.reject(new Error('none')), s3: () => Promise.reject(new Error('none')) }),
      datasetVersion: () => Promise.reject(new Error('none')), lineage: async () => {}, projectOf: async () => 'default',
    });
    const actor = anonymousAdmin();
    await service.apply(actor, { dryRun: false, definitions: {
      entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
      feature_views: [
        { name: 'user_stats', entity: 'user', source: { path: features, created_timestamp_field: 'created' }, ttl: 5000, schema: [{ name: 'user_spend_sum_7d', dtype: 'float64' }] },
        { name: 'user_wide', entity: 'user', source: { path: wide }, ttl: 0, schema: Array.from({ length: WIDE }, (_, k) => ({ name: `user_f${k}_sum_7d`, dtype: 'float64' })) },
      ],
    } });
    if (name === 'sqlite' && !opts.onlineOnly) {
      started = performance.now();
      const result = await service.historical(actor, { entities: { local: entities, name: 'entities.parquet' }, features: ['user_stats:user_spend_sum_7d'], out: { path: path.join(dir, 'train.parquet'), format: 'parquet' } });
      const serviceMs = performance.now() - started;
      const check = await openDuckDb();
      const cc = await check.connect();
      const hits = (await cc.runAndReadAll(`SELECT count(user_spend_sum_7d) AS hits FROM '${path.join(dir, 'train.parquet')}'`)).getRowObjectsJson()[0]!.hits;
      cc.closeSync();
      check.closeSync();
      out.pointInTime = {
        rows: result.rows, serviceMs: round(serviceMs, 0), plainDuckDbMs: round(plainMs, 0), ratio: round(serviceMs / plainMs, 2),
        entityRowsPerSecond: Math.round(result.rows / (serviceMs / 1000)), sameNonNullCount: String(hits) === String(plain),
      };
    }
    started = performance.now();
    const [materialized] = opts.onlineOnly ? [] : await service.materialize(actor, { views: ['user_stats'], start: 0, incremental: false });
    const materializeMs = performance.now() - started;
    await service.materialize(actor, { views: ['user_wide'], start: 0, incremental: false });
    const refs = Array.from({ length: WIDE }, (_, k) => `user_wide:user_f${k}_sum_7d`);
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < WARM_UP + READS; i++) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      await service.online(actor, { features: refs, entities: { user_id: [(i * 7919) % KEYS] } });
      const wall = performance.now() - t;
      const used = process.cpuUsage(c0);
      if (i < WARM_UP) continue;
      times.push(wall);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    out[name] = {
      ...(materialized ? { materialize: { sourceRows: FEATURE_ROWS, entities: materialized.rows, ms: round(materializeMs, 0), sourceRowsPerSecond: Math.round(FEATURE_ROWS / (materializeMs / 1000)) } } : {}),
      online100Features: { reads: READS, warmUp: WARM_UP, p50Ms: round(pct(times, 50)), p99Ms: round(pct(times, 99)), cpuP50Ms: round(pct(cpu, 50)), cpuP99Ms: round(pct(cpu, 99)) },
    };
    await online.drop('user_stats');
    await online.drop('user_wide');
    await service.close();
    await handle.close();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  out.loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) console.log(JSON.stringify(await runFeaturesBench({ onlineOnly: process.argv.includes('--online-only') }), null, 2));
