/**
 * Slices and fairness groups. Every grouping column (slice or sensitive) is combined once into a
 * "combo" per row — the observed combination of all their values — and each view (one column, or a
 * combination of columns) maps combos onto its own groups. Per-group counts then come from per-combo
 * counts, which is what keeps a bootstrap resample to one pass over the rows.
 */
import type { GroupingColumn } from './evaluation-input.js';

export interface Combos {
  /** Row → combo. */
  readonly ofRow: Int32Array;
  /** Combo → the value code of each grouping column. */
  readonly values: readonly Int32Array[];
}

export function combine(columns: readonly GroupingColumn[], rows: number): Combos {
  const ofRow = new Int32Array(rows);
  if (columns.length === 0) return { ofRow, values: [new Int32Array(0)] };
  const index = new Map<number, number>();
  const values: Int32Array[] = [];
  const radix = columns.map((c) => c.values.length);
  for (let i = 0; i < rows; i++) {
    let key = 0;
    for (let j = 0; j < columns.length; j++) key = key * radix[j]! + columns[j]!.codes[i]!;
    let combo = index.get(key);
    if (combo === undefined) {
      combo = values.length;
      index.set(key, combo);
      values.push(Int32Array.from(columns, (c) => c.codes[i]!));
    }
    ofRow[i] = combo;
  }
  return { ofRow, values };
}

export interface ViewGroup {
  readonly key: Readonly<Record<string, string>>;
  readonly label: string;
}

export interface View {
  /** The columns' names joined by `&`: `sex`, `sex&race`. */
  readonly name: string;
  readonly columns: readonly string[];
  readonly groupOfCombo: Int32Array;
  readonly groups: readonly ViewGroup[];
}

/** The view over the grouping columns at `positions`; groups sorted by their values. */
export function makeView(columns: readonly GroupingColumn[], combos: Combos, positions: readonly number[]): View {
  const picked = positions.map((p) => columns[p]!);
  const byLabel = new Map<string, { key: Record<string, string>; combos: number[] }>();
  combos.values.forEach((codes, combo) => {
    const key: Record<string, string> = {};
    for (let j = 0; j < positions.length; j++) key[picked[j]!.name] = picked[j]!.values[codes[positions[j]!]!]!;
    const label = picked.map((c) => key[c.name]).join('&');
    const entry = byLabel.get(label) ?? { key, combos: [] };
    entry.combos.push(combo);
    byLabel.set(label, entry);
  });
  const labels = [...byLabel.keys()].sort();
  const groupOfCombo = new Int32Array(combos.values.length);
  labels.forEach((label, g) => {
    for (const combo of byLabel.get(label)!.combos) groupOfCombo[combo] = g;
  });
  return {
    name: picked.map((c) => c.name).join('&'),
    columns: picked.map((c) => c.name),
    groupOfCombo,
    groups: labels.map((label) => ({ key: byLabel.get(label)!.key, label })),
  };
}

/** Non-empty subsets of `items`, singles first, then pairs, and so on. */
export function subsets<T>(items: readonly T[], minSize = 1): T[][] {
  const out: T[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) {
    const subset = items.filter((_, i) => mask & (1 << i));
    if (subset.length >= minSize) out.push(subset);
  }
  return out.sort((a, b) => a.length - b.length);
}

/** Rows of each group of a view, in row order. */
export function rowsByGroup(view: View, combos: Combos): Int32Array[] {
  const counts = new Int32Array(view.groups.length);
  for (let i = 0; i < combos.ofRow.length; i++) counts[view.groupOfCombo[combos.ofRow[i]!]!]!++;
  const rows = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(view.groups.length);
  for (let i = 0; i < combos.ofRow.length; i++) {
    const g = view.groupOfCombo[combos.ofRow[i]!]!;
    rows[g]![fill[g]!++] = i;
  }
  return rows;
}

export function gather<T extends Float64Array | Int32Array | Uint8Array>(values: T, rows: Int32Array): T {
  const out = new (values.constructor as new (n: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!;
  return out;
}
