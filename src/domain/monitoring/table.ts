/**
 * Tabular data as the analysis reads it: one column at a time, so a report over many columns holds
 * one column of each side in memory, never a whole table. Rows from the API and files read through
 * DuckDB both arrive through this interface.
 */
export type FeatureType = 'numeric' | 'categorical';

export interface NumericColumn {
  readonly name: string;
  readonly type: 'numeric';
  /** NaN marks a missing value; ±Infinity is kept so data quality can count it. */
  readonly values: Float64Array;
  /** Values of another type (a string in a numeric column), counted and then treated as missing. */
  readonly typeMismatches: number;
}

/** Categories are kept as counts: memory follows the number of distinct values, not rows. */
export interface CategoricalColumn {
  readonly name: string;
  readonly type: 'categorical';
  readonly rows: number;
  readonly counts: ReadonlyMap<string, number>;
  /** Missing values, mismatches included. */
  readonly missing: number;
  readonly typeMismatches: number;
}

export type Column = NumericColumn | CategoricalColumn;

export interface TableSource {
  readonly rowCount: number;
  readonly columnNames: readonly string[];
  /** numeric when every present value is a number, categorical otherwise; undefined when nothing is present. */
  inferType(name: string): Promise<FeatureType | undefined>;
  load(name: string, type: FeatureType): Promise<Column>;
}

export type Row = Readonly<Record<string, unknown>>;

function numericColumn(name: string, raw: ArrayLike<unknown>): NumericColumn {
  const values = new Float64Array(raw.length);
  let typeMismatches = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (typeof v === 'number') values[i] = v;
    else {
      values[i] = NaN;
      if (v !== null && v !== undefined) typeMismatches++;
    }
  }
  return { name, type: 'numeric', values, typeMismatches };
}

function categoricalColumn(name: string, raw: ArrayLike<unknown>): CategoricalColumn {
  // Each distinct value is looked up once per row in a map to its slot, and the count kept in a typed array:
  // one hash lookup and no boxed number per row.
  const slots = new Map<unknown, number>();
  const labels: string[] = [];
  let tally = new Float64Array(16);
  let missing = 0;
  let typeMismatches = 0;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    let slot = slots.get(v);
    if (slot === undefined) {
      const label = typeof v === 'string' ? v : (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : null;
      if (label === null) {
        missing++;
        if (v !== null && v !== undefined && !(typeof v === 'number' && Number.isNaN(v))) typeMismatches++;
        continue;
      }
      slot = labels.length;
      labels.push(label);
      slots.set(v, slot);
      if (slot === tally.length) {
        const grown = new Float64Array(tally.length * 2);
        grown.set(tally);
        tally = grown;
      }
    }
    tally[slot]!++;
  }
  // Different raw values can share a label (1 and '1'): their slots add up.
  const counts = new Map<string, number>();
  for (let k = 0; k < labels.length; k++) counts.set(labels[k]!, (counts.get(labels[k]!) ?? 0) + tally[k]!);
  return { name, type: 'categorical', rows: raw.length, counts, missing, typeMismatches };
}

export function columnFromValues(name: string, type: FeatureType, raw: ArrayLike<unknown>): Column {
  return type === 'numeric' ? numericColumn(name, raw) : categoricalColumn(name, raw);
}

/**
 * A dictionary-encoded column, as Arrow and DuckDB hold text with few distinct values and as a column coded
 * once is kept: one integer per row, the index of its label; a negative code is a missing value.
 */
export interface DictionaryColumn {
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export const isDictionaryColumn = (raw: unknown): raw is DictionaryColumn =>
  typeof raw === 'object' && raw !== null && (raw as DictionaryColumn).codes instanceof Int32Array && Array.isArray((raw as DictionaryColumn).dictionary);

/** Categories counted from their codes: one typed-array increment per row, no string is looked at. */
export function categoricalFromCodes(name: string, column: DictionaryColumn): CategoricalColumn {
  const { codes, dictionary } = column;
  const size = dictionary.length;
  // Two tallies (even and odd rows), so neighbouring rows of one category do not wait on each other;
  // slot `size` takes every code outside the dictionary, negative ones included (missing).
  const tally = new Int32Array(2 * (size + 1));
  const n = codes.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a = codes[i]!;
    const b = codes[i + 1]!;
    tally[a >>> 0 < size ? a : size]!++;
    tally[size + 1 + (b >>> 0 < size ? b : size)]!++;
  }
  if (i < n) {
    const a = codes[i]!;
    tally[a >>> 0 < size ? a : size]!++;
  }
  // Labels in order of first appearance, as counting the strings gives them (sums over categories then add
  // in the same order, so scores agree to the last bit): a scan from the top that stops once every code
  // present has been seen, usually within the first rows.
  let present = 0;
  for (let k = 0; k < size; k++) if (tally[k]! + tally[size + 1 + k]! > 0) present++;
  const order: number[] = [];
  const seen = new Uint8Array(size);
  for (let r = 0; r < n && order.length < present; r++) {
    const code = codes[r]!;
    if (code >>> 0 < size && seen[code] === 0) {
      seen[code] = 1;
      order.push(code);
    }
  }
  const counts = new Map<string, number>();
  for (const k of order) {
    // Two codes may carry one label (dictionaries of merged chunks): their counts add up.
    counts.set(dictionary[k]!, (counts.get(dictionary[k]!) ?? 0) + tally[k]! + tally[size + 1 + k]!);
  }
  return { name, type: 'categorical', rows: n, counts, missing: tally[size]! + tally[2 * size + 1]!, typeMismatches: 0 };
}

/** A dictionary column's values, for a numeric reading of it (labels that are numbers count, the rest are mismatches). */
const decoded = (column: DictionaryColumn): unknown[] => Array.from(column.codes, (c) => (c >= 0 && c < column.dictionary.length ? column.dictionary[c] : null));

export function inferTypeOf(raw: ArrayLike<unknown>): FeatureType | undefined {
  let seen = false;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'number') return 'categorical';
    seen = true;
  }
  return seen ? 'numeric' : undefined;
}

/**
 * Columns given as arrays of equal length, e.g. the columnar JSON the API and the stored batches use, or
 * dictionary-encoded text columns (counted from their codes).
 */
export function columnarTable(columns: Readonly<Record<string, ArrayLike<unknown> | DictionaryColumn>>): TableSource {
  const names = Object.keys(columns);
  const lengthOf = (c: ArrayLike<unknown> | DictionaryColumn) => (isDictionaryColumn(c) ? c.codes.length : c.length);
  const rowCount = names.length === 0 ? 0 : lengthOf(columns[names[0]!]!);
  return {
    rowCount,
    columnNames: names,
    inferType: async (name) => {
      const raw = columns[name] ?? [];
      if (isDictionaryColumn(raw)) return raw.codes.some((c) => c >= 0 && c < raw.dictionary.length) ? 'categorical' : undefined;
      return raw instanceof Float64Array ? (raw.length > 0 ? 'numeric' : undefined) : inferTypeOf(raw);
    },
    load: async (name, type) => {
      const given = columns[name] ?? [];
      if (isDictionaryColumn(given)) return type === 'categorical' ? categoricalFromCodes(name, given) : columnFromValues(name, type, decoded(given));
      const raw = given;
      // Typed numeric input is already in the analysis's representation; the analysis never writes to it.
      if (raw instanceof Float64Array && type === 'numeric') return { name, type, values: raw, typeMismatches: 0 };
      return columnFromValues(name, type, raw);
    },
  };
}

/** Row records to columns; a key missing from some rows is a missing value there. */
export function recordsToColumns(rows: readonly Row[]): Record<string, unknown[]> {
  const columns: Record<string, unknown[]> = {};
  rows.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) {
      let col = columns[key];
      if (!col) {
        col = new Array<unknown>(rows.length).fill(null);
        columns[key] = col;
      }
      col[i] = value;
    }
  });
  return columns;
}

export const recordsTable = (rows: readonly Row[]): TableSource => {
  const t = columnarTable(recordsToColumns(rows));
  return { ...t, rowCount: rows.length };
};

/** Several tables with the same meaning read as one (the batches of one window). */
export function concatTables(parts: readonly Readonly<Record<string, readonly unknown[]>>[]): TableSource {
  const names = [...new Set(parts.flatMap((p) => Object.keys(p)))];
  const lengths = parts.map((p) => {
    const first = Object.values(p)[0];
    return first ? first.length : 0;
  });
  const merged: Record<string, unknown[]> = {};
  for (const name of names) {
    merged[name] = parts.flatMap((p, i) => (p[name] ? [...p[name]] : new Array<unknown>(lengths[i]!).fill(null)));
  }
  const t = columnarTable(merged);
  return { ...t, rowCount: lengths.reduce((a, b) => a + b, 0) };
}

/**
 * Several sources read as one, column by column (a window's JSON batches and its Parquet files). A column
 * one part lacks is missing there; it is numeric only when every part that has values says so.
 */
export function concatSources(parts: readonly TableSource[]): TableSource {
  const names = [...new Set(parts.flatMap((p) => p.columnNames))];
  return {
    rowCount: parts.reduce((a, p) => a + p.rowCount, 0),
    columnNames: names,
    inferType: async (name) => {
      const types = (await Promise.all(parts.map((p) => (p.columnNames.includes(name) ? p.inferType(name) : undefined)))).filter((t) => t !== undefined);
      if (types.length === 0) return undefined;
      return types.every((t) => t === 'numeric') ? 'numeric' : 'categorical';
    },
    load: async (name, type) => {
      const columns = await Promise.all(parts.map((p) => (p.columnNames.includes(name) ? p.load(name, type) : columnFromValues(name, type, new Array<null>(p.rowCount).fill(null)))));
      if (type === 'numeric') {
        const numeric = columns as NumericColumn[];
        const values = new Float64Array(numeric.reduce((a, c) => a + c.values.length, 0));
        let at = 0;
        for (const c of numeric) {
          values.set(c.values, at);
          at += c.values.length;
        }
        return { name, type, values, typeMismatches: numeric.reduce((a, c) => a + c.typeMismatches, 0) };
      }
      const categorical = columns as CategoricalColumn[];
      const counts = new Map<string, number>();
      for (const c of categorical) for (const [k, n] of c.counts) counts.set(k, (counts.get(k) ?? 0) + n);
      return {
        name, type, counts,
        rows: categorical.reduce((a, c) => a + c.rows, 0),
        missing: categorical.reduce((a, c) => a + c.missing, 0),
        typeMismatches: categorical.reduce((a, c) => a + c.typeMismatches, 0),
      };
    },
  };
}
