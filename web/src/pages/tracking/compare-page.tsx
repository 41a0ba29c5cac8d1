import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { trackingApi, type Run } from '../../api/tracking';
import { LineChart } from '../../components/line-chart';
import { ErrorMessage, Loading } from '../../components/status';
import { ParallelCoordinates, ScatterPlot } from '../../components/svg-charts';
import { diffRows, formatNumber } from '../../lib/chart-data';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { ChartControls, X_LABELS } from './chart-controls';
import { chartData, useChartSettings } from './metric-charts';

const VIEWS = [['curves', 'Metric curves'], ['diff', 'Differences'], ['scatter', 'Scatter'], ['parallel', 'Parallel coordinates']] as const;
type View = (typeof VIEWS)[number][0];
/** MLflow's bulk history endpoint takes at most 100 runs. */
const MAX_RUNS = 100;

const runLabel = (r: Run) => r.info.runName || r.info.runId.slice(0, 8);

export function ComparePage() {
  useTitle('Compare runs');
  const [params] = useSearchParams();
  const ids = useMemo(() => (params.get('runs') ?? '').split(',').map((s) => s.trim()).filter(Boolean).slice(0, MAX_RUNS), [params]);
  const view = (VIEWS.find(([v]) => v === params.get('view'))?.[0] ?? 'curves') as View;
  const runs = useApi((signal) => Promise.all(ids.map((id) => trackingApi.getRun(id, signal))), [ids.join(',')]);
  const viewLink = (v: View) => {
    const next = new URLSearchParams(params);
    if (v === 'curves') next.delete('view');
    else next.set('view', v);
    return `?${next.toString()}`;
  };
  if (ids.length === 0) {
    return <section><h1>Compare runs</h1><p>Select runs in an experiment's runs table and press “Compare selected”.</p><p><Link to="/experiments">Experiments</Link></p></section>;
  }
  return (
    <section aria-labelledby="compare-title">
      <h1 id="compare-title">Compare {ids.length} runs</h1>
      {runs.error ? <ErrorMessage error={runs.error} what="one of the runs" /> : null}
      {runs.loading && !runs.data ? <Loading what="runs" /> : null}
      {runs.data ? (
        <>
          <p>
            {runs.data.map((r, i) => (
              <span key={r.info.runId}>{i > 0 ? ', ' : ''}<Link to={`/runs/${encodeURIComponent(r.info.runId)}`}>{runLabel(r)}</Link></span>
            ))}
          </p>
          <nav className="tabs" aria-label="Comparison views">
            {VIEWS.map(([v, label]) => <Link key={v} to={viewLink(v)} aria-current={v === view ? 'page' : undefined}>{label}</Link>)}
          </nav>
          {view === 'curves' ? <Curves runs={runs.data} /> : null}
          {view === 'diff' ? <DiffTable runs={runs.data} /> : null}
          {view === 'scatter' ? <Scatter runs={runs.data} /> : null}
          {view === 'parallel' ? <Parallel runs={runs.data} /> : null}
        </>
      ) : null}
    </section>
  );
}

function Curves({ runs }: { runs: Run[] }) {
  const [settings, setSettings] = useChartSettings();
  const keys = useMemo(() => [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort((a, b) => a.localeCompare(b)), [runs]);
  if (keys.length === 0) return <p>These runs logged no metrics.</p>;
  return (
    <>
      <ChartControls value={settings} onChange={setSettings} />
      <div className="charts">
        {keys.map((key) => <OverlayChart key={key} runs={runs} metricKey={key} />)}
      </div>
    </>
  );
}

function OverlayChart({ runs, metricKey }: { runs: Run[]; metricKey: string }) {
  const [settings] = useChartSettings();
  const withKey = useMemo(() => runs.filter((r) => r.data.metrics.some((m) => m.key === metricKey)), [runs, metricKey]);
  const points = useApi((signal) => trackingApi.metricHistories(withKey.map((r) => r.info.runId), metricKey, 1000, signal), [withKey, metricKey]);
  const data = useMemo(() => {
    if (!points.data) return undefined;
    const byRun = new Map<string, { step: number; timestamp: number; value: number }[]>(withKey.map((r) => [r.info.runId, []]));
    for (const p of points.data) byRun.get(p.runId)?.push(p);
    return chartData(withKey.map((r) => byRun.get(r.info.runId)!), settings);
  }, [points.data, withKey, settings]);
  const labels = useMemo(() => withKey.map(runLabel), [withKey]);
  return (
    <section className="chart-card" aria-label={`Metric ${metricKey}`}>
      <h3>{metricKey}</h3>
      {points.error ? <ErrorMessage error={points.error} what={`history of ${metricKey}`} /> : null}
      {points.loading && !points.data ? <Loading what={`history of ${metricKey}`} /> : null}
      {data ? <LineChart data={data} labels={labels} title={`${metricKey} of ${labels.length} runs over ${X_LABELS[settings.xAxis].toLowerCase()}`} xLabel={X_LABELS[settings.xAxis]} timeAxis={settings.xAxis === 'time'} logScale={settings.log} /> : null}
    </section>
  );
}

function DiffTable({ runs }: { runs: Run[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const params = useMemo(() => diffRows(runs.map((r) => new Map(r.data.params.map((p) => [p.key, p.value])))), [runs]);
  const metrics = useMemo(() => diffRows(runs.map((r) => new Map(r.data.metrics.map((m) => [m.key, formatNumber(m.value)])))), [runs]);
  const section = (title: string, rows: typeof params) => {
    const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
    return (
      <tbody key={title}>
        <tr><th scope="rowgroup" colSpan={runs.length + 1}>{title} ({shown.length})</th></tr>
        {shown.map((row) => (
          <tr key={row.key} className={row.differs ? 'differs' : undefined} data-differs={row.differs || undefined}>
            <th scope="row" className="mono">{row.key}{row.differs ? <span className="visually-hidden"> (differs)</span> : null}</th>
            {row.values.map((v, i) => <td key={i} className="mono">{v ?? <span className="muted">—</span>}</td>)}
          </tr>
        ))}
      </tbody>
    );
  };
  return (
    <>
      <div className="toolbar">
        <label><input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only rows that differ</label>
        <span className="muted">Highlighted rows differ between runs.</span>
      </div>
      <div style={{ overflowX: 'auto' }}>
        <table className="grid" data-testid="diff-table">
          <thead><tr><th scope="col">Key</th>{runs.map((r) => <th scope="col" key={r.info.runId}>{runLabel(r)}</th>)}</tr></thead>
          {section('Parameters', params)}
          {section('Metrics (latest)', metrics)}
        </table>
      </div>
    </>
  );
}

/** Everything a run can be plotted by: its params and its latest metrics. */
function dimensionsOf(runs: Run[]) {
  const params = [...new Set(runs.flatMap((r) => r.data.params.map((p) => p.key)))].sort();
  const metrics = [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
  const valueOf = (r: Run, dim: string): string | number | undefined => {
    const [kind, ...rest] = dim.split('.');
    const key = rest.join('.');
    return kind === 'params' ? r.data.params.find((p) => p.key === key)?.value : r.data.metrics.find((m) => m.key === key)?.value;
  };
  const differing = params.filter((k) => new Set(runs.map((r) => valueOf(r, `params.${k}`))).size > 1);
  return { params, metrics, differing, valueOf };
}

function Scatter({ runs }: { runs: Run[] }) {
  const dims = useMemo(() => dimensionsOf(runs), [runs]);
  const [x, setX] = useState(() => (dims.differing[0] ? `params.${dims.differing[0]}` : dims.params[0] ? `params.${dims.params[0]}` : `metrics.${dims.metrics[0] ?? ''}`));
  const [y, setY] = useState(() => `metrics.${dims.metrics[0] ?? ''}`);
  if (dims.metrics.length === 0) return <p>These runs logged no metrics to plot.</p>;
  return (
    <>
      <div className="toolbar">
        <label htmlFor="scatter-x">X</label>
        <select id="scatter-x" value={x} onChange={(e) => setX(e.target.value)}>
          <optgroup label="Parameters">{dims.params.map((k) => <option key={k} value={`params.${k}`}>{k}</option>)}</optgroup>
          <optgroup label="Metrics">{dims.metrics.map((k) => <option key={k} value={`metrics.${k}`}>{k}</option>)}</optgroup>
        </select>
        <label htmlFor="scatter-y">Y</label>
        <select id="scatter-y" value={y} onChange={(e) => setY(e.target.value)}>
          {dims.metrics.map((k) => <option key={k} value={`metrics.${k}`}>{k}</option>)}
        </select>
      </div>
      <ScatterPlot
        xLabel={x}
        yLabel={y}
        points={runs.map((r) => {
          const yv = dims.valueOf(r, y);
          return { label: runLabel(r), x: dims.valueOf(r, x), y: typeof yv === 'number' ? yv : undefined };
        })}
      />
    </>
  );
}

function Parallel({ runs }: { runs: Run[] }) {
  const dims = useMemo(() => dimensionsOf(runs), [runs]);
  const [chosen, setChosen] = useState<string[]>(() => [
    ...(dims.differing.length ? dims.differing : dims.params).slice(0, 5).map((k) => `params.${k}`),
    ...dims.metrics.slice(0, 1).map((k) => `metrics.${k}`),
  ]);
  const all = [...dims.params.map((k) => `params.${k}`), ...dims.metrics.map((k) => `metrics.${k}`)];
  const toggle = (d: string) => setChosen((c) => (c.includes(d) ? c.filter((x) => x !== d) : [...c, d]));
  return (
    <>
      <details className="chooser">
        <summary className="button">Axes ({chosen.length})</summary>
        <div className="panel">
          <fieldset>
            <legend>Parameters and metrics</legend>
            {all.map((d) => <label key={d}><input type="checkbox" checked={chosen.includes(d)} onChange={() => toggle(d)} /> {d}</label>)}
          </fieldset>
        </div>
      </details>
      <ParallelCoordinates dimensions={chosen} lines={runs.map((r) => ({ label: runLabel(r), values: chosen.map((d) => dims.valueOf(r, d)) }))} />
    </>
  );
}
