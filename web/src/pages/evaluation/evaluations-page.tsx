import { ClipboardCheck } from 'lucide-react';
import { Link } from 'react-router';
import { evaluationApi } from '../../api/evaluation';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

/** The metric a task is usually judged by, shown in the list. */
const HEADLINE: Record<string, string> = { binary: 'roc_auc', multiclass: 'accuracy', regression: 'r2_score', ranking: 'ndcg' };

export function EvaluationsPage() {
  useTitle('Evaluations');
  const evaluations = useApi((signal) => evaluationApi.list(signal), []);
  return (
    <section aria-labelledby="evaluations-title">
      <h1 id="evaluations-title">Evaluations</h1>
      {evaluations.error ? <ErrorMessage error={evaluations.error} what="evaluations" /> : null}
      {evaluations.loading && !evaluations.data ? <Loading what="evaluations" /> : null}
      {evaluations.data && evaluations.data.items.length === 0 ? (
        <EmptyState title="No evaluations yet" icon={ClipboardCheck} commands={['openexpert evaluate --data predictions.csv --label y --score p --name holdout']}>
          Evaluate a predictions file (metrics with intervals, slices, fairness):
        </EmptyState>
      ) : null}
      {evaluations.data && evaluations.data.items.length > 0 ? (
        <table className="grid" data-testid="evaluations-table">
          <thead><tr><th scope="col">Evaluation</th><th scope="col">Task</th><th scope="col">Headline metric</th><th scope="col">Model</th><th scope="col">Dataset</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {evaluations.data.items.map((e) => {
              const metric = HEADLINE[e.task] ?? Object.keys(e.metrics)[0];
              const value = metric === undefined ? undefined : e.metrics[metric];
              return (
                <tr key={e.id}>
                  <td><Link to={`/evaluations/${encodeURIComponent(e.id)}`}>{e.name}</Link></td>
                  <td>{e.task}</td>
                  <td className="num">{metric && value !== undefined ? `${metric} ${formatNumber(value)}` : '—'}</td>
                  <td>{e.model ? <Link to={`/models/${encodeURIComponent(e.model.name)}/versions/${e.model.version}`}>{e.model.name} v{e.model.version}</Link> : '—'}</td>
                  <td>{e.dataset.name} ({e.dataset.rows.toLocaleString()} rows)</td>
                  <td>{formatTime(e.createdAt)} by {e.createdBy}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
