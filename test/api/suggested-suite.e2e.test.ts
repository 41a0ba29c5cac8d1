import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * Suites suggested from a version's profile (issue 24): they pass on the version they come from and on a
 * clean new sample of the same process, and they catch the defects people actually ship — each injected
 * into its own later version here.
 */
const V1 = '/api/v1';
const ROWS = 2_000;
const SEGMENTS = ['basic', 'plus', 'pro'];
const DAY_MS = 86_400_000;

interface Row { customer_id: number; age: number | string | null; income: number | null; segment: string; email: string; signup_at: number }

/** A small deterministic generator (mulberry32), so every run sees the same data. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(seed: number, now: number, firstId = 1): Row[] {
  const r = random(seed);
  return Array.from({ length: ROWS }, (_, i) => ({
    customer_id: firstId + i,
    age: 18 + Math.floor(r() * 73),
    // About 5 % missing; otherwise a positive amount with cents.
    income: r() < 0.05 ? null : Math.round((20_000 + r() * 80_000 + r() * 80_000) * 100) / 100,
    segment: SEGMENTS[Math.floor(r() * SEGMENTS.length)]!,
    email: `c${firstId + i}@example.com`,
    signup_at: now - Math.floor(r() * 30 * DAY_MS),
  }));
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
function csv(rows: readonly Row[], drop: readonly string[] = []): string {
  const columns = (['customer_id', 'age', 'income', 'segment', 'email', 'signup_at'] as const).filter((c) => !drop.includes(c));
  const cell = (row: Row, c: (typeof columns)[number]) => (c === 'signup_at' ? stamp(row.signup_at) : row[c] === null ? '' : String(row[c]));
  return `${columns.join(',')}\n${rows.map((row) => columns.map((c) => cell(row, c)).join(',')).join('\n')}\n`;
}

type Expectation = { expectation_type: string; kwargs: Record<string, unknown>; meta: { notes: string } };
type Suite = { name: string; expectations: Expectation[] };
type Result = { success: boolean; expectation_config: { expectation_type: string; kwargs: Record<string, unknown> } };

describe('suggested validation suites', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const now = Date.now();
  const clean = sample(1, now);
  let version = 0;

  const add = async (text: string) => {
    const r = await api.post(`${V1}/datasets`, { name: 'customers', files: [{ path: 'customers.csv', content: Buffer.from(text).toString('base64') }] });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    version = r.body.version.version;
    return version;
  };
  const suggest = async (v: number, strictness?: string) => {
    const r = await api.get(`${V1}/datasets/customers/versions/${v}/suggested-suite`, strictness ? { strictness } : {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as Suite;
  };
  const validate = async (v: number, suite: Suite) => {
    const r = await api.post(`${V1}/datasets/customers/versions/${v}/validations`, { suite });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.result as { success: boolean; results: Result[] };
  };
  const failed = (result: { results: Result[] }) =>
    result.results.filter((x) => !x.success).map((x) => `${x.expectation_config.expectation_type}(${String(x.expectation_config.kwargs.column ?? '')})`);
  const find = (suite: Suite, type: string, column?: string) =>
    suite.expectations.filter((e) => e.expectation_type === type && (column === undefined || e.kwargs.column === column));

  let suite: Suite;
  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    await add(csv(clean));
    suite = await suggest(1);
  }, 60_000);
  afterAll(() => server?.close());

  it('draws types, null shares, ranges, categories, keys and freshness from the data, each with a note', () => {
    expect(suite.name).toBe('customers-suggested');
    expect(find(suite, 'expect_table_columns_to_match_set')[0]!.kwargs).toEqual({ column_set: ['customer_id', 'age', 'income', 'segment', 'email', 'signup_at'], exact_match: true });
    const rows = find(suite, 'expect_table_row_count_to_be_between')[0]!.kwargs;
    expect([rows.min_value, rows.max_value]).toEqual([ROWS / 2, ROWS * 2]);
    expect(find(suite, 'expect_column_values_to_be_of_type').map((e) => [e.kwargs.column, e.kwargs.type_])).toEqual([
      ['customer_id', 'BIGINT'], ['age', 'BIGINT'], ['income', 'DOUBLE'], ['segment', 'VARCHAR'], ['email', 'VARCHAR'], ['signup_at', 'TIMESTAMP'],
    ]);
    // The only key: named like one, every value distinct and present.
    expect(find(suite, 'expect_column_values_to_be_unique').map((e) => e.kwargs.column)).toEqual(['customer_id']);
    expect(find(suite, 'expect_column_values_to_not_be_null', 'customer_id')[0]!.kwargs).toEqual({ column: 'customer_id' });
    // income: the observed non-null share, loosened, never above it.
    const present = clean.filter((r) => r.income !== null).length / ROWS;
    const mostly = find(suite, 'expect_column_values_to_not_be_null', 'income')[0]!.kwargs.mostly as number;
    expect(mostly).toBeLessThanOrEqual(present);
    expect(mostly).toBeGreaterThan(present - 0.05);
    // age: the observed range, reached past on both sides, in whole years.
    const ages = clean.map((r) => r.age as number);
    const range = find(suite, 'expect_column_values_to_be_between', 'age')[0]!.kwargs as { min_value: number; max_value: number };
    expect(range.min_value).toBeLessThanOrEqual(Math.min(...ages));
    expect(range.max_value).toBeGreaterThanOrEqual(Math.max(...ages));
    expect(Number.isInteger(range.min_value) && Number.isInteger(range.max_value)).toBe(true);
    // income was never negative, so its lower bound is not either.
    expect((find(suite, 'expect_column_values_to_be_between', 'income')[0]!.kwargs.min_value as number)).toBeGreaterThanOrEqual(0);
    expect(find(suite, 'expect_column_values_to_be_in_set', 'segment')[0]!.kwargs.value_set).toEqual(SEGMENTS);
    expect(find(suite, 'expect_column_value_lengths_to_be_between', 'email')).toHaveLength(1);
    expect(find(suite, 'expect_column_max_to_be_recent', 'signup_at')).toHaveLength(1);
    for (const e of suite.expectations) expect(e.meta.notes, e.expectation_type).toMatch(/\S/);
  });

  it('passes on the version it was drawn from, and on a clean new sample of the same process', async () => {
    expect(failed(await validate(1, suite))).toEqual([]);
    const next = await add(csv(sample(2, now, ROWS + 1)));
    expect(failed(await validate(next, suite))).toEqual([]);
  });

  const defects: { what: string; data: () => string; catches: string }[] = [
    { what: 'income recorded in cents for 5 % of rows', catches: 'expect_column_values_to_be_between(income)',
      data: () => csv(clean.map((r, i) => (i % 20 === 0 && r.income !== null ? { ...r, income: r.income * 100 } : r))) },
    { what: 'ages lost for 10 % of rows', catches: 'expect_column_values_to_not_be_null(age)',
      data: () => csv(clean.map((r, i) => (i % 10 === 0 ? { ...r, age: null } : r))) },
    { what: 'a segment nobody knew', catches: 'expect_column_values_to_be_in_set(segment)',
      data: () => csv(clean.map((r, i) => (i % 50 === 0 ? { ...r, segment: 'enterprise' } : r))) },
    { what: 'duplicated customers', catches: 'expect_column_values_to_be_unique(customer_id)',
      data: () => csv([...clean, ...clean.slice(0, 10)]) },
    { what: 'a dropped column', catches: 'expect_table_columns_to_match_set()', data: () => csv(clean, ['email']) },
    { what: 'a truncated extract', catches: 'expect_table_row_count_to_be_between()', data: () => csv(clean.slice(0, ROWS / 10)) },
    { what: 'a stale extract', catches: 'expect_column_max_to_be_recent(signup_at)',
      data: () => csv(clean.map((r) => ({ ...r, signup_at: r.signup_at - 400 * DAY_MS }))) },
    { what: 'text in a number column', catches: 'expect_column_values_to_be_of_type(age)',
      data: () => csv(clean.map((r, i) => (i === 7 ? { ...r, age: 'unknown' } : r))) },
  ];
  for (const d of defects) {
    it(`catches ${d.what}`, async () => {
      const v = await add(d.data());
      const result = await validate(v, suite);
      expect(result.success).toBe(false);
      expect(failed(result)).toContain(d.catches);
    });
  }

  it('tunes its margins with the strictness, and refuses one it does not know, naming the field', async () => {
    const strict = await suggest(1, 'strict');
    const loose = await suggest(1, 'loose');
    expect(find(strict, 'expect_table_columns_to_match_ordered_list')).toHaveLength(1);
    const ages = clean.map((r) => r.age as number);
    // Strict: exactly the observed range; loose reaches further than moderate.
    expect(find(strict, 'expect_column_values_to_be_between', 'age')[0]!.kwargs).toMatchObject({ min_value: Math.min(...ages), max_value: Math.max(...ages) });
    const width = (s: Suite) => { const k = find(s, 'expect_column_values_to_be_between', 'age')[0]!.kwargs as { min_value: number; max_value: number }; return k.max_value - k.min_value; };
    expect(width(loose)).toBeGreaterThan(width(suite));
    expect(find(loose, 'expect_table_row_count_to_be_between')[0]!.kwargs.max_value).toBeUndefined();
    // Loose lets 1 % of values fall outside the category set; moderate does not.
    const rare = await add(csv(clean.map((r, i) => (i % 200 === 0 ? { ...r, segment: 'enterprise' } : r))));
    expect(failed(await validate(rare, loose))).not.toContain('expect_column_values_to_be_in_set(segment)');
    expect(failed(await validate(rare, suite))).toContain('expect_column_values_to_be_in_set(segment)');

    const bad = await api.get(`${V1}/datasets/customers/versions/1/suggested-suite`, { strictness: 'paranoid' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('strictness');
    expect((await api.get(`${V1}/datasets/nobody/versions/1/suggested-suite`)).status).toBe(404);
  });
});
