import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../monitoring/file-table.js';
import { followsNaming, parseTtl, validateRepo } from './definitions.js';
import { evaluate, parseExpression, toSql } from './expression.js';

const entity = { name: 'user', join_keys: { user_id: 'int64' } };
const view = (extra: Record<string, unknown> = {}) => ({
  name: 'user_stats', entity: 'user', source: { path: '/data/user_stats.parquet', created_timestamp_field: 'created' }, ttl: '7d',
  schema: [{ name: 'user_purchase_count_7d', dtype: 'int64' }, { name: 'user_spend_sum_7d', dtype: 'float64' }], ...extra,
});
const problems = (repo: unknown): string => {
  try {
    validateRepo(repo);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the definitions to be refused');
};

describe('feature definitions', () => {
  it('reads entities and views, with TTLs in seconds and Feast defaults', () => {
    const repo = validateRepo({ entities: [entity], feature_views: [view({ owner: 'ana', tags: { team: 'growth' }, transformations: [{ name: 'user_spend_avg_7d', expression: 'user_spend_sum_7d / user_purchase_count_7d' }] })] });
    expect(repo.entities).toEqual([{ name: 'user', joinKeys: [{ name: 'user_id', type: 'int64' }] }]);
    expect(repo.featureViews[0]).toMatchObject({
      name: 'user_stats', entity: 'user', ttlSeconds: 604_800, owner: 'ana', tags: { team: 'growth' },
      source: { kind: 'path', path: '/data/user_stats.parquet', timestampField: 'event_timestamp', createdField: 'created' },
      derived: [{ name: 'user_spend_avg_7d', expression: 'user_spend_sum_7d / user_purchase_count_7d' }],
    });
  });

  it('enforces <entity>_<feature>_<aggregation>_<window>, naming the feature and the pattern', () => {
    expect(followsNaming('user_purchase_count_7d', 'user')).toBe(true);
    expect(followsNaming('user_spend_sum_lifetime', 'user')).toBe(true);
    expect(followsNaming('user_age', 'user')).toBe(false);
    expect(followsNaming('purchase_count_7d', 'user')).toBe(false);
    expect(followsNaming('user_count_7d', 'user')).toBe(false);
    const message = problems({ entities: [entity], feature_views: [view({ schema: [{ name: 'user_age', dtype: 'int64' }] })] });
    expect(message).toContain("feature 'user_age' does not follow <entity>_<feature>_<aggregation>_<window>");
    expect(message).toContain("feature view 'user_stats'");
  });

  it('refuses a view without exactly one source, an unknown entity and a bad TTL, all at once', () => {
    const message = problems({
      entities: [entity],
      feature_views: [
        view({ name: 'two', source: { path: '/a.parquet', dataset: 'events@1' } }),
        view({ name: 'none', source: {} }),
        view({ name: 'listed', source: undefined, sources: [{ path: '/a.parquet' }, { path: '/b.parquet' }] }),
        view({ name: 'who', entity: 'driver', schema: [{ name: 'driver_trips_count_1d', dtype: 'int64' }] }),
        view({ name: 'ttl', ttl: '7 days' }),
      ],
    });
    expect(message.split('\n').slice(1)).toEqual([
      "- feature view 'two' must have exactly one source (dataset, path or uri); it has dataset and path",
      "- feature view 'none' must have exactly one source (dataset, path or uri); it has none",
      "- feature view 'listed' must have exactly one source; write 'source:', not a list of sources",
      "- feature view 'who': unknown entity 'driver' (defined: user)",
      "- feature view 'ttl': ttl '7 days' is not a duration; write 30m, 24h, 7d, 2w, a number of seconds, or 0 for never expires",
    ]);
  });

  it('checks sources and transformations', () => {
    const message = problems({
      entities: [entity],
      feature_views: [
        view({ name: 'a', source: { dataset: 'events' } }),
        view({ name: 'b', source: { uri: 's3://bucket/x.json' } }),
        view({ name: 'c', source: { path: 'relative/x.parquet' } }),
        view({ name: 'd', transformations: [{ name: 'user_ratio_avg_7d', expression: 'user_missing_sum_7d * 2' }] }),
        view({ name: 'e', transformations: [{ name: 'user_ratio_avg_7d', expression: 'exp(user_spend_sum_7d)' }] }),
      ],
    });
    expect(message).toContain("source dataset 'events' must name a version, as name@version");
    expect(message).toContain("source uri 's3://bucket/x.json' must be s3://bucket/key ending in .parquet or .csv");
    expect(message).toContain("source path 'relative/x.parquet' must be absolute");
    expect(message).toContain("transformation 'user_ratio_avg_7d' reads 'user_missing_sum_7d', which is not a numeric feature of this view");
    expect(message).toContain("unknown function 'exp'");
  });

  it('parses TTLs', () => {
    expect([parseTtl('30m'), parseTtl('24h'), parseTtl('2w'), parseTtl(90), parseTtl('0'), parseTtl('1.5h'), parseTtl(-1)]).toEqual([1800, 86_400, 1_209_600, 90, 0, undefined, undefined]);
  });
});

describe('on-demand expressions', () => {
  let duck: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    duck = await openDuckDb();
    connection = await duck.connect();
  });
  afterAll(() => {
    connection.closeSync();
    duck.closeSync();
  });

  it('gives the same value in DuckDB and in JavaScript, nulls, division by zero and overflow included', async () => {
    const names = ['a', 'b', 'c'];
    const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(...names),
        fc.integer({ min: 0, max: 9 }).map(String),
        fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/'), tie('e')).map(([l, op, r]) => `(${l} ${op} ${r})`),
        tie('e').map((x) => `-${x}`),
        fc.tuple(fc.constantFrom('coalesce', 'least', 'greatest'), tie('e'), tie('e')).map(([f, x, y]) => `${f}(${x}, ${y})`),
        tie('e').map((x) => `abs(${x})`),
      ),
    })).e;
    // Whole-range doubles (subnormals, 1e308) reach overflow and infinity minus infinity; a fixed seed keeps CI repeatable.
    const value = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.double({ noNaN: true, noDefaultInfinity: true }));
    const worked: [string, [number | null, number | null, number | null]][] = [
      ['(coalesce(c, a) / abs(a))', [2e-323, -3.5e-323, -2]], // -2 / 2e-323 overflows to -Infinity
      ['abs(abs(-(8 / c)))', [1e-76, 0, 8e-323]],
      ['((a * b) - (a * b))', [1e308, 10, null]], // Infinity - Infinity is NaN
      ['least(((a * b) - (a * b)), c)', [1e308, 10, 1]], // DuckDB orders NaN above every number: LEAST gives 1
      ['greatest(((a * b) - (a * b)), c)', [1e308, 10, 1]],
    ];
    const cases = [...worked, ...fc.sample(fc.tuple(expr, fc.tuple(value, value, value)), { numRuns: 400, seed: 20261207 })];
    const sql = cases.map(([e, [a, b, c]], i) => {
      const lit = (v: number | null) => (v === null ? 'NULL::DOUBLE' : `${v}::DOUBLE`);
      return `SELECT ${i} AS i, ${toSql(parseExpression(e), (n) => ({ a: lit(a), b: lit(b), c: lit(c) })[n]!)} AS v`;
    }).join(' UNION ALL ');
    const fromDuck = new Map((await connection.runAndReadAll(sql)).getRowObjectsJson().map((r) => [Number(r.i), r.v as number | null]));
    const differing = cases.map(([e, [a, b, c]], i) => ({ e, a, b, c, js: evaluate(parseExpression(e), { a, b, c }), duck: fromDuck.get(i) ?? null }))
      .filter((r) => !(r.js === r.duck || (r.js !== null && r.duck !== null && Math.abs(r.js - r.duck) <= 1e-9 * Math.max(1, Math.abs(r.js)))));
    expect(differing.slice(0, 3)).toEqual([]);
  });

  it('refuses what is not in the language', () => {
    expect(() => parseExpression('a; drop table x')).toThrow(/unexpected ';'/);
    expect(() => parseExpression('(a + b')).toThrow(/expected '\)'/);
    expect(() => parseExpression('abs(a, b)')).toThrow(/abs takes 1 argument/);
  });
});
