import { invalid } from '../../core/errors.js';
import { quoteIdent } from '../monitoring/file-table.js';
import { openTables, type TableFiles } from './data-file.js';
import type { ColumnProfile, DatasetVersion } from './types.js';

/** Rows compared by a key column: distinct key values only in `to` (added), only in `from` (removed), or in both with other values (changed). */
export interface RowDiff {
  readonly key: string;
  readonly added: number;
  readonly removed: number;
  /** Keys in both whose rows differ in a column both versions have. */
  readonly changed: number;
  /** Rows are compared on the columns both versions have; columns only one has are listed, not compared. */
  readonly columns: { readonly compared: readonly string[]; readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Up to 20 keys of each kind, as text. */
  readonly sample: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] };
}

const SAMPLE = 20;

export interface ColumnChange {
  readonly column: string;
  /** Only the profile figures that differ, as [before, after]. */
  readonly changes: Readonly<Record<string, readonly [unknown, unknown]>>;
}

export interface VersionDiff {
  readonly from: string;
  readonly to: string;
  readonly sameContent: boolean;
  readonly rowCount: readonly [number | null, number | null];
  readonly addedColumns: readonly { name: string; type: string }[];
  readonly removedColumns: readonly { name: string; type: string }[];
  readonly columnChanges: readonly ColumnChange[];
  readonly files: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] };
  readonly rows?: RowDiff;
}

const FIGURES: readonly (keyof ColumnProfile)[] = ['type', 'nullCount', 'distinctCount', 'min', 'max', 'mean', 'std', 'q25', 'q50', 'q75'];

/** Schema and per-column profile changes between two versions, plus which files were added, removed or changed. */
export function diffVersions(a: DatasetVersion, b: DatasetVersion): VersionDiff {
  const before = new Map((a.profile ?? a.schema ?? []).map((c) => [c.name, c as Partial<ColumnProfile>]));
  const after = new Map((b.profile ?? b.schema ?? []).map((c) => [c.name, c as Partial<ColumnProfile>]));
  const columnChanges: ColumnChange[] = [];
  for (const [name, old] of before) {
    const now = after.get(name);
    if (!now) continue;
    const changes = Object.fromEntries(FIGURES.filter((f) => old[f] !== now[f]).map((f) => [f, [old[f] ?? null, now[f] ?? null] as const]));
    if (Object.keys(changes).length > 0) columnChanges.push({ column: name, changes });
  }
  const filesA = new Map(a.files.map((f) => [f.path, f.sha256]));
  const filesB = new Map(b.files.map((f) => [f.path, f.sha256]));
  const column = (c: Partial<ColumnProfile>) => ({ name: c.name!, type: c.type! });
  return {
    from: `${a.name}@${a.version}`, to: `${b.name}@${b.version}`, sameContent: a.digest === b.digest,
    rowCount: [a.rowCount, b.rowCount],
    addedColumns: [...after.values()].filter((c) => !before.has(c.name!)).map(column),
    removedColumns: [...before.values()].filter((c) => !after.has(c.name!)).map(column),
    columnChanges,
    files: {
      added: [...filesB.keys()].filter((p) => !filesA.has(p)),
      removed: [...filesA.keys()].filter((p) => !filesB.has(p)),
      changed: [...filesB].filter(([p, sha]) => filesA.has(p) && filesA.get(p) !== sha).map(([p]) => p),
    },
  };
}

/**
 * Added, removed and changed rows by key, computed by DuckDB with set operations over both tables (all the
 * parts of each). When columns were added or removed, rows are compared on the columns both have.
 */
export async function diffRows(from: TableFiles, to: TableFiles, key: string): Promise<RowDiff> {
  const tables = await openTables([from, to]);
  const run = async (query: string) => (await (await tables.connection.run(query)).getRowObjectsJson()) as Record<string, unknown>[];
  try {
    for (const [i, f] of [from, to].entries()) {
      if (!tables.types[i]!.has(key)) throw invalid(`Key column '${key}' does not exist in ${('local' in f ? [f] : f).map((p) => `'${p.name}'`).join(', ')}`);
    }
    const [before, after] = [[...tables.types[0]!.keys()], [...tables.types[1]!.keys()]];
    const compared = before.filter((c) => after.includes(c));
    const columns = compared.map(quoteIdent).join(', ');
    const k = quoteIdent(key);
    const [a, b] = tables.sources as [string, string];
    const only = (x: string, y: string) => `SELECT ${k}::VARCHAR AS k FROM ${x} WHERE ${k} IS NOT NULL EXCEPT SELECT ${k}::VARCHAR FROM ${y}`;
    const changed = `SELECT DISTINCT ${k}::VARCHAR AS k FROM (SELECT ${columns} FROM ${b} EXCEPT SELECT ${columns} FROM ${a}) WHERE ${k}::VARCHAR IN (SELECT ${k}::VARCHAR FROM ${a})`;
    const count = async (q: string) => Number((await run(`SELECT count(*)::DOUBLE AS n FROM (${q})`))[0]?.n ?? 0);
    const sample = async (q: string) => (await run(`SELECT k FROM (${q}) ORDER BY k LIMIT ${SAMPLE}`)).map((r) => String(r.k));
    return {
      key,
      added: await count(only(b, a)),
      removed: await count(only(a, b)),
      changed: await count(changed),
      columns: { compared, added: after.filter((c) => !before.includes(c)), removed: before.filter((c) => !after.includes(c)) },
      sample: { added: await sample(only(b, a)), removed: await sample(only(a, b)), changed: await sample(changed) },
    };
  } finally {
    await tables.close();
  }
}
