import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../monitoring/file-table.js';
import { latestPerEntity, pointInTimeJoin, type ViewInput } from './offline.js';
import type { EntityDef, FeatureViewDef } from './types.js';

/**
 * The point-in-time join against values worked out by hand, and against a brute-force scan on generated data
 * (100,000 entity rows × 1,000,000 feature rows, ties at equal event times, expired and future rows).
 */
const user: EntityDef = { name: 'user', joinKeys: [{ name: 'user_id', type: 'int64' }] };
const view = (file: string, ttlSeconds: number, extra: Partial<FeatureViewDef> = {}): FeatureViewDef => ({
  name: 'user_stats', entity: 'user', source: { kind: 'path', path: file, timestampField: 'event_timestamp', createdField: 'created' },
  schema: [{ name: 'user_spend_sum_7d', type: 'float64' }, { name: 'user_orders_count_7d', type: 'int64' }], derived: [{ name: 'user_spend_avg_7d', expression: 'user_spend_sum_7d / user_orders_count_7d' }],
  ttlSeconds, tags: {}, ...extra,
});

let dir: string;
let duck: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-pit-'));
  duck = await openDuckDb();
  connection = await duck.connect();
  await connection.run("SET TimeZone = 'UTC'");
});

afterAll(() => {
  connection.closeSync();
  duck.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('point-in-time join, by hand', () => {
  it('takes the newest row at or before each entity time within the TTL, the later created row on a tie, and nothing from the future', async () => {
    const features = path.join(dir, 'stats.csv');
    fs.writeFileSync(features, [
      'user_id,event_timestamp,created,user_spend_sum_7d,user_orders_count_7d',
      '1,2024-01-01 00:00:00,2024-01-01 00:00:05,10,1',
      '1,2024-01-02 00:00:00,2024-01-02 00:00:05,20,2',
      // The same event time written twice: the later created row is the value.
      '1,2024-01-02 00:00:00,2024-01-02 01:00:00,25,5',
      '1,2024-01-05 00:00:00,2024-01-05 00:00:05,50,0',
      '2,2024-01-01 00:00:00,2024-01-01 00:00:05,7,7',
      // A row written after every entity time of user 3: never used.
      '3,2024-02-01 00:00:00,2024-02-01 00:00:05,99,9',
      '',
    ].join('\n'));
    const entities = path.join(dir, 'entities.csv');
    fs.writeFileSync(entities, [
      'user_id,event_timestamp,label',
      '1,2023-12-31 23:59:59,a', // before any row
      '1,2024-01-01 00:00:00,b', // exactly at a row's time: included
      '1,2024-01-02 12:00:00,c', // the tie
      '1,2024-01-04 00:00:00,d', // 2 days after the last row: within the 2-day TTL, at its edge
      '1,2024-01-04 00:00:01,e', // one second past the TTL: expired
      '1,2024-01-05 00:00:00,f', // orders 0: the derived average divides by zero
      '2,2024-01-02 00:00:00,g',
      '3,2024-01-15 00:00:00,h', // only a future row
      '4,2024-01-15 00:00:00,i', // no history at all
      '',
    ].join('\n'));
    const out = path.join(dir, 'train.json');
    const input: ViewInput = { view: view(features, 2 * 86_400), entity: user, files: [{ local: features, name: 'stats.csv' }] };
    const result = await pointInTimeJoin(connection, { local: entities, name: 'entities.csv' }, [{ input, features: ['user_spend_sum_7d', 'user_orders_count_7d', 'user_spend_avg_7d'] }], { path: out, format: 'json' });
    expect(result.rows).toBe(9);
    const got = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(got.map((r) => [r.label, r.user_spend_sum_7d, r.user_orders_count_7d, r.user_spend_avg_7d])).toEqual([
      ['a', null, null, null],
      ['b', 10, 1, 10],
      ['c', 25, 5, 5],
      ['d', 25, 5, 5],
      ['e', null, null, null],
      ['f', 50, 0, null],
      ['g', 7, 7, 1],
      ['h', null, null, null],
      ['i', null, null, null],
    ]);
  });

  it('materializes the newest row per entity within the window', async () => {
    const features = path.join(dir, 'stats.csv');
    const input: ViewInput = { view: view(features, 0), entity: user, files: [{ local: features, name: 'stats.csv' }] };
    const at = (s: string) => Date.parse(`${s}Z`);
    const latest = await latestPerEntity(connection, input, { start: at('2024-01-01T00:00:00'), end: at('2024-01-03T00:00:00') });
    expect(latest.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: '["1"]', eventTime: at('2024-01-02T00:00:00'), values: { user_spend_sum_7d: 25, user_orders_count_7d: 5 } },
      { key: '["2"]', eventTime: at('2024-01-01T00:00:00'), values: { user_spend_sum_7d: 7, user_orders_count_7d: 7 } },
    ]);
  });
});

describe('point-in-time join, against a brute-force scan', () => {
  const FEATURE_ROWS = 1_000_000;
  const ENTITY_ROWS = 100_000;
  const KEYS = 10_000;
  const TTL = 5_000;

  it(`matches on ${ENTITY_ROWS.toLocaleString('en')} entity rows × ${FEATURE_ROWS.toLocaleString('en')} feature rows`, async () => {
    const features = path.join(dir, 'gen-features.parquet');
    const entities = path.join(dir, 'gen-entities.parquet');
    // Event times on a 10 s grid give many ties per key; created is a permutation of the row number, so each tie has one winner.
    await connection.run(`COPY (SELECT (hash(i) % ${KEYS})::BIGINT AS user_id,
        TIMESTAMP '2024-01-01' + to_seconds(((hash(i * 3 + 1) % 100000) * 10)::BIGINT) AS event_timestamp,
        ((i * 7919) % 1000003)::BIGINT AS created,
        CASE WHEN i % 97 = 0 THEN NULL ELSE i::DOUBLE END AS user_spend_sum_7d, (i % 13)::BIGINT AS user_orders_count_7d
      FROM range(${FEATURE_ROWS}) t(i)) TO '${features}' (FORMAT parquet)`);
    // Some keys have no history; some times fall exactly on a feature row's time or on the TTL's edge.
    await connection.run(`COPY (SELECT (hash(j * 7 + 3) % ${KEYS + 500})::BIGINT AS user_id,
        TIMESTAMP '2024-01-01' + to_seconds(CASE WHEN j % 5 = 0 THEN (hash(j) % 100000) * 10 ELSE hash(j * 11 + 5) % 1000000 END::BIGINT) AS event_timestamp, j AS label
      FROM range(${ENTITY_ROWS}) t(j)) TO '${entities}' (FORMAT parquet)`);
    const out = path.join(dir, 'gen-train.parquet');
    const input: ViewInput = { view: view(features, TTL), entity: user, files: [{ local: features, name: 'gen-features.parquet' }] };
    const started = performance.now();
    await pointInTimeJoin(connection, { local: entities, name: 'gen-entities.parquet' }, [{ input, features: ['user_spend_sum_7d'] }], { path: out, format: 'parquet' });
    const joinMs = performance.now() - started;

    const f = (await connection.runAndReadAll(`SELECT user_id::INTEGER AS k, epoch(event_timestamp)::DOUBLE AS t, created::DOUBLE AS c, user_spend_sum_7d AS v FROM '${features}'`)).getColumns();
    const byKey = new Map<number, number[]>();
    const [fk, ft, fc, fv] = f as [number[], number[], number[], (number | null)[]];
    for (let i = 0; i < fk.length; i++) {
      const list = byKey.get(fk[i]!);
      if (list) list.push(i);
      else byKey.set(fk[i]!, [i]);
    }
    const e = (await connection.runAndReadAll(`SELECT user_id::INTEGER AS k, epoch(event_timestamp)::DOUBLE AS t FROM '${entities}'`)).getColumns() as [number[], number[]];
    const expected: (number | null)[] = [];
    let future = 0;
    let expired = 0;
    for (let j = 0; j < e[0].length; j++) {
      const t = e[1][j]!;
      let best = -1;
      for (const i of byKey.get(e[0][j]!) ?? []) {
        if (ft[i]! > t) {
          future++;
          continue;
        }
        if (ft[i]! < t - TTL) {
          expired++;
          continue;
        }
        if (best < 0 || ft[i]! > ft[best]! || (ft[i] === ft[best] && fc[i]! > fc[best]!)) best = i;
      }
      expected.push(best < 0 ? null : fv[best]!);
    }
    const got = (await connection.runAndReadAll(`SELECT label::INTEGER AS label, user_spend_sum_7d FROM '${out}'`)).getColumns() as [number[], (number | null)[]];
    expect(got[0]).toEqual(Array.from({ length: ENTITY_ROWS }, (_, j) => j));
    const differing = expected.map((v, j) => (v === got[1][j] ? -1 : j)).filter((j) => j >= 0);
    expect(differing.slice(0, 5).map((j) => ({ row: j, expected: expected[j], got: got[1][j] }))).toEqual([]);
    // The data exercised what it is meant to: hits, misses, future and expired rows.
    expect(expected.filter((v) => v !== null).length).toBeGreaterThan(ENTITY_ROWS / 4);
    expect(expected.filter((v) => v === null).length).toBeGreaterThan(ENTITY_ROWS / 10);
    expect(future).toBeGreaterThan(1_000_000);
    expect(expired).toBeGreaterThan(1_000_000);
    console.log(`point-in-time join: ${ENTITY_ROWS} × ${FEATURE_ROWS} rows in ${joinMs.toFixed(0)} ms`);
  }, 60_000);
});
