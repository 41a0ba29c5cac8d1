import { openTables, type TableFiles } from '../datasets/data-file.js';
import type { ColumnProfile, DatasetVersion } from '../datasets/types.js';
import { quoteIdent } from '../monitoring/file-table.js';
import { NUMERIC } from './table.js';
import type { Expectation, Suite } from './types.js';

/**
 * Suites suggested from a dataset version's profile (GE's removed automatic profiler, done our way): every
 * expectation passes on the version it was drawn from and says in `meta.notes` what it was drawn from, so a
 * reviewer can keep, tighten or drop it. `strictness` sets how far the bounds reach past what was observed.
 */
export const STRICTNESS = ['loose', 'moderate', 'strict'] as const;
export type Strictness = (typeof STRICTNESS)[number];

interface Margins {
  /** Share of the observed range added on each side of a numeric column's min and max. */
  readonly range: number;
  /** Standard deviations the mean may move. */
  readonly meanStd: number;
  /** How much the null share may grow, as a multiple of the observed share (and at least `nullFloor`). */
  readonly nullGrowth: number;
  readonly nullFloor: number;
  /** Row count bounds as multiples of the observed count (no upper bound when null). */
  readonly rows: readonly [number, number | null];
  /** Share of the observed min and max string length a length may move. */
  readonly length: number;
  /** Seconds added to the age of the newest timestamp. */
  readonly freshnessSlack: number;
  /** `mostly` of a category set; 1 means every value. */
  readonly categoriesMostly: number;
  /** A text column with at most this many distinct values (and repeats) gets a value set. */
  readonly maxCategories: number;
}

const DAY = 86_400;
export const MARGINS: Readonly<Record<Strictness, Margins>> = {
  strict: { range: 0, meanStd: 0.1, nullGrowth: 0, nullFloor: 0, rows: [0.9, 1.1], length: 0, freshnessSlack: DAY, categoriesMostly: 1, maxCategories: 50 },
  moderate: { range: 0.1, meanStd: 0.5, nullGrowth: 0.5, nullFloor: 0.001, rows: [0.5, 2], length: 0.1, freshnessSlack: 7 * DAY, categoriesMostly: 1, maxCategories: 20 },
  loose: { range: 0.5, meanStd: 1, nullGrowth: 1, nullFloor: 0.01, rows: [0.1, null], length: 0.5, freshnessSlack: 30 * DAY, categoriesMostly: 0.99, maxCategories: 20 },
};

const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;
const TEMPORAL = /^(DATE|TIMESTAMP.*)$/;
const TEXT = /^VARCHAR$/;
/** Names people give identifiers: `id`, `customer_id`, `orderId`, `uuid`, `key`. */
const KEY_NAME = /(^|_)(id|uuid|key)$|[a-z]Id$/i;

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(Number(n.toPrecision(6))));
const pct = (share: number) => `${Number((share * 100).toPrecision(3))} %`;
/** Rounds a `mostly` down to three decimals, so it never asks for more than was observed. */
const floorShare = (v: number) => Math.max(0, Math.floor(v * 1000) / 1000);

function expectation(type: string, kwargs: Record<string, unknown>, notes: string): Expectation {
  return { expectation_type: type, kwargs, meta: { notes, suggested: true } } as Expectation;
}

function numericBounds(p: ColumnProfile, m: Margins, integer: boolean): { min_value: number; max_value: number } {
  const lo = Number(p.min);
  const hi = Number(p.max);
  const reach = m.range * (hi - lo || Math.abs(lo) || 1);
  let min = lo - reach;
  let max = hi + reach;
  // A column that was never negative stays non-negative: negative ages or prices are the defect to catch.
  if (lo >= 0) min = Math.max(0, min);
  if (integer) {
    min = Math.floor(min);
    max = Math.ceil(max);
  }
  return { min_value: min, max_value: max };
}

/** The suggested suite for a version; `files` are its table's files (all parts), read for what the profile does not keep. */
export async function suggestSuite(
  version: DatasetVersion, files: TableFiles, options: { strictness: Strictness; now: number; name?: string | undefined },
): Promise<Suite> {
  const m = MARGINS[options.strictness];
  const rows = version.rowCount ?? 0;
  const profile = version.profile ?? [];
  const where = `${version.name}@${version.version}`;
  const out: Expectation[] = [];
  const tables = await openTables([files]);
  try {
    const source = tables.sources[0]!;
    const types = tables.types[0]!;
    const query = async (sql: string) => (await tables.connection.run(sql)).getRowObjects();
    const columns = [...types.keys()];
    out.push(options.strictness === 'strict'
      ? expectation('expect_table_columns_to_match_ordered_list', { column_list: columns }, `the ${columns.length} columns of ${where}, in order`)
      : expectation('expect_table_columns_to_match_set', { column_set: columns, exact_match: true }, `the ${columns.length} columns of ${where}`));
    const [lowRows, highRows] = m.rows;
    out.push(expectation('expect_table_row_count_to_be_between', {
      min_value: Math.max(1, Math.floor(rows * lowRows)), ...(highRows !== null ? { max_value: Math.ceil(rows * highRows) } : {}),
    }, `${fmt(rows)} rows observed`));

    for (const column of columns) {
      const type = types.get(column)!;
      const p = profile.find((c) => c.name === column);
      const c = quoteIdent(column);
      out.push(expectation('expect_column_values_to_be_of_type', { column, type_: type }, `type ${type} observed`));
      const nulls = p?.nullCount ?? Number((await query(`SELECT count(*) - count(${c}) AS n FROM ${source}`))[0]!.n);
      const present = rows - nulls;
      if (present === 0) continue;
      const integer = INTEGER.test(type);
      const distinct = Number((await query(`SELECT count(DISTINCT ${c}) AS n FROM ${source}`))[0]!.n);
      // Only a column named like an identifier: a measurement that happened to repeat no value is not a key.
      const keyLike = distinct === present && nulls === 0 && rows >= 2 && (integer || TEXT.test(type)) && KEY_NAME.test(column);
      const nullShare = nulls / rows;
      if (nulls === 0 && (m.nullFloor === 0 || keyLike)) {
        out.push(expectation('expect_column_values_to_not_be_null', { column }, `no nulls in ${fmt(rows)} rows`));
      } else {
        const mostly = floorShare(1 - Math.max(nullShare * (1 + m.nullGrowth), nullShare + m.nullFloor));
        out.push(expectation('expect_column_values_to_not_be_null', { column, ...(mostly < 1 ? { mostly } : {}) }, `${pct(nullShare)} nulls observed (${fmt(nulls)} of ${fmt(rows)})`));
      }
      if (keyLike) out.push(expectation('expect_column_values_to_be_unique', { column }, `all ${fmt(rows)} values distinct; looks like a key`));

      if (NUMERIC.test(type) && !keyLike && p?.min != null && p.max != null) {
        out.push(expectation('expect_column_values_to_be_between', { column, ...numericBounds(p, m, integer) }, `observed from ${fmt(Number(p.min))} to ${fmt(Number(p.max))}`));
        if (p.mean != null && p.std != null) {
          const reach = Math.max(m.meanStd * p.std, Math.abs(p.mean) * 1e-9);
          out.push(expectation('expect_column_mean_to_be_between', { column, min_value: p.mean - reach, max_value: p.mean + reach }, `mean ${fmt(p.mean)}, standard deviation ${fmt(p.std)}`));
        }
      } else if (TEXT.test(type) && !keyLike) {
        if (distinct <= m.maxCategories && distinct < present) {
          const values = (await query(`SELECT DISTINCT ${c} AS v FROM ${source} WHERE ${c} IS NOT NULL ORDER BY 1`)).map((r) => String(r.v));
          out.push(expectation('expect_column_values_to_be_in_set', { column, value_set: values, ...(m.categoriesMostly < 1 ? { mostly: m.categoriesMostly } : {}) }, `${values.length} categories observed`));
        } else {
          const [len] = await query(`SELECT min(length(${c})) AS lo, max(length(${c})) AS hi FROM ${source}`);
          const lo = Number(len!.lo);
          const hi = Number(len!.hi);
          out.push(expectation('expect_column_value_lengths_to_be_between', {
            column, min_value: Math.max(0, Math.floor(lo * (1 - m.length))), max_value: Math.ceil(hi * (1 + m.length)),
          }, `lengths from ${lo} to ${hi} characters observed`));
        }
      } else if (TEMPORAL.test(type)) {
        const [newest] = await query(`SELECT epoch_ms(max(${c}::TIMESTAMP))::DOUBLE AS v, max(${c})::VARCHAR AS shown FROM ${source}`);
        const ageSeconds = Math.max(0, (options.now - Number(newest!.v)) / 1000);
        out.push(expectation('expect_column_max_to_be_recent', { column, max_age_seconds: Math.ceil(ageSeconds + m.freshnessSlack) }, `newest value ${String(newest!.shown)}, ${fmt(Math.round(ageSeconds / 3600))} hours old when suggested`));
      }
    }
  } finally {
    await tables.close();
  }
  return { name: options.name ?? `${version.name}-suggested`, expectations: out };
}

/** Validates the strictness named in a request or flag. */
export const isStrictness = (s: string): s is Strictness => (STRICTNESS as readonly string[]).includes(s);
