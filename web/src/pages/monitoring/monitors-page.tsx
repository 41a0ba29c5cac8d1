import { Activity } from 'lucide-react';
import { Link } from 'react-router';
import { monitoringApi } from '../../api/monitoring';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

export function MonitorsPage() {
  useTitle('Monitoring');
  const monitors = useApi((signal) => monitoringApi.list(signal), []);
  return (
    <section aria-labelledby="monitors-title">
      <h1 id="monitors-title">Monitors</h1>
      {monitors.error ? <ErrorMessage error={monitors.error} what="monitors" /> : null}
      {monitors.loading && !monitors.data ? <Loading what="monitors" /> : null}
      {monitors.data && monitors.data.items.length === 0 ? (
        <EmptyState title="No monitors yet" icon={Activity} commands={['openexpert monitor create churn --reference churn-train@1 --model churn']}>
          Watch a model's inputs and predictions for drift against reference data:
        </EmptyState>
      ) : null}
      {monitors.data && monitors.data.items.length > 0 ? (
        <table className="grid">
          <thead><tr><th scope="col">Monitor</th><th scope="col">Model</th><th scope="col">Window</th><th scope="col">Reference rows</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {monitors.data.items.map((m) => (
              <tr key={m.monitorId}>
                <td><Link to={`/monitoring/${encodeURIComponent(m.name)}`}>{m.name}</Link></td>
                <td>{m.modelName ? <Link to={`/models/${encodeURIComponent(m.modelName)}`}>{m.modelName}{m.modelVersion ? ` v${m.modelVersion}` : ''}</Link> : '—'}</td>
                <td>{m.window}</td>
                <td className="num">{m.referenceRows.toLocaleString()}</td>
                <td>{formatTime(m.createdAt)} by {m.createdBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
