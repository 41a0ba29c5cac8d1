import { Link } from 'react-router';
import { reviewApi } from '../../api/review';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

/** The review queues the user may read. */
export function QueuesPage() {
  useTitle('Review queues');
  const queues = useApi((signal) => reviewApi.list(signal), []);
  return (
    <section aria-labelledby="queues-title">
      <h1 id="queues-title">Review queues</h1>
      {queues.error ? <ErrorMessage error={queues.error} what="review queues" /> : null}
      {queues.loading && !queues.data ? <Loading what="review queues" /> : null}
      {queues.data && queues.data.items.length === 0 ? <p>No review queues yet. Create one with <code>openexpert review create</code>.</p> : null}
      {queues.data && queues.data.items.length > 0 ? (
        <table className="grid" data-testid="queues-table">
          <thead><tr><th scope="col">Queue</th><th scope="col">Collects from</th><th scope="col">Labels</th><th scope="col">Reviewers</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {queues.data.items.map((q) => (
              <tr key={q.name}>
                <td><Link to={`/review/${encodeURIComponent(q.name)}`}>{q.name}</Link></td>
                <td>{q.scope}{q.target ? ` ${q.target}` : ''}</td>
                <td>{q.spec.labels.join(', ')}</td>
                <td>{q.spec.reviewers.join(', ') || 'anyone'}</td>
                <td>{formatTime(q.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
