import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { trackingApi, type Run } from '../../api/tracking';
import { LineChart } from '../../components/line-chart';
import { ErrorMessage, Loading } from '../../components/status';
import { alignSeries, forLogScale, smooth, toSeries, type Point } from '../../lib/chart-data';
import { useApi } from '../../lib/use-api';
import { ChartControls, X_LABELS, type ChartSettings } from './chart-controls';

/** Chart settings live in the URL, so a shared link shows the same picture. */
export function useChartSettings(): [ChartSettings, (s: ChartSettings) => void] {
  const [params, setParams] = useSearchParams();
  const x = params.get('x');
  const settings: ChartSettings = {
    xAxis: x === 'time' || x === 'relative' ? x : 'step',
    log: params.get('log') === '1',
    smoothing: Math.min(0.99, Math.max(0, Number(params.get('smooth') ?? 0) || 0)),
  };
  const set = (s: ChartSettings) => {
    const next = new URLSearchParams(params);
    const put = (k: string, v: string | undefined) => (v ? next.set(k, v) : next.delete(k));
    put('x', s.xAxis === 'step' ? undefined : s.xAxis);
    put('log', s.log ? '1' : undefined);
    put('smooth', s.smoothing > 0 ? String(s.smoothing) : undefined);
    setParams(next, { replace: true });
  };
  return [settings, set];
}

export function MetricCharts({ run }: { run: Run }) {
  const [settings, setSettings] = useChartSettings();
  const keys = useMemo(() => run.data.metrics.map((m) => m.key).sort((a, b) => a.localeCompare(b)), [run]);
  const [query, setQuery] = useState('');
  const shown = keys.filter((k) => k.toLowerCase().includes(query.toLowerCase()));
  if (keys.length === 0) return <><h2>Metrics</h2><p>No metrics logged.</p></>;
  return (
    <>
      <h2>Metrics</h2>
      <div className="toolbar">
        <ChartControls value={settings} onChange={setSettings} />
        <label htmlFor="metric-search">Find metric</label>
        <input id="metric-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
      </div>
      <div className="charts">
        {shown.map((key) => <MetricChart key={key} runId={run.info.runId} metricKey={key} settings={settings} />)}
      </div>
    </>
  );
}

function MetricChart({ runId, metricKey, settings }: { runId: string; metricKey: string; settings: ChartSettings }) {
  const history = useApi((signal) => trackingApi.chartHistory(runId, metricKey, signal), [runId, metricKey]);
  const data = useMemo(() => (history.data ? chartData([history.data.points], settings) : undefined), [history.data, settings]);
  const count = history.data?.points.length.toLocaleString('en-US');
  return (
    <section className="chart-card" aria-label={`Metric ${metricKey}`}>
      <h3>{metricKey} {history.data ? <span className="muted" data-testid="point-count">{history.data.sampled ? `(${count} steps sampled on the server from a longer history)` : `(${count} points)`}</span> : null}</h3>
      {history.error ? <ErrorMessage error={history.error} what={`history of ${metricKey}`} /> : null}
      {history.loading && !history.data ? <Loading what={`history of ${metricKey}`} /> : null}
      {data ? <LineChart data={data} labels={[metricKey]} title={`${metricKey} over ${X_LABELS[settings.xAxis].toLowerCase()}`} xLabel={X_LABELS[settings.xAxis]} timeAxis={settings.xAxis === 'time'} logScale={settings.log} /> : null}
    </section>
  );
}

/** Histories (one per run) → one aligned dataset, smoothed and log-safe as the settings ask. */
export function chartData(histories: readonly (readonly Point[])[], s: ChartSettings): [number[], ...(number | null)[][]] {
  return alignSeries(histories.map((h) => {
    const raw = toSeries(h, s.xAxis);
    const smoothed = smooth(raw.y, s.smoothing);
    return { x: raw.x, y: s.log ? forLogScale(smoothed) : smoothed };
  }));
}
