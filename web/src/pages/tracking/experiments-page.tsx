import { FlaskConical } from 'lucide-react';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { trackingApi, type Experiment } from '../../api/tracking';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

const PAGE = 100;

export function ExperimentsPage() {
  useTitle('Experiments');
  const [params, setParams] = useSearchParams();
  const name = params.get('name') ?? '';
  const [draft, setDraft] = useState(name);
  const [more, setMore] = useState<{ items: Experiment[]; token?: string | undefined; loading: boolean; error?: unknown }>({ items: [], loading: false });
  const first = useApi(async (signal) => {
    setMore({ items: [], loading: false });
    const filter = name ? `name ILIKE '%${name.replace(/'/g, "''")}%'` : undefined;
    return trackingApi.listExperiments({ filter, maxResults: PAGE, orderBy: 'name ASC' }, signal);
  }, [name]);
  const items = [...(first.data?.items ?? []), ...more.items];
  const nextToken = more.items.length > 0 ? more.token : first.data?.nextPageToken;

  const loadMore = async () => {
    if (!nextToken) return;
    setMore((m) => ({ ...m, loading: true }));
    try {
      const filter = name ? `name ILIKE '%${name.replace(/'/g, "''")}%'` : undefined;
      const page = await trackingApi.listExperiments({ filter, maxResults: PAGE, orderBy: 'name ASC', pageToken: nextToken });
      setMore((m) => ({ items: [...m.items, ...page.items], token: page.nextPageToken, loading: false }));
    } catch (error) {
      setMore((m) => ({ ...m, loading: false, error }));
    }
  };

  return (
    <section aria-labelledby="experiments-title">
      <h1 id="experiments-title">Experiments</h1>
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setParams(draft ? { name: draft } : {});
        }}
      >
        <label htmlFor="experiment-name">Name contains</label>
        <input id="experiment-name" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      {first.error ? <ErrorMessage error={first.error} what="experiments" /> : null}
      {first.loading && !first.data ? <Loading what="experiments" /> : null}
      {first.data ? (
        items.length === 0 ? (
          name ? <p>No experiment's name contains “{name}”.</p> : (
            <EmptyState title="No experiments yet" icon={FlaskConical} commands={['openexpert experiments create churn', 'export MLFLOW_TRACKING_URI=http://127.0.0.1:5000', 'python -c "import mlflow; mlflow.set_experiment(\'churn\'); mlflow.start_run(); mlflow.log_metric(\'acc\', 0.9)"']}>
              Create one from the CLI, or log a run with the MLflow client pointed at this server (the experiment is created with it):
            </EmptyState>
          )
        ) : (
          <table className="grid">
            <caption className="visually-hidden">Experiments</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">ID</th><th scope="col">Created</th><th scope="col">Last updated</th><th scope="col">Tags</th></tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.experimentId}>
                  <td><Link to={`/experiments/${encodeURIComponent(e.experimentId)}`}>{e.name}</Link></td>
                  <td className="mono">{e.experimentId}</td>
                  <td>{formatTime(e.creationTime)}</td>
                  <td>{formatTime(e.lastUpdateTime)}</td>
                  <td>{e.tags.filter((t) => !t.key.startsWith('mlflow.')).map((t) => <span className="badge" key={t.key}>{t.key}: {t.value}</span>)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      {more.error ? <ErrorMessage error={more.error} what="more experiments" /> : null}
      {nextToken ? <p><button type="button" onClick={() => void loadMore()} disabled={more.loading}>Load more experiments</button></p> : null}
    </section>
  );
}
