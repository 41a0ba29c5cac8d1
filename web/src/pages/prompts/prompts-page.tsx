import { MessageSquareText } from 'lucide-react';
import { Link } from 'react-router';
import { promptsApi } from '../../api/prompts';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

export function PromptsPage() {
  useTitle('Prompts');
  const prompts = useApi((signal) => promptsApi.list(signal), []);
  return (
    <section aria-labelledby="prompts-title">
      <h1 id="prompts-title">Prompts</h1>
      {prompts.error ? <ErrorMessage error={prompts.error} what="prompts" /> : null}
      {prompts.loading && !prompts.data ? <Loading what="prompts" /> : null}
      {prompts.data && prompts.data.length === 0 ? (
        <EmptyState title="No prompts yet" icon={MessageSquareText} commands={['openexpert prompts push prompts/']}>
          Push a folder of prompt templates; each changed file becomes a new version:
        </EmptyState>
      ) : null}
      {prompts.data && prompts.data.length > 0 ? (
        <table className="grid" data-testid="prompts-table">
          <thead><tr><th scope="col">Prompt</th><th scope="col">Newest</th><th scope="col">Labels</th><th scope="col">Updated</th><th scope="col">Description</th></tr></thead>
          <tbody>
            {prompts.data.map((p) => (
              <tr key={p.name}>
                <td><Link to={`/prompts/${encodeURIComponent(p.name)}`}>{p.name}</Link></td>
                <td className="num">{p.latestVersion !== undefined ? `v${p.latestVersion}` : ''}</td>
                <td>{p.labels.map((l) => <span key={l.label} className="badge">{l.label}: v{l.version}</span>)}</td>
                <td>{formatTime(p.updatedAt)}</td>
                <td>{p.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
