/**
 * The predictions table an evaluation reads, one column at a time and only the columns it names:
 * numbers as Float64Array (NaN where missing), everything else dictionary-coded (code −1 where missing).
 * Rows come inline (columnar JSON from the API) or from a Parquet/CSV/JSON file read through DuckDB.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { invalid } from '../../core/errors.js';

export type ColumnData =
  | { readonly kind: 'number'; readonly values: Float64Array }
  | { readonly kind: 'text'; readonly codes: Int32Array; readonly dictionary: readonly string[] };

export interface PredictionsTable {
  readonly rowCount: number;
  readonly columnNames: readonly string[];
  /** The column's values; a name the table lacks is an error naming it. */
  column(name: string): Promise<ColumnData>;
  close(): void;
}

export const missingColumn = (name: string, available: readonly string[]) =>
  invalid(`Column '${name}' is not in the data; columns are: ${available.slice(0, 50).join(', ')}${available.length > 50 ? ', …' : ''}`);

/** Codes values in order of first appearance. */
class Dictionary {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];
  code(value: string): number {
    let c = this.index.get(value);
    if (c === undefined) {
      c = this.values.length;
      this.index.set(value, c);
      this.values.push(value);
    }
    return c;
  }
}

function textFromValues(raw: readonly unknown[]): ColumnData {
  const dictionary = new Dictionary();
  const codes = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    codes[i] = v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? -1 : dictionary.code(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return { kind: 'text', codes, dictionary: dictionary.values };
}

function columnFromValues(raw: readonly unknown[]): ColumnData {
  let numeric = true;
  for (const v of raw) {
    if (v !== null && v !== undefined && typeof v !== 'number') {
      numeric = false;
      break;
    }
  }
  if (!numeric) return textFromValues(raw);
  const values = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) values[i] = typeof raw[i] === 'number' ? (raw[i] as number) : NaN;
  return { kind: 'number', values };
}

/** Columnar JSON (`{column: [values…]}`), every column the same length. */
export function inlineTable(columns: Readonly<Record<string, readonly unknown[]>>): PredictionsTable {
  const names = Object.keys(columns);
  if (names.length === 0) throw invalid("Invalid value for parameter 'data.columns': no columns given");
  const rowCount = columns[names[0]!]!.length;
  for (const name of names) {
    if (columns[name]!.length !== rowCount) {
      throw invalid(`Column '${name}' has ${columns[name]!.length} values but column '${names[0]}' has ${rowCount}: every column needs one value per row`);
    }
  }
  const cache = new Map<string, ColumnData>();
  return {
    rowCount,
    columnNames: names,
    column: async (name) => {
      const raw = columns[name];
      if (!raw) throw missingColumn(name, names);
      let data = cache.get(name);
      if (!data) {
        data = columnFromValues(raw);
        cache.set(name, data);
      }
      return data;
    },
    close: () => {},
  };
}

const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

function readerFor(file: string): string {
  const literal = `'${file.replace(/'/g, "''")}'`;
  if (/\.parquet$/i.test(file)) return `read_parquet(${literal})`;
  if (/\.(csv|tsv)(\.gz)?$/i.test(file)) return `read_csv_auto(${literal})`;
  if (/\.(json|jsonl|ndjson)$/i.test(file)) return `read_json_auto(${literal})`;
  throw invalid(`Unsupported data file '${file}': use .parquet, .csv, .tsv, .json or .jsonl`);
}

async function streamColumn(connection: DuckDBConnection, query: string, onChunk: (vector: { getItem(i: number): unknown }, rows: number) => void) {
  const result = await connection.stream(query);
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    onChunk(chunk.getColumnVector(0), chunk.rowCount);
  }
}

/** A Parquet, CSV or JSON file; DuckDB reads only the columns asked for. `label` names the file in errors. */
export async function openPredictionsFile(file: string, label = file): Promise<PredictionsTable> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  let source: string;
  let types: Map<string, string>;
  let rowCount: number;
  try {
    source = readerFor(file);
    const described = await (await connection.run(`DESCRIBE SELECT * FROM ${source}`)).getRowObjects();
    types = new Map(described.map((r) => [String(r.column_name), String(r.column_type)]));
    const count = await (await connection.run(`SELECT count(*)::DOUBLE AS n FROM ${source}`)).getRowObjects();
    rowCount = Number(count[0]?.n ?? 0);
  } catch (err) {
    close();
    if ((err as { code?: unknown }).code === 'INVALID_PARAMETER_VALUE') throw err;
    throw invalid(`Cannot read '${label}': ${(err as Error).message.split('\n')[0]}`);
  }
  const names = [...types.keys()];
  return {
    rowCount,
    columnNames: names,
    column: async (name) => {
      const type = types.get(name);
      if (type === undefined) throw missingColumn(name, names);
      const column = quoteIdent(name);
      if (NUMERIC_TYPES.test(type)) {
        const values = new Float64Array(rowCount);
        let at = 0;
        await streamColumn(connection, `SELECT coalesce(${column}::DOUBLE, 'NaN'::DOUBLE) FROM ${source}`, (vector, rows) => {
          for (let i = 0; i < rows; i++) values[at++] = vector.getItem(i) as number;
        });
        return { kind: 'number', values };
      }
      const dictionary = new Dictionary();
      const codes = new Int32Array(rowCount);
      let at = 0;
      await streamColumn(connection, `SELECT ${column}::VARCHAR FROM ${source}`, (vector, rows) => {
        for (let i = 0; i < rows; i++) {
          const v = vector.getItem(i);
          codes[at++] = v === null ? -1 : dictionary.code(String(v));
        }
      });
      return { kind: 'text', codes, dictionary: dictionary.values };
    },
    close,
  };
}
