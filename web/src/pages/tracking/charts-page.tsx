import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { trackingApi } from '../../api/tracking';
import { LineChart, SERIES_COLORS } from '../../components/line-chart';
import { ErrorMessage, Loading } from '../../components/status';
import { ParallelCoordinates, ScatterPlot } from '../../components/svg-charts';
import { groupEnvelope } from '../../lib/chart-data';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { ChartControls, X_LABELS, type ChartSettings } from './chart-controls';
import { ExperimentTabs } from './experiment-tabs';
import { chartData, useChartSettings } from './metric-charts';
import { cellValue, columnId, parseColumnId, toRow, type DataColumn, type RunRow } from './run-columns';
import { groupRuns, panelId, type Panel } from './run-view';
import { useRunView } from './runs-page';
import { SavedViews } from './saved-views';

/** MLflow's bulk history endpoint takes at most 100 runs: the workspace charts the first 100 of the view. */
const MAX_RUNS = 100;
/**
 * Steps per run and metric the server samples (first and last step always among them): MLflow's own default
 * for its chart view, enough for a panel a third of a screen wide.
 */
const POINTS_PER_RUN = 320;
const SYNC_KEY = 'openexpert-workspace';
/** The legend starts open up to this many runs. */
const LEGEND_OPEN = 20;

const runLabel = (r: RunRow) => r.run.info.runName || r.run.info.runId.slice(0, 8);
const colLabel = (c: DataColumn) => `${c.kind === 'metric' ? 'metrics' : c.kind === 'param' ? 'params' : 'tags'}.${c.key}`;

export function ChartsPage() {
  const { experimentId = '' } = useParams();
  return <Workspace key={experimentId} experimentId={experimentId} />;
}

function Workspace({ experimentId }: { experimentId: string }) {
  const [view, setView] = useRunView();
  const [settings, setSettings] = useChartSettings();
  const experiment = useApi((signal) => trackingApi.getExperiment(experimentId, signal), [experimentId]);
  const experimentPath = `/experiments/${encodeURIComponent(experimentId)}`;
  useTitle(experiment.data ? `${experiment.data.name} · charts` : 'Charts', experiment.data ? { [experimentPath]: { label: experiment.data.name, to: experimentPath } } : undefined);
  const runs = useApi(
    (signal) => trackingApi.searchRuns({ experimentIds: [experimentId], filter: view.filter || undefined, orderBy: view.order ? [view.order] : undefined, maxResults: MAX_RUNS, includeCount: true }, signal),
    [experimentId, view.filter, view.order],
  );
  const rows = useMemo(() => (runs.data?.items ?? []).map(toRow), [runs.data]);
  const visible = useMemo(() => rows.filter((r) => !view.hidden.has(r.run.info.runId)), [rows, view.hidden]);
  const metrics = useMemo(() => [...new Set(visible.flatMap((r) => [...r.metrics.keys()]))].sort((a, b) => a.localeCompare(b)), [visible]);
  const params = useMemo(() => [...new Set(visible.flatMap((r) => [...r.params.keys()]))].sort((a, b) => a.localeCompare(b)), [visible]);
  // Brushing a scatter or parallel coordinates panel narrows the line panels and the legend to the runs inside.
  const [brush, setBrush] = useState<{ panel: string; ids: ReadonlySet<string> }>();
  const brushedIds = brush?.ids;
  const shown = useMemo(() => (brushedIds ? visible.filter((r) => brushedIds.has(r.run.info.runId)) : visible), [visible, brushedIds]);
  const panels: Panel[] = view.panels ?? metrics.map((metric) => ({ kind: 'line', metric }));
  const removePanel = (p: Panel) => {
    const wide = new Set(view.wide);
    wide.delete(panelId(p));
    setView({ panels: panels.filter((q) => panelId(q) !== panelId(p)), wide });
    if (brush?.panel === panelId(p)) setBrush(undefined);
  };
  // Parallel coordinates start across the whole width (an axis per dimension needs the room).
  const addPanel = (p: Panel) => setView({ panels: [...panels.filter((q) => panelId(q) !== panelId(p)), p], wide: p.kind === 'parallel' ? new Set([...view.wide, panelId(p)]) : view.wide });
  const toggleWide = (p: Panel) => {
    const wide = new Set(view.wide);
    if (wide.has(panelId(p))) wide.delete(panelId(p));
    else wide.add(panelId(p));
    // Saving the panels with their sizes: the automatic workspace becomes an explicit one.
    setView({ wide, panels });
  };
  // One colour per run in every panel and the legend.
  const colorOf = useMemo(() => new Map(visible.map((r, i) => [r.run.info.runId, SERIES_COLORS[i % SERIES_COLORS.length]!])), [visible]);
  const onBrush = (p: Panel) => (ids: string[] | undefined) => setBrush(ids ? { panel: panelId(p), ids: new Set(ids) } : undefined);

  if (experiment.error) return <ErrorMessage error={experiment.error} what="experiment" />;
  const total = runs.data?.totalCount;
  return (
    <section aria-labelledby="charts-title">
      <p className="muted"><Link to="/experiments">Experiments</Link> /</p>
      <h1 id="charts-title">{experiment.data?.name ?? 'Experiment'} <span className="muted mono">#{experimentId}</span></h1>
      <ExperimentTabs experimentId={experimentId} current="charts" />
      <div className="toolbar">
        <ChartControls value={settings} onChange={setSettings} />
        <span role="status" aria-live="polite" data-testid="chart-run-count">
          {runs.loading && !runs.data ? 'Loading runs…' : `${visible.length} run${visible.length === 1 ? '' : 's'} charted${total !== undefined && total > rows.length ? ` (the first ${rows.length} of ${total.toLocaleString('en-US')} matching)` : ''}${view.hidden.size ? `, ${rows.length - visible.length} hidden` : ''}`}
        </span>
        {view.filter ? <span className="muted">filter: <code>{view.filter}</code></span> : null}
        {view.groupBy ? <span className="muted">grouped by {view.groupBy.key}: mean lines, min–max bands</span> : null}
        {brush ? (
          <span data-testid="brush-status">
            Brushed: {shown.length} of {visible.length} runs{' '}
            <button type="button" onClick={() => setBrush(undefined)}>Clear brush</button>
          </span>
        ) : visible.length > 0 && panels.some((p) => p.kind !== 'line') ? <span className="muted">Drag across a scatter or along a parallel axis to pick runs.</span> : null}
      </div>
      <SavedViews experimentId={experimentId} />
      <AddPanel metrics={metrics} params={params} onAdd={addPanel} onReset={view.panels ? () => setView({ panels: undefined }) : undefined} />
      {runs.error ? <ErrorMessage error={runs.error} what="runs" /> : null}
      {runs.loading && !runs.data ? <Loading what="runs" /> : null}
      {runs.data && visible.length === 0 ? <p>No runs to chart: {rows.length ? 'every run of this view is hidden (show them in the runs table).' : 'log metrics to runs of this experiment, and a panel appears for each.'}</p> : null}
      {runs.data && visible.length > 0 && panels.length === 0 ? <p>No panels. Add one above, or go back to one panel per metric.</p> : null}
      {visible.length > 0 ? <Legend runs={shown} colorOf={colorOf} grouped={view.groupBy !== undefined} /> : null}
      <div className="workspace" data-testid="workspace">
        {visible.length > 0 ? panels.map((p) => {
          const wide = view.wide.has(panelId(p));
          return (
            <section key={panelId(p)} className={`chart-card${wide ? ' wide' : ''}`} aria-label={panelTitle(p)} data-testid="panel">
              <header>
                <h3>{panelTitle(p)}</h3>
                <span className="panel-actions">
                  <button type="button" aria-pressed={wide} onClick={() => toggleWide(p)} aria-label={`Full width: ${panelTitle(p)}`} title={wide ? 'Back to one column' : 'Across the whole width'}>
                    {wide ? 'Narrow' : 'Widen'}
                  </button>
                  <button type="button" onClick={() => removePanel(p)} aria-label={`Remove panel ${panelTitle(p)}`}>Remove</button>
                </span>
              </header>
              {p.kind === 'line' ? <WhenVisible><LinePanel metric={p.metric} runs={visible} shown={shown} colorOf={colorOf} settings={settings} groupBy={view.groupBy} /></WhenVisible> : null}
              {p.kind === 'scatter' ? (
                <ScatterPlot xLabel={colLabel(p.x)} yLabel={colLabel(p.y)} onBrush={onBrush(p)} selected={brush?.ids} brushed={brush?.panel === panelId(p)} points={visible.map((r) => {
                  const y = cellValue(r, p.y);
                  return { id: r.run.info.runId, color: colorOf.get(r.run.info.runId), label: runLabel(r), x: cellValue(r, p.x), y: typeof y === 'number' ? y : y === undefined ? undefined : Number(y) };
                })} />
              ) : null}
              {p.kind === 'parallel' ? (
                <ParallelCoordinates dimensions={p.dimensions.map(colLabel)} onBrush={onBrush(p)} selected={brush?.ids} brushed={brush?.panel === panelId(p)}
                  lines={visible.map((r) => ({ id: r.run.info.runId, color: colorOf.get(r.run.info.runId), label: runLabel(r), values: p.dimensions.map((d) => cellValue(r, d)) }))} />
              ) : null}
            </section>
          );
        }) : null}
      </div>
    </section>
  );
}

/**
 * A panel's histories load once it scrolls near the screen: a workspace of fifty metrics asks the server for the
 * few in view first, and the rest as the user scrolls.
 */
function WhenVisible({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const observer = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) setSeen(true); }, { rootMargin: '300px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, [seen]);
  return <div ref={ref} style={seen ? undefined : { minHeight: 260 }}>{seen ? children : null}</div>;
}

/** Which colour is which run: open by default while it is short. */
function Legend({ runs, colorOf, grouped }: { runs: readonly RunRow[]; colorOf: ReadonlyMap<string, string>; grouped: boolean }) {
  return (
    <details className="workspace-legend" open={runs.length <= LEGEND_OPEN} data-testid="legend">
      <summary>Legend: {runs.length} run{runs.length === 1 ? '' : 's'}{grouped ? ' (line panels draw one colour per group)' : ''}</summary>
      <ul className="legend">
        {runs.map((r) => (
          <li key={r.run.info.runId} className="legend-item">
            <span className="swatch" style={{ background: colorOf.get(r.run.info.runId) }} aria-hidden="true" />
            <Link to={`/runs/${encodeURIComponent(r.run.info.runId)}`}>{runLabel(r)}</Link>
          </li>
        ))}
      </ul>
    </details>
  );
}

function panelTitle(p: Panel): string {
  if (p.kind === 'line') return p.metric;
  if (p.kind === 'scatter') return `${p.y.key} against ${p.x.key}`;
  return `Parallel coordinates: ${p.dimensions.map((d) => d.key).join(', ')}`;
}

/** Adds a line chart of a metric, a scatter of two columns, or parallel coordinates over the params and a metric. */
function AddPanel({ metrics, params, onAdd, onReset }: { metrics: string[]; params: string[]; onAdd(p: Panel): void; onReset: (() => void) | undefined }) {
  const columns: DataColumn[] = [...params.map((key) => ({ kind: 'param' as const, key })), ...metrics.map((key) => ({ kind: 'metric' as const, key }))];
  const [kind, setKind] = useState<Panel['kind']>('line');
  const [metric, setMetric] = useState('');
  const [x, setX] = useState('');
  const m = metric || metrics[0] || '';
  const xc = x || (columns[0] ? columnId(columns[0]) : '');
  const add = (e: React.FormEvent) => {
    e.preventDefault();
    if (!m) return;
    if (kind === 'line') onAdd({ kind, metric: m });
    else if (kind === 'scatter') {
      const xcol = parseColumnId(xc);
      if (xcol) onAdd({ kind, x: xcol, y: { kind: 'metric', key: m } });
    } else {
      onAdd({ kind, dimensions: [...params.slice(0, 6).map((key) => ({ kind: 'param' as const, key })), { kind: 'metric', key: m }] });
    }
  };
  return (
    <form className="toolbar" onSubmit={add} aria-label="Add a panel">
      <label htmlFor="panel-kind">Add</label>
      <select id="panel-kind" value={kind} onChange={(e) => setKind(e.target.value as Panel['kind'])}>
        <option value="line">line chart</option>
        <option value="scatter">scatter</option>
        <option value="parallel">parallel coordinates</option>
      </select>
      {kind === 'scatter' ? (
        <>
          <label htmlFor="panel-x">X</label>
          <select id="panel-x" value={xc} onChange={(e) => setX(e.target.value)}>
            {columns.map((c) => <option key={columnId(c)} value={columnId(c)}>{colLabel(c)}</option>)}
          </select>
        </>
      ) : null}
      <label htmlFor="panel-metric">{kind === 'scatter' ? 'Y' : kind === 'parallel' ? 'with metric' : 'of'}</label>
      <select id="panel-metric" value={m} onChange={(e) => setMetric(e.target.value)}>
        {metrics.map((k) => <option key={k} value={k}>{k}</option>)}
      </select>
      <button type="submit" disabled={!m}>Add panel</button>
      {onReset ? <button type="button" onClick={onReset}>One panel per metric</button> : null}
    </form>
  );
}

/**
 * One metric over the runs: histories of all `runs` are fetched (one call), those of `shown` (the brushed
 * runs) drawn, so brushing does not ask the server again.
 */
function LinePanel({ metric, runs, shown, colorOf, settings, groupBy }: {
  metric: string; runs: RunRow[]; shown: RunRow[]; colorOf: ReadonlyMap<string, string>; settings: ChartSettings; groupBy: DataColumn | undefined;
}) {
  const fetched = useMemo(() => runs.filter((r) => r.metrics.has(metric)).map((r) => r.run.info.runId), [runs, metric]);
  const withKey = useMemo(() => shown.filter((r) => r.metrics.has(metric)), [shown, metric]);
  const ids = useMemo(() => withKey.map((r) => r.run.info.runId), [withKey]);
  const points = useApi((signal) => (fetched.length ? trackingApi.sampledHistories(fetched, [metric], POINTS_PER_RUN, signal) : Promise.resolve([])), [fetched.join(','), metric]);
  const chart = useMemo(() => {
    if (!points.data) return undefined;
    const byRun = new Map<string, { step: number; timestamp: number; value: number }[]>(ids.map((id) => [id, []]));
    for (const s of points.data) {
      const into = byRun.get(s.runId);
      if (into) for (let i = 0; i < s.steps.length; i++) into.push({ step: s.steps[i]!, timestamp: s.timestamps[i]!, value: s.values[i]! });
    }
    const data = chartData(ids.map((id) => byRun.get(id)!), settings);
    if (!groupBy) return { data, labels: withKey.map(runLabel), bands: undefined, colors: ids.map((id) => colorOf.get(id) ?? SERIES_COLORS[0]!) };
    // Grouped: one mean line per group and its min–max band.
    const [xs, ...ys] = data;
    const index = new Map(ids.map((id, i) => [id, i]));
    const groups = groupRuns(withKey, groupBy, []);
    const series: (number | null)[][] = [];
    const labels: string[] = [];
    const colors: string[] = [];
    const bands: { upper: number; lower: number; color: string }[] = [];
    groups.forEach((g, gi) => {
      const color = SERIES_COLORS[gi % SERIES_COLORS.length]!;
      const env = groupEnvelope(g.rows.map((r) => ys[index.get(r.run.info.runId)!]!), xs.length);
      const name = `${groupBy.key} = ${g.value ?? '(not set)'}`;
      bands.push({ upper: series.length + 1, lower: series.length + 2, color });
      series.push(env.mean, env.max, env.min);
      labels.push(`${name} (mean of ${g.rows.length})`, `${name} max`, `${name} min`);
      colors.push(color, color, color);
    });
    return { data: [xs, ...series] as [number[], ...(number | null)[][]], labels, bands, colors };
  }, [points.data, ids, withKey, settings, groupBy, colorOf]);
  if (points.error) return <ErrorMessage error={points.error} what={`history of ${metric}`} />;
  if (!chart) return <Loading what={`history of ${metric}`} />;
  return (
    <LineChart data={chart.data} labels={chart.labels} bands={chart.bands} colors={chart.colors} syncKey={SYNC_KEY} height={220}
      title={`${metric} of ${withKey.length} runs over ${X_LABELS[settings.xAxis].toLowerCase()}`} xLabel={X_LABELS[settings.xAxis]} timeAxis={settings.xAxis === 'time'} logScale={settings.log} />
  );
}
