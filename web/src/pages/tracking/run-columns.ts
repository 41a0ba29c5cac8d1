import type { Run } from '../../api/tracking';
import { identifier } from '../../lib/search-filter';

/** A column of the runs table: a fixed attribute or one metric, param or tag key. */
export type ColumnKind = 'metric' | 'param' | 'tag';
export interface DataColumn {
  readonly kind: ColumnKind;
  readonly key: string;
}

export const columnId = (c: DataColumn) => `${c.kind}:${c.key}`;

export function parseColumnId(id: string): DataColumn | undefined {
  const at = id.indexOf(':');
  const kind = id.slice(0, at);
  return kind === 'metric' || kind === 'param' || kind === 'tag' ? { kind, key: id.slice(at + 1) } : undefined;
}

/** The order_by identifier a column sorts by. */
export function orderKey(c: DataColumn): string {
  return identifier(c.kind === 'metric' ? 'metrics' : c.kind === 'param' ? 'params' : 'tags', c.key);
}

/** Looked up once per run, not once per cell. */
export interface RunRow {
  readonly run: Run;
  readonly metrics: ReadonlyMap<string, number>;
  readonly params: ReadonlyMap<string, string>;
  readonly tags: ReadonlyMap<string, string>;
}

export const toRow = (run: Run): RunRow => ({
  run,
  metrics: new Map(run.data.metrics.map((m) => [m.key, m.value])),
  params: new Map(run.data.params.map((p) => [p.key, p.value])),
  tags: new Map(run.data.tags.map((t) => [t.key, t.value])),
});

export function cellValue(row: RunRow, c: DataColumn): string | number | undefined {
  return c.kind === 'metric' ? row.metrics.get(c.key) : c.kind === 'param' ? row.params.get(c.key) : row.tags.get(c.key);
}

/** Keys present in the loaded runs, by kind; MLflow's own bookkeeping tags are left out of the chooser. */
export function availableColumns(rows: readonly RunRow[]): Record<ColumnKind, string[]> {
  const metric = new Set<string>();
  const param = new Set<string>();
  const tag = new Set<string>();
  for (const r of rows) {
    for (const k of r.metrics.keys()) metric.add(k);
    for (const k of r.params.keys()) param.add(k);
    for (const k of r.tags.keys()) if (!k.startsWith('mlflow.')) tag.add(k);
  }
  const sorted = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b));
  return { metric: sorted(metric), param: sorted(param), tag: sorted(tag) };
}

/** Until the user chooses, show metrics and params side by side (the table scrolls sideways, the run name pinned). */
export const defaultColumns = (available: Record<ColumnKind, string[]>): DataColumn[] => [
  ...available.metric.slice(0, 12).map((key) => ({ kind: 'metric' as const, key })),
  ...available.param.slice(0, 12).map((key) => ({ kind: 'param' as const, key })),
];
