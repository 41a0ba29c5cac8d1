import { Layers } from 'lucide-react';
import { Link } from 'react-router';
import { featuresApi } from '../../api/features';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { Freshness, formatTtl } from './freshness';

export function FeatureViewsPage() {
  useTitle('Feature views');
  const views = useApi((signal) => featuresApi.list(signal), []);
  return (
    <section aria-labelledby="features-title">
      <h1 id="features-title">Feature views</h1>
      {views.error ? <ErrorMessage error={views.error} what="feature views" /> : null}
      {views.loading && !views.data ? <Loading what="feature views" /> : null}
      {views.data && views.data.length === 0 ? (
        <EmptyState title="No feature views yet" icon={Layers} commands={['openexpert features apply feature_repo/']}>
          Define feature views in <code>feature_repo/*.yaml</code> and register them:
        </EmptyState>
      ) : null}
      {views.data && views.data.length > 0 ? (
        <table className="grid" data-testid="feature-views-table">
          <thead>
            <tr><th scope="col">View</th><th scope="col">Entity</th><th scope="col">Features</th><th scope="col">TTL</th><th scope="col">Online values</th><th scope="col">Owner</th><th scope="col">Tags</th><th scope="col">Version</th></tr>
          </thead>
          <tbody>
            {views.data.map((v) => (
              <tr key={v.name} data-view={v.name}>
                <td><Link to={`/features/${encodeURIComponent(v.name)}`}>{v.name}</Link></td>
                <td>{v.entity}</td>
                <td className="num">{v.features.length}</td>
                <td>{formatTtl(v.ttlSeconds)}</td>
                <td><Freshness view={v} /></td>
                <td>{v.owner ?? ''}</td>
                <td>{Object.entries(v.tags).map(([k, t]) => <span key={k} className="badge">{k}={t}</span>)}</td>
                <td className="num" title={`${formatTime(v.createdAt)} by ${v.createdBy}`}>v{v.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
