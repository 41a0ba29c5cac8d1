import { columnId, parseColumnId, cellValue, type DataColumn, type RunRow } from './run-columns';

/**
 * What a view of an experiment's runs is: the filter and order the server applies, and what the table and the
 * chart workspace show. It lives in the URL (so a link shows the same view) and a saved view stores that query.
 */
export interface RunView {
  readonly filter: string;
  readonly order: string;
  /** undefined: the default columns. */
  readonly columns: DataColumn[] | undefined;
  /** A param or tag column whose values group the runs. */
  readonly groupBy: DataColumn | undefined;
  /** Runs left out of the charts (and greyed in the table). */
  readonly hidden: ReadonlySet<string>;
  /** undefined: a line panel for every metric (the automatic workspace). */
  readonly panels: Panel[] | undefined;
  /** Widths in pixels the user dragged table columns to, by column id (`name` for the run name). */
  readonly widths: ReadonlyMap<string, number>;
  /** Panels (by panel id) drawn across the whole width of the workspace. */
  readonly wide: ReadonlySet<string>;
}

/** The narrowest and widest a table column can be dragged to. */
export const COLUMN_WIDTH = { min: 60, max: 800 } as const;

export type Panel =
  | { readonly kind: 'line'; readonly metric: string }
  | { readonly kind: 'scatter'; readonly x: DataColumn; readonly y: DataColumn }
  | { readonly kind: 'parallel'; readonly dimensions: DataColumn[] };

/** A list in one query parameter: items joined by commas, each URI-encoded (keys may hold commas). */
const list = (value: string | null): string[] => (value ? value.split(',').filter(Boolean).map(decodeURIComponent) : []);
const joined = (items: readonly string[]) => items.map((s) => encodeURIComponent(s)).join(',');

export function panelId(p: Panel): string {
  if (p.kind === 'line') return `line:${p.metric}`;
  if (p.kind === 'scatter') return `scatter:${joined([columnId(p.x), columnId(p.y)])}`;
  return `parallel:${joined(p.dimensions.map(columnId))}`;
}

export function parsePanel(id: string): Panel | undefined {
  const at = id.indexOf(':');
  const kind = id.slice(0, at);
  const rest = id.slice(at + 1);
  if (kind === 'line' && rest) return { kind, metric: rest };
  const cols = () => list(rest).map(parseColumnId).filter((c): c is DataColumn => c !== undefined);
  if (kind === 'scatter') {
    const [x, y] = cols();
    return x && y ? { kind, x, y } : undefined;
  }
  if (kind === 'parallel') {
    const dimensions = cols();
    return dimensions.length >= 2 ? { kind, dimensions } : undefined;
  }
  return undefined;
}

/** Panels are kept one to a query parameter value (`panel=…&panel=…`): a panel id holds commas. */
export function readView(params: URLSearchParams): RunView {
  const cols = params.get('cols');
  const group = parseColumnId(params.get('group') ?? '');
  const panels = params.getAll('panel');
  return {
    filter: params.get('filter') ?? '',
    order: params.get('order') ?? '',
    columns: cols === null ? undefined : list(cols).map(parseColumnId).filter((c): c is DataColumn => c !== undefined),
    groupBy: group && group.kind !== 'metric' ? group : undefined,
    hidden: new Set(list(params.get('hide'))),
    panels: panels.length === 0 ? undefined : panels[0] === 'none' ? [] : panels.map(parsePanel).filter((p): p is Panel => p !== undefined),
    widths: new Map(list(params.get('widths')).flatMap((item): [string, number][] => {
      // `px:column id`: the id may hold colons, the width does not.
      const at = item.indexOf(':');
      const px = Number(item.slice(0, at));
      return at > 0 && Number.isInteger(px) && px >= COLUMN_WIDTH.min && px <= COLUMN_WIDTH.max ? [[item.slice(at + 1), px]] : [];
    })),
    wide: new Set(params.getAll('wide')),
  };
}

/** The view as query parameters, other parameters of `base` (the chart settings, say) kept. */
export function writeView(view: RunView, base = new URLSearchParams()): URLSearchParams {
  const next = new URLSearchParams(base);
  for (const k of ['filter', 'order', 'cols', 'group', 'hide', 'panel', 'widths', 'wide']) next.delete(k);
  if (view.filter) next.set('filter', view.filter);
  if (view.order) next.set('order', view.order);
  if (view.columns) next.set('cols', joined(view.columns.map(columnId)));
  if (view.groupBy) next.set('group', columnId(view.groupBy));
  if (view.hidden.size > 0) next.set('hide', joined([...view.hidden]));
  if (view.panels) {
    if (view.panels.length === 0) next.append('panel', 'none');
    for (const p of view.panels) next.append('panel', panelId(p));
  }
  if (view.widths.size > 0) next.set('widths', joined([...view.widths].map(([id, px]) => `${px}:${id}`)));
  for (const id of view.wide) next.append('wide', id);
  return next;
}

/**
 * The columns with `id` moved to where `target` is (before it when moving left, after it when moving right).
 * Columns of different kinds sit under different headers, so a column only moves among its own kind.
 */
export function moveColumn(columns: readonly DataColumn[], id: string, target: string): DataColumn[] {
  const from = columns.findIndex((c) => columnId(c) === id);
  const to = columns.findIndex((c) => columnId(c) === target);
  if (from < 0 || to < 0 || from === to || columns[from]!.kind !== columns[to]!.kind) return [...columns];
  const next = [...columns];
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved!);
  return next;
}

/** The column one place left (-1) or right (+1) of `id` among its kind, if there is one. */
export function neighbour(columns: readonly DataColumn[], id: string, direction: -1 | 1): string | undefined {
  const c = columns.find((x) => columnId(x) === id);
  const same = columns.filter((x) => x.kind === c?.kind);
  const at = same.findIndex((x) => columnId(x) === id);
  const n = at < 0 ? undefined : same[at + direction];
  return n ? columnId(n) : undefined;
}

/** Summary of one numeric column over a group's runs; runs without the value are left out of it. */
export interface Aggregate {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export interface RunGroup {
  /** The grouping value; undefined for runs that do not have it. */
  readonly value: string | undefined;
  readonly rows: RunRow[];
  readonly aggregates: ReadonlyMap<string, Aggregate>;
}

export function aggregate(values: readonly (number | undefined)[]): Aggregate | undefined {
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === undefined || !Number.isFinite(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return count === 0 ? undefined : { count, mean: sum / count, min, max };
}

/**
 * Runs grouped by the value of `by`, groups in the value's order (numbers numerically), runs without the value
 * last; each group carries mean, min and max of every metric column (keyed by column id).
 */
export function groupRuns(rows: readonly RunRow[], by: DataColumn, columns: readonly DataColumn[]): RunGroup[] {
  const groups = new Map<string | undefined, RunRow[]>();
  for (const row of rows) {
    const v = cellValue(row, by);
    const key = v === undefined ? undefined : String(v);
    const members = groups.get(key);
    if (members) members.push(row);
    else groups.set(key, [row]);
  }
  const numeric = [...groups.keys()].every((k) => k === undefined || (k.trim() !== '' && Number.isFinite(Number(k))));
  const keys = [...groups.keys()].sort((a, b) => {
    if (a === undefined) return b === undefined ? 0 : 1;
    if (b === undefined) return -1;
    return numeric ? Number(a) - Number(b) : a.localeCompare(b);
  });
  const metrics = columns.filter((c) => c.kind === 'metric');
  return keys.map((value) => {
    const members = groups.get(value)!;
    const aggregates = new Map<string, Aggregate>();
    for (const c of metrics) {
      const a = aggregate(members.map((r) => r.metrics.get(c.key)));
      if (a) aggregates.set(columnId(c), a);
    }
    return { value, rows: members, aggregates };
  });
}
