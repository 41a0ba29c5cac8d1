import { useEffect, useMemo, useRef, useState } from 'react';
import { ObjectPermissions } from '../../components/permissions-panel';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { ApiError } from '../../api/client';
import { trackingApi, type Run } from '../../api/tracking';
import { FilterBox } from '../../components/filter-box';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatDuration, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { ColumnChooser } from './column-chooser';
import { availableColumns, cellValue, columnId, defaultColumns, orderKey, parseColumnId, toRow, type ColumnKind, type DataColumn, type RunRow } from './run-columns';
import { COLUMN_WIDTH, groupRuns, moveColumn, readView, writeView, type Aggregate, type RunView } from './run-view';
import { costApi } from '../../api/cost';
import { CostLine } from '../../components/cost';
import { ExperimentTabs } from './experiment-tabs';
import { SavedViews } from './saved-views';

const PAGE = 200;
/** Grouping summarises every matching run, so a grouped view loads them all, in bigger pages. */
const GROUPED_PAGE = 1000;
const ROW_HEIGHT = 32;
const OVERSCAN = 12;
const SELECT_WIDTH = 64;
const NAME_WIDTH = 220;
const DATA_WIDTH = 130;

const ATTRIBUTE_COLUMNS = [
  { label: 'Status', order: 'attributes.status', width: 100 },
  { label: 'Started', order: 'attributes.start_time', width: 190 },
  { label: 'Duration', order: undefined, width: 110 },
  { label: 'User', order: 'attributes.user_id', width: 120 },
] as const;

const KIND_LABELS: Record<ColumnKind, string> = { metric: 'Metrics', param: 'Parameters', tag: 'Tags' };
const AGGREGATES = ['mean', 'min', 'max'] as const;
type AggregateName = (typeof AGGREGATES)[number];

function storedColumns(experimentId: string): DataColumn[] | undefined {
  try {
    const raw = localStorage.getItem(`openexpert.columns.${experimentId}`);
    if (!raw) return undefined;
    return (JSON.parse(raw) as string[]).map(parseColumnId).filter((c): c is DataColumn => c !== undefined);
  } catch {
    return undefined;
  }
}

/** `metrics.acc DESC` → the sort state of the column whose order key is `metrics.acc`. */
function splitOrder(order: string): { key: string; desc: boolean } | undefined {
  const m = /^(.*?)\s+(ASC|DESC)$/i.exec(order.trim());
  if (!order.trim()) return undefined;
  return m ? { key: m[1]!, desc: m[2]!.toUpperCase() === 'DESC' } : { key: order.trim(), desc: false };
}

/** The view in the URL, and a setter that keeps the other query parameters (chart settings) as they are. */
export function useRunView(): [RunView, (changes: Partial<RunView>) => void] {
  const [params, setParams] = useSearchParams();
  const view = useMemo(() => readView(params), [params]);
  return [view, (changes) => setParams(writeView({ ...view, ...changes }, params))];
}

export function RunsPage() {
  const { experimentId = '' } = useParams();
  // A new experiment starts with its own columns and selection.
  return <RunsView key={experimentId} experimentId={experimentId} />;
}

type TableItem = { kind: 'run'; row: RunRow } | { kind: 'group'; value: string | undefined; count: number; aggregates: ReadonlyMap<string, Aggregate>; open: boolean };

function RunsView({ experimentId }: { experimentId: string }) {
  const navigate = useNavigate();
  const [view, setView] = useRunView();
  const { filter, order, groupBy } = view;
  const experiment = useApi((signal) => trackingApi.getExperiment(experimentId, signal), [experimentId]);
  useTitle(experiment.data ? `${experiment.data.name} · runs` : 'Runs');

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [closed, setClosed] = useState<ReadonlySet<string>>(new Set());
  const [shownAggregate, setShownAggregate] = useState<AggregateName>('mean');

  const grouped = groupBy !== undefined;
  const query = useMemo(
    () => ({ experimentIds: [experimentId], filter: filter || undefined, orderBy: order ? [order] : undefined, maxResults: grouped ? GROUPED_PAGE : PAGE }),
    [experimentId, filter, order, grouped],
  );
  // The loaded pages belong to the query they answer; a new filter or order starts from its own first page.
  const [result, setResult] = useState<{ query: typeof query; rows: RunRow[]; total?: number | undefined; nextToken?: string | undefined; error?: unknown }>();
  const loadingMore = useRef(false);
  useEffect(() => {
    const controller = new AbortController();
    trackingApi.searchRuns({ ...query, includeCount: true }, controller.signal).then(
      (page) => setResult({ query, rows: page.items.map(toRow), total: page.totalCount, nextToken: page.nextPageToken }),
      (error: unknown) => { if (!controller.signal.aborted) setResult({ query, rows: [], error }); },
    );
    return () => controller.abort();
  }, [query]);
  const current = result?.query === query ? result : undefined;
  const rows = useMemo(() => current?.rows ?? [], [current]);
  const total = current?.total;
  const nextToken = current?.nextToken;
  const state = { loading: !current, error: current?.error };

  const loadMore = async () => {
    if (!current?.nextToken || loadingMore.current) return;
    loadingMore.current = true;
    try {
      const page = await trackingApi.searchRuns({ ...query, pageToken: current.nextToken });
      setResult((r) => (r?.query === query ? { ...r, rows: [...r.rows, ...page.items.map(toRow)], nextToken: page.nextPageToken } : r));
    } catch (error) {
      setResult((r) => (r?.query === query ? { ...r, nextToken: undefined, error } : r));
    } finally {
      loadingMore.current = false;
    }
  };
  // Groups and their aggregates are over every matching run: keep loading while grouped.
  useEffect(() => {
    if (grouped && nextToken) void loadMore();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- loadMore reads the current page state
  }, [grouped, nextToken]);

  const available = useMemo(() => availableColumns(rows), [rows]);
  const chosen = view.columns ?? storedColumns(experimentId);
  // Metrics, then params, then tags: each kind under one grouped header.
  const columns = useMemo(() => {
    const cols = chosen ?? defaultColumns(available);
    return (['metric', 'param', 'tag'] as const).flatMap((k) => cols.filter((c) => c.kind === k));
  }, [chosen, available]);
  const chooseColumns = (next: DataColumn[]) => {
    setView({ columns: next });
    localStorage.setItem(`openexpert.columns.${experimentId}`, JSON.stringify(next.map(columnId)));
  };
  // Widths being dragged live here until the pointer is let go; then they go into the view (the URL).
  const [dragWidths, setDragWidths] = useState<ReadonlyMap<string, number>>();
  const widths = dragWidths ?? view.widths;
  const resize = (id: string, px: number, done: boolean) => {
    const next = new Map(view.widths).set(id, px);
    if (done) {
      setDragWidths(undefined);
      setView({ widths: next });
    } else setDragWidths(next);
  };
  const [dragged, setDragged] = useState<DataColumn>();
  const headerGroups = useMemo(() => {
    const out: { kind: ColumnKind; span: number }[] = [];
    for (const c of columns) {
      const last = out[out.length - 1];
      if (last?.kind === c.kind) last.span++;
      else out.push({ kind: c.kind, span: 1 });
    }
    return out;
  }, [columns]);

  const items = useMemo<TableItem[]>(() => {
    if (!groupBy) return rows.map((row) => ({ kind: 'run', row }));
    return groupRuns(rows, groupBy, columns).flatMap((g): TableItem[] => {
      const open = !closed.has(g.value ?? '\u0000');
      return [{ kind: 'group', value: g.value, count: g.rows.length, aggregates: g.aggregates, open }, ...(open ? g.rows.map((row) => ({ kind: 'run' as const, row })) : [])];
    });
  }, [rows, groupBy, columns, closed]);
  const toggleGroup = (value: string | undefined) =>
    setClosed((s) => {
      const key = value ?? '\u0000';
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const sortBy = (key: string) => {
    const current = splitOrder(order);
    // Highest first on the first click (what people want for metrics), then lowest first, then the server's default.
    const next = current?.key !== key ? `${key} DESC` : current.desc ? `${key} ASC` : '';
    setView({ order: next });
  };
  const sortState = (key: string | undefined): 'ascending' | 'descending' | undefined => {
    const current = splitOrder(order);
    if (!key || current?.key !== key) return undefined;
    return current.desc ? 'descending' : 'ascending';
  };

  // Virtualization: only the rows in view (plus a margin) are rendered; spacer rows keep the scroll height.
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 800 });
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    setViewport({ top: el.scrollTop, height: el.clientHeight });
    if (el.scrollTop + el.clientHeight >= el.scrollHeight - OVERSCAN * ROW_HEIGHT) void loadMore();
  };
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewport({ top: el.scrollTop, height: el.clientHeight }));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    scroller.current?.scrollTo({ top: 0 });
  }, [query]);
  const first = Math.max(0, Math.floor(viewport.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((viewport.top + viewport.height) / ROW_HEIGHT) + OVERSCAN);

  const serverError = state.error instanceof ApiError && state.error.status === 400 ? state.error.message : undefined;
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleHidden = (id: string) => {
    const next = new Set(view.hidden);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setView({ hidden: next });
  };

  if (experiment.error) return <ErrorMessage error={experiment.error} what="experiment" />;
  const colCount = 2 + ATTRIBUTE_COLUMNS.length + columns.length;
  const groupable = [...available.param.map((key) => ({ kind: 'param' as const, key })), ...available.tag.map((key) => ({ kind: 'tag' as const, key }))];
  const countText = state.loading
    ? 'Loading runs…'
    : total !== undefined
      ? `${total.toLocaleString('en-US')} run${total === 1 ? '' : 's'}`
      : `${rows.length}${nextToken ? '+' : ''} runs`;
  return (
    <section aria-labelledby="runs-title">
      <p className="muted"><Link to="/experiments">Experiments</Link> /</p>
      <h1 id="runs-title">{experiment.data?.name ?? 'Experiment'} <span className="muted mono">#{experimentId}</span></h1>
      <ExperimentTabs experimentId={experimentId} current="runs" />
      <CostLine load={(signal) => costApi.experiment(experimentId, signal)} what="its runs" deps={[experimentId]} />
      <div className="toolbar">
        <FilterBox value={filter} onApply={(f) => setView({ filter: f })} serverError={serverError} />
      </div>
      <div className="toolbar">
        <ColumnChooser available={available} chosen={columns} onChange={chooseColumns} />
        {view.widths.size > 0 ? <button type="button" onClick={() => setView({ widths: new Map() })}>Reset column widths</button> : null}
        <label htmlFor="group-by">Group by</label>
        <select id="group-by" value={groupBy ? columnId(groupBy) : ''} onChange={(e) => setView({ groupBy: parseColumnId(e.target.value) })}>
          <option value="">no grouping</option>
          {groupable.map((c) => <option key={columnId(c)} value={columnId(c)}>{c.kind === 'param' ? 'param' : 'tag'} {c.key}</option>)}
          {groupBy && !groupable.some((c) => columnId(c) === columnId(groupBy)) ? <option value={columnId(groupBy)}>{groupBy.kind} {groupBy.key}</option> : null}
        </select>
        {grouped ? (
          <>
            <label htmlFor="group-aggregate">Group rows show</label>
            <select id="group-aggregate" value={shownAggregate} onChange={(e) => setShownAggregate(e.target.value as AggregateName)}>
              {AGGREGATES.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          </>
        ) : null}
        <button type="button" className="primary" disabled={selected.size < 1} onClick={() => navigate(`/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`)}>
          Compare selected ({selected.size})
        </button>
        {selected.size > 0 ? (
          <>
            <button type="button" onClick={() => setView({ hidden: new Set([...view.hidden, ...selected]) })}>Hide selected in charts</button>
            <button type="button" onClick={() => setSelected(new Set())}>Clear selection</button>
          </>
        ) : null}
        {view.hidden.size > 0 ? <button type="button" onClick={() => setView({ hidden: new Set() })}>Show all runs ({view.hidden.size} hidden)</button> : null}
        <span role="status" aria-live="polite" data-testid="run-count">{countText}</span>
        {!state.loading && nextToken ? <span className="muted" data-testid="loaded-count">{rows.length.toLocaleString('en-US')} loaded, more as you scroll</span> : null}
      </div>
      <SavedViews experimentId={experimentId} />
      {state.error && !serverError ? <ErrorMessage error={state.error} what="runs" /> : null}
      {state.loading && rows.length === 0 ? <Loading what="runs" /> : null}
      <div className="table-scroll" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Runs table, scrollable">
        <table className="runs-table" aria-rowcount={items.length + 2}>
          <colgroup>
            <col style={{ width: SELECT_WIDTH }} />
            <col style={{ width: widths.get('name') ?? NAME_WIDTH }} />
            {ATTRIBUTE_COLUMNS.map((c) => <col key={c.label} style={{ width: c.width }} />)}
            {columns.map((c) => <col key={columnId(c)} style={{ width: widths.get(columnId(c)) ?? DATA_WIDTH }} />)}
          </colgroup>
          <thead>
            <tr aria-rowindex={1} className="header-groups">
              <th scope="colgroup" colSpan={2} className="pin pin-0">Run</th>
              <th scope="colgroup" colSpan={ATTRIBUTE_COLUMNS.length}>Attributes</th>
              {headerGroups.map((g, i) => <th key={`${g.kind}${i}`} scope="colgroup" colSpan={g.span} className={`group-${g.kind}`}>{KIND_LABELS[g.kind]}</th>)}
            </tr>
            <tr aria-rowindex={2} className="header-columns">
              <th scope="col" className="pin pin-0"><span className="visually-hidden">Select and show in charts</span></th>
              <th scope="col" className="pin pin-1" aria-sort={sortState('attributes.run_name')}>
                <button type="button" className="sort" onClick={() => sortBy('attributes.run_name')}>Name{arrow(sortState('attributes.run_name'))}</button>
                <ColumnResizer label="Name" width={widths.get('name') ?? NAME_WIDTH} onResize={(px, done) => resize('name', px, done)} />
              </th>
              {ATTRIBUTE_COLUMNS.map((c) => (
                <th scope="col" key={c.label} aria-sort={sortState(c.order)}>
                  {c.order ? <button type="button" className="sort" onClick={() => sortBy(c.order!)}>{c.label}{arrow(sortState(c.order))}</button> : c.label}
                </th>
              ))}
              {columns.map((c) => {
                const key = orderKey(c);
                return (
                  <th scope="col" key={columnId(c)} aria-sort={sortState(key)} title={`${c.kind} ${c.key}`}
                    className={`group-${c.kind}${dragged && dragged.kind === c.kind && columnId(dragged) !== columnId(c) ? ' drop-target' : ''}`}
                    draggable onDragStart={(e) => { e.dataTransfer.setData('text/plain', columnId(c)); e.dataTransfer.effectAllowed = 'move'; setDragged(c); }}
                    onDragEnd={() => setDragged(undefined)}
                    onDragOver={(e) => { if (dragged?.kind === c.kind) e.preventDefault(); }}
                    onDrop={(e) => {
                      e.preventDefault();
                      const from = e.dataTransfer.getData('text/plain') || (dragged ? columnId(dragged) : '');
                      setDragged(undefined);
                      if (from && from !== columnId(c)) chooseColumns(moveColumn(columns, from, columnId(c)));
                    }}>
                    <button type="button" className="sort" onClick={() => sortBy(key)}>{c.key}{arrow(sortState(key))}</button>
                    <ColumnResizer label={c.key} width={widths.get(columnId(c)) ?? DATA_WIDTH} onResize={(px, done) => resize(columnId(c), px, done)} />
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {first > 0 ? <tr className="spacer" aria-hidden="true"><td colSpan={colCount} style={{ height: first * ROW_HEIGHT }} /></tr> : null}
            {items.slice(first, last).map((item, i) =>
              item.kind === 'run' ? (
                <RunTableRow key={item.row.run.info.runId} row={item.row} index={first + i} columns={columns} selected={selected.has(item.row.run.info.runId)}
                  hidden={view.hidden.has(item.row.run.info.runId)} onToggle={toggle} onToggleHidden={toggleHidden} />
              ) : (
                <GroupRow key={`group:${item.value ?? ''}`} item={item} by={groupBy!} index={first + i} attributeCount={ATTRIBUTE_COLUMNS.length} columns={columns} shown={shownAggregate} onToggle={toggleGroup} />
              ),
            )}
            {last < items.length ? <tr className="spacer" aria-hidden="true"><td colSpan={colCount} style={{ height: (items.length - last) * ROW_HEIGHT }} /></tr> : null}
          </tbody>
        </table>
        {!state.loading && !state.error && rows.length === 0 ? (
          <div className="empty-state">
            {filter ? <p>No runs match this filter.</p> : (
              <>
                <p>No runs in this experiment yet. Log one with the MLflow client:</p>
                <pre>{`MLFLOW_TRACKING_URI=${location.origin} python -c "import mlflow; mlflow.set_experiment('${experiment.data?.name ?? ''}'); mlflow.start_run(); mlflow.log_metric('acc', 0.9)"`}</pre>
              </>
            )}
          </div>
        ) : null}
      </div>
      <ObjectPermissions kind="experiment" id={experimentId} />
    </section>
  );
}

const clampWidth = (px: number) => Math.round(Math.min(COLUMN_WIDTH.max, Math.max(COLUMN_WIDTH.min, px)));

/**
 * The handle on a header's right edge: drag it, or focus it and press ← / → (16 px a press). The width is
 * kept in the view when the pointer is let go.
 */
function ColumnResizer({ label, width, onResize }: { label: string; width: number; onResize(px: number, done: boolean): void }) {
  const start = useRef<{ x: number; width: number }>(undefined);
  // Key presses faster than the view updates add up from the last width asked for, not the one drawn.
  const asked = useRef<number>(undefined);
  useEffect(() => { asked.current = undefined; }, [width]);
  const at = (clientX: number) => clampWidth(start.current!.width + clientX - start.current!.x);
  return (
    <span role="separator" aria-orientation="vertical" aria-label={`Resize column ${label}`} aria-valuenow={width} aria-valuemin={COLUMN_WIDTH.min} aria-valuemax={COLUMN_WIDTH.max}
      tabIndex={0} className="col-resizer" draggable={false} data-testid="column-resizer"
      onDragStart={(e) => { e.preventDefault(); e.stopPropagation(); }}
      onPointerDown={(e) => { e.preventDefault(); e.stopPropagation(); e.currentTarget.setPointerCapture(e.pointerId); start.current = { x: e.clientX, width }; }}
      onPointerMove={(e) => { if (start.current) onResize(at(e.clientX), false); }}
      onPointerUp={(e) => { if (start.current) { onResize(at(e.clientX), true); start.current = undefined; } }}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        e.preventDefault();
        asked.current = clampWidth((asked.current ?? width) + (e.key === 'ArrowRight' ? 16 : -16));
        onResize(asked.current, true);
      }} />
  );
}

const arrow = (s: 'ascending' | 'descending' | undefined) => (s === 'ascending' ? ' ▲' : s === 'descending' ? ' ▼' : '');

function GroupRow({ item, by, index, attributeCount, columns, shown, onToggle }: {
  item: Extract<TableItem, { kind: 'group' }>; by: DataColumn; index: number; attributeCount: number; columns: DataColumn[]; shown: AggregateName; onToggle(value: string | undefined): void;
}) {
  const label = `${by.key} = ${item.value ?? '(not set)'}`;
  return (
    <tr aria-rowindex={index + 3} className="group-row" data-testid="group-row">
      <td className="pin pin-0" />
      <td className="pin pin-1">
        <button type="button" className="link" aria-expanded={item.open} onClick={() => onToggle(item.value)}>
          {item.open ? '▾' : '▸'} {label} <span className="muted">({item.count} run{item.count === 1 ? '' : 's'})</span>
        </button>
      </td>
      <td colSpan={attributeCount} className="muted">{shown} over the group</td>
      {columns.map((c) => {
        const a = item.aggregates.get(columnId(c));
        if (c.kind !== 'metric' || !a) return <td key={columnId(c)} />;
        return (
          <td key={columnId(c)} className="num" title={`mean ${formatNumber(a.mean)}, min ${formatNumber(a.min)}, max ${formatNumber(a.max)} over ${a.count} runs`}>
            {formatNumber(a[shown])}
          </td>
        );
      })}
    </tr>
  );
}

function RunTableRow({ row, index, columns, selected, hidden, onToggle, onToggleHidden }: {
  row: RunRow; index: number; columns: DataColumn[]; selected: boolean; hidden: boolean; onToggle(id: string): void; onToggleHidden(id: string): void;
}) {
  const { info } = row.run;
  const name = info.runName || info.runId;
  return (
    <tr aria-rowindex={index + 3} aria-selected={selected} className={hidden ? 'hidden-run' : undefined}>
      <td className="pin pin-0">
        <input type="checkbox" checked={selected} onChange={() => onToggle(info.runId)} aria-label={`Select run ${name}`} />
        <button type="button" className="eye" aria-pressed={!hidden} aria-label={`Show run ${name} in charts`} title={hidden ? 'Hidden in charts' : 'Shown in charts'} onClick={() => onToggleHidden(info.runId)}>
          {hidden ? '○' : '●'}
        </button>
      </td>
      <td className="pin pin-1"><Link to={`/runs/${encodeURIComponent(info.runId)}`}>{name}</Link></td>
      <td className={`status status-${info.status}`}>{info.status}</td>
      <td>{formatTime(info.startTime)}</td>
      <td>{formatDuration(runDuration(row.run))}</td>
      <td>{info.userId}</td>
      {columns.map((c) => {
        const v = cellValue(row, c);
        return <td key={columnId(c)} className={typeof v === 'number' ? 'num' : undefined} title={v === undefined ? undefined : String(v)}>{typeof v === 'number' ? formatNumber(v) : v}</td>;
      })}
    </tr>
  );
}

export const runDuration = (run: Run): number | undefined =>
  run.info.endTime ? run.info.endTime - run.info.startTime : run.info.status === 'RUNNING' ? Date.now() - run.info.startTime : undefined;
