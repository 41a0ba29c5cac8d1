import { ObjectPermissions } from '../../components/permissions-panel';
import { Link, useParams } from 'react-router';
import { monitoringApi, type MonitorWindow } from '../../api/monitoring';
import { AlertTimeline, DriftOverTime, FeatureHistograms } from './monitor-charts';
import { DriftAttributionsPanel } from './drift-attributions';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

export function MonitorPage() {
  const { monitor = '' } = useParams();
  useTitle(`Monitor ${monitor}`);
  const status = useApi((signal) => monitoringApi.status(monitor, signal), [monitor]);
  const windows = useApi(async (signal) => {
    const list = (await monitoringApi.windows(monitor, signal)).items;
    const closed = list.filter((w) => w.status === 'closed').sort((a, b) => a.start - b.start);
    const details = await Promise.all(closed.map((w) => monitoringApi.window(monitor, w.windowId, signal)));
    return { list, closed: details };
  }, [monitor]);
  if (status.error) return <ErrorMessage error={status.error} what="monitor" />;
  if (!status.data) return <Loading what="monitor" />;
  const m = status.data.monitor;
  return (
    <article aria-labelledby="monitor-title">
      <p className="muted"><Link to="/monitoring">Monitoring</Link> /</p>
      <h1 id="monitor-title">{m.name}</h1>
      <dl className="facts">
        <dt>Model</dt><dd>{m.modelName ? `${m.modelName}${m.modelVersion ? ` v${m.modelVersion}` : ''}` : '—'}</dd>
        <dt>Window</dt><dd>{m.window}</dd>
        <dt>Reference rows</dt><dd>{m.referenceRows.toLocaleString()}</dd>
        <dt>Latest drift share</dt><dd>{status.data.latest?.datasetDriftShare !== null && status.data.latest?.datasetDriftShare !== undefined ? `${formatNumber(status.data.latest.datasetDriftShare)}${status.data.latest.datasetDrift ? ' (dataset drift)' : ''}` : '—'}</dd>
      </dl>
      <h2>Alerts</h2>
      {status.data.alerts.length === 0 ? <p>No alert rules.</p> : (
        <table className="grid">
          <thead><tr><th scope="col">Rule</th><th scope="col">Condition</th><th scope="col">State</th><th scope="col">Last value</th><th scope="col">Since</th></tr></thead>
          <tbody>
            {status.data.alerts.map((a) => (
              <tr key={a.ruleId}>
                <td>{a.name}</td><td className="mono">{a.figure} {a.op} {a.threshold}</td>
                <td className={a.state === 'firing' ? 'check-fail' : undefined}><strong>{a.state}</strong></td>
                <td className="num">{a.lastValue === null ? '—' : formatNumber(a.lastValue)}</td><td>{formatTime(a.stateSince)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {windows.error ? <ErrorMessage error={windows.error} what="windows" /> : null}
      {windows.loading && !windows.data ? <Loading what="windows" /> : null}
      <DriftAttributionsPanel rules={status.data.alerts} />
      <AlertTimeline rules={status.data.alerts} />
      {windows.data ? <DriftOverTime closed={windows.data.closed} /> : null}
      {windows.data ? <FeatureHistograms closed={windows.data.closed} /> : null}
      {windows.data ? <WindowsTable monitor={m.name} windows={windows.data.list} /> : null}
      <ObjectPermissions kind="monitor" id={m.monitorId} />
    </article>
  );
}

function WindowsTable({ monitor, windows }: { monitor: string; windows: MonitorWindow[] }) {
  return (
    <>
      <h2>Windows</h2>
      {windows.length === 0 ? <p>No data received yet.</p> : (
        <table className="grid" data-testid="windows-table">
          <thead><tr><th scope="col">Start</th><th scope="col">End</th><th scope="col">Status</th><th scope="col">Rows</th><th scope="col">Drifted share</th><th scope="col">Report</th></tr></thead>
          <tbody>
            {[...windows].sort((a, b) => b.start - a.start).map((w) => (
              <tr key={w.windowId}>
                <td>{formatTime(w.start)}</td><td>{formatTime(w.end)}</td><td>{w.status}</td>
                <td className="num">{w.rows.toLocaleString()}</td>
                <td className={w.datasetDrift ? 'check-fail' : undefined}>{w.datasetDriftShare === null ? '—' : `${formatNumber(w.datasetDriftShare)}${w.datasetDrift ? ' drift' : ''}`}</td>
                <td>{w.status === 'closed' ? <a href={monitoringApi.reportUrl(monitor, w.windowId)}>Histograms and tests</a> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
