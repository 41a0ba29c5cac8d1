import { Database } from 'lucide-react';
import { Link } from 'react-router';
import { datasetsApi } from '../../api/datasets';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

export function DatasetsPage() {
  useTitle('Datasets');
  const datasets = useApi((signal) => datasetsApi.list(signal), []);
  return (
    <section aria-labelledby="datasets-title">
      <h1 id="datasets-title">Datasets</h1>
      {datasets.error ? <ErrorMessage error={datasets.error} what="datasets" /> : null}
      {datasets.loading && !datasets.data ? <Loading what="datasets" /> : null}
      {datasets.data && datasets.data.items.length === 0 ? (
        <EmptyState title="No datasets yet" icon={Database} commands={['openexpert data add data/train.csv --name churn-train']}>
          Version a file or folder by its content (profile, validation and lineage come with it):
        </EmptyState>
      ) : null}
      {datasets.data && datasets.data.items.length > 0 ? (
        <table className="grid" data-testid="datasets-table">
          <thead><tr><th scope="col">Dataset</th><th scope="col">Latest version</th><th scope="col">Versions</th></tr></thead>
          <tbody>
            {datasets.data.items.map((d) => (
              <tr key={d.name}>
                <td><Link to={`/datasets/${encodeURIComponent(d.name)}`}>{d.name}</Link></td>
                <td className="num"><Link to={`/datasets/${encodeURIComponent(d.name)}/versions/${d.latestVersion}`} aria-label={`${d.name} version ${d.latestVersion}`}>v{d.latestVersion}</Link></td>
                <td className="num">{d.versions.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
