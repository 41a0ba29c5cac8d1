/**
 * From table columns to the typed arrays the metrics read, with the checks that make bad input a clear
 * error naming the column: missing values, labels outside the declared classes, probabilities outside
 * [0, 1], text where numbers are needed.
 */
import { invalid } from '../../core/errors.js';
import type { ColumnData, PredictionsTable } from './predictions-table.js';

const MISSING_GROUP = '(missing)';

function firstRows(rows: number[]): string {
  return rows.slice(0, 5).join(', ') + (rows.length > 5 ? ', …' : '');
}

/** The column's values as strings (numbers written as JavaScript does: 1, 0.5), −1 where missing. */
export function asText(data: ColumnData): { codes: Int32Array; dictionary: readonly string[] } {
  if (data.kind === 'text') return data;
  const index = new Map<number, number>();
  const dictionary: string[] = [];
  const codes = new Int32Array(data.values.length);
  for (let i = 0; i < codes.length; i++) {
    const v = data.values[i]!;
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    let c = index.get(v);
    if (c === undefined) {
      c = dictionary.length;
      index.set(v, c);
      dictionary.push(String(v));
    }
    codes[i] = c;
  }
  return { codes, dictionary };
}

/** Numbers sort numerically, anything else by code point: NumPy's `unique` order for the usual label types. */
export function sortLabels(labels: readonly string[]): string[] {
  const numeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return [...labels].sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `allowMissing`: a missing value is NaN instead of an error (a ranking score: the document was not retrieved). */
export async function numberColumn(table: PredictionsTable, name: string, what: string, opts: { probability?: boolean; allowMissing?: boolean } = {}): Promise<Float64Array> {
  const data = await table.column(name);
  if (data.kind !== 'number') {
    const sample = data.dictionary.slice(0, 3).map((v) => `'${v}'`).join(', ');
    throw invalid(`Column '${name}' (${what}) must be numeric; it holds text such as ${sample}`);
  }
  const missing: number[] = [];
  const outside: number[] = [];
  for (let i = 0; i < data.values.length; i++) {
    const v = data.values[i]!;
    if (opts.allowMissing && Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) missing.push(i);
    else if (opts.probability && (v < 0 || v > 1)) outside.push(i);
  }
  if (missing.length > 0) throw invalid(`Column '${name}' (${what}) has ${missing.length} missing or non-finite values (rows ${firstRows(missing)})`);
  if (outside.length > 0) {
    const example = data.values[outside[0]!]!;
    throw invalid(`Column '${name}' (${what}) has ${outside.length} values outside [0, 1] (rows ${firstRows(outside)}, e.g. ${example}); `
      + "a probability lies in [0, 1]: pass scoreKind 'decision' for unbounded scores");
  }
  return data.values;
}

export interface LabelColumn {
  readonly name: string;
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export async function labelColumn(table: PredictionsTable, name: string, what: string): Promise<LabelColumn> {
  const text = asText(await table.column(name));
  const missing: number[] = [];
  for (let i = 0; i < text.codes.length; i++) if (text.codes[i]! < 0) missing.push(i);
  if (missing.length > 0) throw invalid(`Column '${name}' (${what}) has ${missing.length} missing values (rows ${firstRows(missing)})`);
  return { name, ...text };
}

/** Maps a label column onto class indices; a value outside `classes` is an error naming the column. */
export function toClassIndex(column: LabelColumn, classes: readonly string[], what: string): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const remap = column.dictionary.map((v) => index.get(v) ?? -1);
  const unknown = column.dictionary.filter((_, i) => remap[i] === -1);
  if (unknown.length > 0) {
    throw invalid(`Column '${column.name}' (${what}) has values outside the classes [${classes.join(', ')}]: ${unknown.slice(0, 5).map((v) => `'${v}'`).join(', ')}`);
  }
  const out = new Int32Array(column.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = remap[column.codes[i]!]!;
  return out;
}

/** Values present in the column, in use. */
export function presentValues(column: LabelColumn): string[] {
  const seen = new Uint8Array(column.dictionary.length);
  for (let i = 0; i < column.codes.length; i++) seen[column.codes[i]!] = 1;
  return column.dictionary.filter((_, i) => seen[i]);
}

export interface GroupingColumn {
  readonly name: string;
  readonly codes: Int32Array;
  readonly values: readonly string[];
}

export const MAX_GROUP_VALUES = 1000;

/** A slice or sensitive column: missing values form their own group, `(missing)`. */
export async function groupingColumn(table: PredictionsTable, name: string): Promise<GroupingColumn> {
  const text = asText(await table.column(name));
  if (text.dictionary.length > MAX_GROUP_VALUES) {
    throw invalid(`Column '${name}' has ${text.dictionary.length} distinct values; a slice or sensitive column may have at most ${MAX_GROUP_VALUES}`);
  }
  let codes = text.codes;
  const values = [...text.dictionary];
  if (codes.some((c) => c < 0)) {
    const missingCode = values.length;
    values.push(MISSING_GROUP);
    codes = codes.map((c) => (c < 0 ? missingCode : c));
  }
  return { name, codes, values };
}
