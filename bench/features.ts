/**
 * Feature store: a point-in-time training set of `entityRows` entity rows (10,000,000 by default; `--entity-rows=N`)
 * × 10 feature views of 1,000,000 rows each, through the service, against the same ten ASOF joins written by hand in
 * plain DuckDB (ratio ≈ 1). Both write Parquet; the bench then checks inside itself that the two files hold the same
 * rows (row count, and a checksum over every row's hash) and fails when they do not. Materialization rows per
 * second; online reads of 100 features for one entity, p50/p99, on SQLite and on Redis (`OPENEXPERT_BENCH_REDIS`,
 * default redis://127.0.0.1:6379). In process, on a temp SQLite database. Online reads are warmed up first; each
 * read's process CPU time is reported next to its wall time, so a p99 stretched by a busy machine (the process
 * waiting for a core, not working) shows as a wall p99 far above the CPU p99. `--online-only` skips the training set
 * and the large materialization.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { anonymousAdmin } from '../src/core/actor.js';
import { allowAll } from '../src/domain/access/access.js';
import { FeatureService } from '../src/domain/features/feature.service.js';
import { sourceFiles } from '../src/domain/features/source-files.js';
import type { OnlineStore } from '../src/domain/features/types.js';
import { openDuckDb } from '../src/domain/monitoring/file-table.js';
import { migrate, openDatabase } from '../src/store/db.js';
import { RedisOnlineStore } from '../src/store/redis/features.redis-online-store.js';
import { SqlFeatureStore, SqlOnlineStore } from '../src/store/sql/features.sql-store.js';

const VIEWS = 10;
const FEATURE_ROWS_PER_VIEW = 1_000_000;
const DEFAULT_ENTITY_ROWS = 10_000_000;
const KEYS = 100_000;
/** Feature rows spread over 30 days; a value stays valid for one day. */
const SPREAD_S = 30 * 86_400;
const TTL_S = 86_400;
const WIDE = 100;
const WIDE_KEYS = 10_000;
const READS = 2_000;
const WARM_UP = 200;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const feature = (v: number) => `user_v${v}_sum_1d`;

/** Row count and the sum of every row's hash: equal for two files holding the same rows, in any order. */
async function fingerprint(c: DuckDBConnection, file: string): Promise<{ rows: string; checksum: string }> {
  const columns = ['user_id', 'event_timestamp', 'label', ...Array.from({ length: VIEWS }, (_, v) => feature(v))].join(', ');
  const [r] = (await c.runAndReadAll(`SELECT count(*)::VARCHAR AS n, sum(hash(${columns})::HUGEINT)::VARCHAR AS s FROM '${file}'`)).getRowObjectsJson();
  return { rows: String(r!.n), checksum: String(r!.s) };
}

export interface FeaturesBenchOptions {
  readonly onlineOnly?: boolean;
  readonly entityRows?: number;
}

export const featuresBenchOptionsFromArgs = (args: readonly string[]): FeaturesBenchOptions => {
  const rows = args.find((a) => a.startsWith('--entity-rows='));
  return { onlineOnly: args.includes('--online-only'), ...(rows ? { entityRows: Number(rows.slice('--entity-rows='.length).replace(/_/g, '')) } : {}) };
};

export async function runFeaturesBench(opts: FeaturesBenchOptions = {}): Promise<Record<string, unknown>> {
  const entityRows = opts.entityRows ?? DEFAULT_ENTITY_ROWS;
  if (!Number.isInteger(entityRows) || entityRows < 1) throw new Error(`--entity-rows must be a positive integer, got ${entityRows}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-features-'));
  const duck = await openDuckDb(dir);
  const c = await duck.connect();
  await c.run("SET TimeZone = 'UTC'");
  const viewFiles = Array.from({ length: VIEWS }, (_, v) => path.join(dir, `view${v}.parquet`));
  const entities = path.join(dir, 'entities.parquet');
  const wide = path.join(dir, 'wide.parquet');
  if (!opts.onlineOnly) {
    for (const [v, file] of viewFiles.entries()) {
      // Seeded by the view number: ties at equal event times (broken by `created`), late rows, keys without history.
      await c.run(`COPY (SELECT (hash(i * 13 + ${v}) % ${KEYS})::BIGINT AS user_id,
        TIMESTAMP '2024-01-01' + to_seconds((hash(i * 3 + ${v * 101 + 1}) % ${SPREAD_S / 10})::BIGINT * 10) AS event_timestamp,
        (hash(i * 7919 + ${v}) % 1000003)::BIGINT AS created, (i * ${v + 1})::DOUBLE AS ${feature(v)}
        FROM range(${FEATURE_ROWS_PER_VIEW}) t(i)) TO '${file}' (FORMAT parquet)`);
    }
    await c.run(`COPY (SELECT (hash(j * 7 + 3) % ${Math.round(KEYS * 1.05)})::BIGINT AS user_id,
      TIMESTAMP '2024-01-01' + to_seconds((hash(j * 11 + 5) % ${SPREAD_S})::BIGINT) AS event_timestamp, j AS label
      FROM range(${entityRows}) t(j)) TO '${entities}' (FORMAT parquet)`);
  }
  await c.run(`COPY (SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-01' AS event_timestamp, ${Array.from({ length: WIDE }, (_, k) => `(i * ${k + 1})::DOUBLE AS user_f${k}_sum_7d`).join(', ')}
    FROM range(${WIDE_KEYS}) t(i)) TO '${wide}' (FORMAT parquet)`);

  // The plain query a user would write: per view, dedupe ties by created time, ASOF join, TTL check; written to Parquet as the service writes it.
  const plainFile = path.join(dir, 'plain.parquet');
  let plainMs = 0;
  let plainCpuMs = 0;
  if (!opts.onlineOnly) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const joins = viewFiles.map((file, v) => `ASOF LEFT JOIN (SELECT * FROM '${file}' QUALIFY row_number() OVER (PARTITION BY user_id, event_timestamp ORDER BY created DESC) = 1) f${v}
      ON e.user_id = f${v}.user_id AND e.event_timestamp >= f${v}.event_timestamp`).join('\n');
    const values = viewFiles.map((_, v) => `CASE WHEN f${v}.event_timestamp >= e.event_timestamp - INTERVAL ${TTL_S} SECOND THEN f${v}.${feature(v)} END AS ${feature(v)}`).join(', ');
    await c.run(`COPY (SELECT e.user_id, e.event_timestamp, e.label, ${values} FROM '${entities}' e ${joins}) TO '${plainFile}' (FORMAT parquet)`);
    plainMs = performance.now() - t0;
    const used = process.cpuUsage(cpu0);
    plainCpuMs = (used.user + used.system) / 1000;
  }

  const out: Record<string, unknown> = { entityRows, views: VIEWS, featureRowsPerView: FEATURE_ROWS_PER_VIEW, cpus: os.cpus().length, loadAverageAtStart: os.loadavg().map((l) => round(l, 2)) };
  const stores: [string, (h: Awaited<ReturnType<typeof openDatabase>>) => OnlineStore][] = [
    ['sqlite', (h) => new SqlOnlineStore(h)],
    ['redis', () => new RedisOnlineStore(process.env.OPENEXPERT_BENCH_REDIS ?? 'redis://127.0.0.1:6379', `openexpert:bench:${process.pid}:`)],
  ];
  for (const [name, makeOnline] of stores) {
    const handle = await openDatabase(`sqlite:${path.join(dir, `${name}.db`)}`);
    await migrate(handle);
    const online = makeOnline(handle);
    const service = new FeatureService({
      store: new SqlFeatureStore(handle), online, access: allowAll, clock: { now: () => Date.parse('2024-02-01T00:00:00Z') },
      sources: sourceFiles({ dataset: () => Promise.reject(new Error('none')), s3: () => Promise.reject(new Error('none')) }),
      datasetVersion: () => Promise.reject(new Error('none')), lineage: async () => {}, projectOf: async () => 'default',
    });
    const actor = anonymousAdmin();
    await service.apply(actor, { dryRun: false, definitions: {
      entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
      feature_views: [
        ...viewFiles.map((file, v) => ({ name: `user_view${v}`, entity: 'user', source: { path: file, created_timestamp_field: 'created' }, ttl: TTL_S, schema: [{ name: feature(v), dtype: 'float64' }] })),
        { name: 'user_wide', entity: 'user', source: { path: wide }, ttl: 0, schema: Array.from({ length: WIDE }, (_, k) => ({ name: `user_f${k}_sum_7d`, dtype: 'float64' })) },
      ],
    } });
    if (name === 'sqlite' && !opts.onlineOnly) {
      const trainFile = path.join(dir, 'train.parquet');
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await service.historical(actor, {
        entities: { local: entities, name: 'entities.parquet' }, features: viewFiles.map((_, v) => `user_view${v}:${feature(v)}`), out: { path: trainFile, format: 'parquet' },
      });
      const serviceMs = performance.now() - t0;
      const used = process.cpuUsage(cpu0);
      const [ours, theirs] = [await fingerprint(c, trainFile), await fingerprint(c, plainFile)];
      if (ours.rows !== theirs.rows || ours.checksum !== theirs.checksum || Number(ours.rows) !== entityRows || result.rows !== entityRows) {
        throw new Error(`training set differs from the plain DuckDB query: service ${JSON.stringify(ours)} (${result.rows} reported), plain ${JSON.stringify(theirs)}, ${entityRows} entity rows`);
      }
      const [nonNull] = (await c.runAndReadAll(`SELECT ${viewFiles.map((_, v) => `count(${feature(v)})`).join(' + ')} AS n FROM '${trainFile}'`)).getRowObjectsJson();
      out.pointInTime = {
        entityRows: result.rows, views: VIEWS, sameRows: true, rowCount: ours.rows, checksum: ours.checksum, nonNullValues: Number(nonNull!.n),
        serviceMs: round(serviceMs, 0), serviceCpuMs: round((used.user + used.system) / 1000, 0), plainDuckDbMs: round(plainMs, 0), plainDuckDbCpuMs: round(plainCpuMs, 0),
        ratio: round(serviceMs / plainMs, 2), entityRowsPerSecond: Math.round(result.rows / (serviceMs / 1000)),
      };
    }
    const materializeCpu0 = process.cpuUsage();
    const t1 = performance.now();
    const materialized = opts.onlineOnly ? [] : await service.materialize(actor, { views: viewFiles.map((_, v) => `user_view${v}`), start: 0, incremental: false });
    const materializeMs = performance.now() - t1;
    const materializeCpu = process.cpuUsage(materializeCpu0);
    await service.materialize(actor, { views: ['user_wide'], start: 0, incremental: false });
    const refs = Array.from({ length: WIDE }, (_, k) => `user_wide:user_f${k}_sum_7d`);
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < WARM_UP + READS; i++) {
      const c0 = process.cpuUsage();
      const t = performance.now();
      await service.online(actor, { features: refs, entities: { user_id: [(i * 7919) % WIDE_KEYS] } });
      const wall = performance.now() - t;
      const used = process.cpuUsage(c0);
      if (i < WARM_UP) continue;
      times.push(wall);
      cpu.push((used.user + used.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    out[name] = {
      ...(materialized.length ? { materialize: {
        views: materialized.length, sourceRows: VIEWS * FEATURE_ROWS_PER_VIEW, onlineRowsWritten: materialized.reduce((n, m) => n + m.rows, 0), ms: round(materializeMs, 0),
        cpuMs: round((materializeCpu.user + materializeCpu.system) / 1000, 0),
        sourceRowsPerSecond: Math.round((VIEWS * FEATURE_ROWS_PER_VIEW) / (materializeMs / 1000)),
        onlineRowsPerSecond: Math.round(materialized.reduce((n, m) => n + m.rows, 0) / (materializeMs / 1000)),
      } } : {}),
      online100Features: { reads: READS, warmUp: WARM_UP, p50Ms: round(pct(times, 50)), p99Ms: round(pct(times, 99)), cpuP50Ms: round(pct(cpu, 50)), cpuP99Ms: round(pct(cpu, 99)) },
    };
    for (const [v] of viewFiles.entries()) await online.drop(`user_view${v}`);
    await online.drop('user_wide');
    await service.close();
    await handle.close();
  }
  c.closeSync();
  duck.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
  out.loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) console.log(JSON.stringify(await runFeaturesBench(featuresBenchOptionsFromArgs(process.argv.slice(2))), null, 2));
