import { sql, type RawBuilder } from 'kysely';
import { invalid } from '../../core/errors.js';
import type { Comparison, FilterValue, OrderClause } from '../../domain/tracking/search-filter.js';

/**
 * Compiles parsed search filters into SQL that the database evaluates: EXISTS over the key-value tables
 * for metrics, params, tags and datasets, plain columns for attributes. Nothing is loaded into memory to filter.
 * The grammar's rules (which comparators fit which entity) are checked by the domain before this runs.
 */
export type Sql = RawBuilder<unknown>;

/**
 * `LIKE` is case-sensitive on both backends (see db.ts); `ILIKE` is the case-insensitive one. Backslash
 * escapes a wildcard on both (`'a\_b'` matches only `a_b`): PostgreSQL's default, stated for SQLite.
 */
export function compare(column: Sql, comparator: Comparison['comparator'], value: FilterValue): Sql {
  switch (comparator) {
    case 'LIKE':
      return sql`${column} like ${scalar(value)} escape '\\'`;
    case 'ILIKE':
      return sql`lower(${column}) like lower(${scalar(value)}) escape '\\'`;
    case 'IN':
    case 'NOT IN': {
      if (value.kind !== 'list') throw invalid(`${comparator} needs a parenthesised list`);
      if (value.value.length === 0) return comparator === 'IN' ? sql`1 = 0` : sql`1 = 1`;
      const list = sql.join(value.value.map((v) => sql`${v}`));
      return comparator === 'IN' ? sql`${column} in (${list})` : sql`${column} not in (${list})`;
    }
    default:
      return sql`${column} ${sql.raw(comparator)} ${typedScalar(value)}`;
  }
}

/**
 * PostgreSQL gives an untyped parameter the type of the column it meets, and '5.5' or '1e+300' is no
 * bigint: a number that is not a safe integer goes typed, so `start_time > 5.5` compares as numbers.
 * Safe integers stay untyped, so comparisons on bigint columns keep their indexes.
 */
function typedScalar(value: FilterValue): Sql {
  const v = scalar(value);
  return typeof v === 'number' && !Number.isSafeInteger(v) ? sql`cast(${v} as double precision)` : sql`${v}`;
}

function scalar(value: FilterValue): string | number {
  if (value.kind === 'list') throw invalid('A list value needs IN or NOT IN');
  return value.value;
}

export interface EntityColumns {
  /** SQL for a column of the searched row, by attribute name. */
  attribute(key: string): Sql;
  /** The searched row's id column, for correlated subqueries. */
  readonly id: Sql;
  /** Key-value table holding tags of the searched entity, and its foreign key column. */
  readonly tagTable: string;
  readonly tagOwner: string;
  /** Key-value table holding params, when the entity has them (runs, logged models). */
  readonly paramTable?: string;
  readonly paramOwner?: string;
}

export function whereClause(filter: readonly Comparison[], cols: EntityColumns): Sql {
  if (filter.length === 0) return sql`1 = 1`;
  return sql.join(filter.map((c) => condition(c, cols)), sql` and `);
}

function condition(c: Comparison, cols: EntityColumns): Sql {
  switch (c.entity) {
    case 'attribute':
      return compare(cols.attribute(c.key), c.comparator, c.value);
    case 'metric':
      return sql`exists (select 1 from latest_metrics m where m.run_uuid = ${cols.id} and m.key = ${c.key} and m.is_nan = 0 and ${compare(sql`m.value`, c.comparator, c.value)})`;
    case 'param':
      if (!cols.paramTable || !cols.paramOwner) throw invalid(`Params cannot be searched here ('${c.key}')`);
      return sql`exists (select 1 from ${sql.table(cols.paramTable)} p where p.${sql.ref(cols.paramOwner)} = ${cols.id} and p.key = ${c.key} and ${compare(sql`p.value`, c.comparator, c.value)})`;
    case 'tag':
      return sql`exists (select 1 from ${sql.table(cols.tagTable)} t where t.${sql.ref(cols.tagOwner)} = ${cols.id} and t.key = ${c.key} and ${compare(sql`t.value`, c.comparator, c.value)})`;
    case 'dataset':
      if (c.key === 'context') {
        // Input tags are stored as a JSON array; the context tag is matched inside it exactly.
        return sql`exists (select 1 from run_inputs i where i.run_uuid = ${cols.id} and i.tags like ${contextPattern(c)} escape '\\')`;
      }
      return sql`exists (select 1 from run_inputs i join datasets d on d.dataset_uuid = i.dataset_uuid where i.run_uuid = ${cols.id} and ${compare(sql.ref(`d.${c.key}`), c.comparator, c.value)})`;
  }
}

function contextPattern(c: Comparison): string {
  if (c.comparator !== '=' || c.value.kind !== 'string') throw invalid(`datasets.context supports only '=' with a string value`);
  // The JSON text is matched literally: its backslashes (JSON escapes), `%` and `_` are escaped for LIKE.
  const json = JSON.stringify({ key: 'mlflow.data.context', value: c.value.value }).slice(1, -1);
  return `%${json.replace(/[\\%_]/g, '\\$&')}%`;
}

/** ORDER BY pieces: each clause joins what it sorts on; rows without the value sort last either way, as MLflow does. */
export function orderClauses(orderBy: readonly OrderClause[], cols: EntityColumns): { joins: Sql; order: Sql[] } {
  const joins: Sql[] = [];
  const order: Sql[] = [];
  orderBy.forEach((o, i) => {
    const alias = sql.raw(`o${i}`);
    const dir = sql.raw(o.ascending ? 'asc' : 'desc');
    if (o.entity === 'attribute') {
      const col = cols.attribute(o.key);
      order.push(sql`(case when ${col} is null then 1 else 0 end)`, sql`${col} ${dir}`);
      return;
    }
    if (o.entity === 'metric') {
      joins.push(sql`left join latest_metrics ${alias} on ${alias}.run_uuid = ${cols.id} and ${alias}.key = ${o.key}`);
      order.push(sql`(case when ${alias}.value is null then 2 when ${alias}.is_nan = 1 then 1 else 0 end)`, sql`${alias}.value ${dir}`);
      return;
    }
    const tableName = o.entity === 'param' ? cols.paramTable : o.entity === 'tag' ? cols.tagTable : undefined;
    const ownerName = o.entity === 'param' ? cols.paramOwner : cols.tagOwner;
    if (!tableName || !ownerName) throw invalid(`Cannot order by ${o.entity}s`);
    const table = sql.table(tableName);
    const owner = sql.ref(ownerName);
    joins.push(sql`left join ${table} ${alias} on ${alias}.${owner} = ${cols.id} and ${alias}.key = ${o.key}`);
    order.push(sql`(case when ${alias}.value is null then 1 else 0 end)`, sql`${alias}.value ${dir}`);
  });
  return { joins: sql.join(joins, sql` `), order };
}
