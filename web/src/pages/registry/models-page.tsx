import { Boxes } from 'lucide-react';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { registryApi } from '../../api/registry';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { modelHref, StageBadge, versionHref } from './registry-bits';

export function ModelsPage() {
  useTitle('Models');
  const [params, setParams] = useSearchParams();
  const name = params.get('name') ?? '';
  const [draft, setDraft] = useState(name);
  const models = useApi(
    (signal) => registryApi.listModels({ filter: name ? `name ILIKE '%${name.replace(/'/g, "''")}%'` : undefined, maxResults: 500 }, signal),
    [name],
  );
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Registered models</h1>
      <form className="toolbar" role="search" onSubmit={(e) => { e.preventDefault(); setParams(draft ? { name: draft } : {}); }}>
        <label htmlFor="model-name">Name contains</label>
        <input id="model-name" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      {models.error ? <ErrorMessage error={models.error} what="models" /> : null}
      {models.loading && !models.data ? <Loading what="models" /> : null}
      {models.data && models.data.items.length === 0 && name ? <p>No registered models match “{name}”.</p> : null}
      {models.data && models.data.items.length === 0 && !name ? (
        <EmptyState title="No registered models yet" icon={Boxes} commands={['mlflow.register_model("runs:/<run-id>/model", "churn")']}>
          Register a model a run logged, from the MLflow client pointed at this server; its versions, stages and promotion gates then show here.
        </EmptyState>
      ) : null}
      {models.data && models.data.items.length > 0 ? (
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Latest versions</th><th scope="col">Aliases</th><th scope="col">Last updated</th><th scope="col">Description</th></tr></thead>
          <tbody>
            {models.data.items.map((m) => (
              <tr key={m.name}>
                <td><Link to={modelHref(m.name)}>{m.name}</Link></td>
                <td>{m.latestVersions.map((v) => <Link key={v.version} to={versionHref(m.name, v.version)} style={{ marginRight: '0.5rem' }}>v{v.version} <StageBadge stage={v.currentStage} /></Link>)}</td>
                <td>{m.aliases.map((a) => <span key={a.alias} className="badge mono">@{a.alias} → v{a.version}</span>)}</td>
                <td>{formatTime(m.lastUpdatedTime)}</td>
                <td>{m.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
