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
import { availableColumns, cellValue, columnId, defaultColumns, orderKey, parseColumnId, toRow, type DataColumn, type RunRow } from './run-columns';

const PAGE = 200;
const ROW_HEIGHT = 32;
const OVERSCAN = 12;

const ATTRIBUTE_COLUMNS = [
  { label: 'Run', order: 'attributes.run_name', width: 220 },
  { label: 'Status', order: 'attributes.status', width: 100 },
  { label: 'Started', order: 'attributes.start_time', width: 190 },
  { label: 'Duration', order: undefined, width: 110 },
  { label: 'User', order: 'attributes.user_id', width: 120 },
] as const;

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

export function RunsPage() {
  const { experimentId = '' } = useParams();
  // A new experiment starts with its own columns and selection.
  return <RunsView key={experimentId} experimentId={experimentId} />;
}

function RunsView({ experimentId }: { experimentId: string }) {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const filter = params.get('filter') ?? '';
  const order = params.get('order') ?? '';
  const experiment = useApi((signal) => trackingApi.getExperiment(experimentId, signal), [experimentId]);
  useTitle(experiment.data ? `${experiment.data.name} · runs` : 'Runs');

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [chosen, setChosen] = useState<DataColumn[] | undefined>(() => storedColumns(experimentId));

  const query = useMemo(
    () => ({ experimentIds: [experimentId], filter: filter || undefined, orderBy: order ? [order] : undefined, maxResults: PAGE }),
    [experimentId, filter, order],
  );
  // The loaded pages belong to the query they answer; a new filter or order starts from its own first page.
  const [result, setResult] = useState<{ query: typeof query; rows: RunRow[]; nextToken?: string | undefined; error?: unknown }>();
  const loadingMore = useRef(false);
  useEffect(() => {
    const controller = new AbortController();
    trackingApi.searchRuns(query, controller.signal).then(
      (page) => setResult({ query, rows: page.items.map(toRow), nextToken: page.nextPageToken }),
      (error: unknown) => { if (!controller.signal.aborted) setResult({ query, rows: [], error }); },
    );
    return () => controller.abort();
  }, [query]);
  const current = result?.query === query ? result : undefined;
  const rows = useMemo(() => current?.rows ?? [], [current]);
  const nextToken = current?.nextToken;
  const state = { loading: !current, error: current?.error };

  const loadMore = async () => {
    if (!current?.nextToken || loadingMore.current) return;
    loadingMore.current = true;
    try {
      const page = await trackingApi.searchRuns({ ...query, pageToken: current.nextToken });
      setResult((r) => (r?.query === query ? { query, rows: [...r.rows, ...page.items.map(toRow)], nextToken: page.nextPageToken } : r));
    } catch (error) {
      setResult((r) => (r?.query === query ? { ...r, nextToken: undefined, error } : r));
    } finally {
      loadingMore.current = false;
    }
  };

  const available = useMemo(() => availableColumns(rows), [rows]);
  const columns = chosen ?? defaultColumns(available);
  const chooseColumns = (next: DataColumn[]) => {
    setChosen(next);
    localStorage.setItem(`openexpert.columns.${experimentId}`, JSON.stringify(next.map(columnId)));
  };

  const setQuery = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next);
  };

  const sortBy = (key: string) => {
    const current = splitOrder(order);
    // Highest first on the first click (what people want for metrics), then lowest first, then the server's default.
    const next = current?.key !== key ? `${key} DESC` : current.desc ? `${key} ASC` : '';
    setQuery({ order: next });
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
  const last = Math.min(rows.length, Math.ceil((viewport.top + viewport.height) / ROW_HEIGHT) + OVERSCAN);

  const serverError = state.error instanceof ApiError && state.error.status === 400 ? state.error.message : undefined;
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  if (experiment.error) return <ErrorMessage error={experiment.error} what="experiment" />;
  const colCount = 1 + ATTRIBUTE_COLUMNS.length + columns.length;
  return (
    <section aria-labelledby="runs-title">
      <p className="muted"><Link to="/experiments">Experiments</Link> /</p>
      <h1 id="runs-title">{experiment.data?.name ?? 'Experiment'} <span className="muted mono">#{experimentId}</span></h1>
      <div className="toolbar">
        <FilterBox value={filter} onApply={(f) => setQuery({ filter: f })} serverError={serverError} />
      </div>
      <div className="toolbar">
        <ColumnChooser available={available} chosen={columns} onChange={chooseColumns} />
        <button type="button" className="primary" disabled={selected.size < 1} onClick={() => navigate(`/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`)}>
          Compare selected ({selected.size})
        </button>
        {selected.size > 0 ? <button type="button" onClick={() => setSelected(new Set())}>Clear selection</button> : null}
        <span role="status" aria-live="polite" data-testid="run-count">
          {state.loading ? 'Loading runs…' : `${rows.length}${nextToken ? '+' : ''} run${rows.length === 1 && !nextToken ? '' : 's'}${nextToken ? ' (more load as you scroll)' : ''}`}
        </span>
      </div>
      {state.error && !serverError ? <ErrorMessage error={state.error} what="runs" /> : null}
      {state.loading && rows.length === 0 ? <Loading what="runs" /> : null}
      <div className="table-scroll" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Runs table, scrollable">
        <table className="runs-table" aria-rowcount={rows.length + 1}>
          <colgroup>
            <col style={{ width: 40 }} />
            {ATTRIBUTE_COLUMNS.map((c) => <col key={c.label} style={{ width: c.width }} />)}
            {columns.map((c) => <col key={columnId(c)} style={{ width: 130 }} />)}
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col"><span className="visually-hidden">Select</span></th>
              {ATTRIBUTE_COLUMNS.map((c) => (
                <th scope="col" key={c.label} aria-sort={sortState(c.order)}>
                  {c.order ? <button type="button" className="sort" onClick={() => sortBy(c.order!)}>{c.label}{arrow(sortState(c.order))}</button> : c.label}
                </th>
              ))}
              {columns.map((c) => {
                const key = orderKey(c);
                return (
                  <th scope="col" key={columnId(c)} aria-sort={sortState(key)} title={`${c.kind} ${c.key}`}>
                    <button type="button" className="sort" onClick={() => sortBy(key)}>
                      <span className="muted">{c.kind === 'metric' ? 'm' : c.kind === 'param' ? 'p' : 't'}:</span>{c.key}{arrow(sortState(key))}
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {first > 0 ? <tr className="spacer" aria-hidden="true"><td colSpan={colCount} style={{ height: first * ROW_HEIGHT }} /></tr> : null}
            {rows.slice(first, last).map((row, i) => (
              <RunTableRow key={row.run.info.runId} row={row} index={first + i} columns={columns} selected={selected.has(row.run.info.runId)} onToggle={toggle} />
            ))}
            {last < rows.length ? <tr className="spacer" aria-hidden="true"><td colSpan={colCount} style={{ height: (rows.length - last) * ROW_HEIGHT }} /></tr> : null}
          </tbody>
        </table>
        {!state.loading && !state.error && rows.length === 0 ? <p style={{ padding: '0 0.5rem' }}>{filter ? 'No runs match this filter.' : 'No runs in this experiment yet.'}</p> : null}
      </div>
      <ObjectPermissions kind="experiment" id={experimentId} />
    </section>
  );
}

const arrow = (s: 'ascending' | 'descending' | undefined) => (s === 'ascending' ? ' ▲' : s === 'descending' ? ' ▼' : '');

function RunTableRow({ row, index, columns, selected, onToggle }: { row: RunRow; index: number; columns: DataColumn[]; selected: boolean; onToggle(id: string): void }) {
  const { info } = row.run;
  const name = info.runName || info.runId;
  return (
    <tr aria-rowindex={index + 2} aria-selected={selected}>
      <td><input type="checkbox" checked={selected} onChange={() => onToggle(info.runId)} aria-label={`Select run ${name}`} /></td>
      <td><Link to={`/runs/${encodeURIComponent(info.runId)}`}>{name}</Link></td>
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
