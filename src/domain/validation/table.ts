import type { DuckDBConnection } from '@duckdb/node-api';

/** The table a suite runs over, inside DuckDB. */
export interface Table {
  readonly connection: DuckDBConnection;
  readonly source: string;
  readonly types: Map<string, string>;
  /** The columns in file order. */
  readonly columns: readonly string[];
  /** SQL for a row's 0-based position in the file (pandas' default index), or null when the source has none. */
  readonly rowIndex: string | null;
  /** Reference tables of the distribution expectations, by the `name@version` the suite names them with. */
  readonly references: ReadonlyMap<string, { readonly source: string; readonly types: Map<string, string> }>;
}

export const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;

export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
export const percent = (part: number, whole: number) => (whole === 0 ? null : (part / whole) * 100);

export async function rows(t: Table, query: string): Promise<Record<string, unknown>[]> {
  return (await t.connection.run(query)).getRowObjects() as Promise<Record<string, unknown>[]>;
}

export async function scalar(t: Table, query: string): Promise<number | null> {
  const v = (await rows(t, query))[0]?.v;
  return v === null || v === undefined ? null : Number(v);
}

export class MissingColumn extends Error {
  constructor(column: string, where = '') {
    super(`column '${column}' does not exist${where}`);
  }
}

/** An expectation that cannot be evaluated on this data (wrong type, nothing to compare): it fails, the suite goes on. */
export class TypeProblem extends Error {}

export function columnType(t: Table, column: string): string {
  const type = t.types.get(column);
  if (type === undefined) throw new MissingColumn(column);
  return type;
}

/** How a column's values are shown in results: numbers as numbers, booleans as booleans, the rest as text. */
export function shownAs(type: string): 'DOUBLE' | 'BOOLEAN' | 'VARCHAR' {
  return NUMERIC.test(type) ? 'DOUBLE' : type === 'BOOLEAN' ? 'BOOLEAN' : 'VARCHAR';
}

/** A value read back from DuckDB as JSON can carry it (BigInt counts become numbers). */
export const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

/** GE's bounds: inclusive unless strict; a missing bound is open. */
export function inBounds(v: number | null, min?: number, max?: number, strictMin = false, strictMax = false): boolean {
  if (v === null || Number.isNaN(v)) return false;
  if (min !== undefined && (strictMin ? v <= min : v < min)) return false;
  if (max !== undefined && (strictMax ? v >= max : v > max)) return false;
  return true;
}
