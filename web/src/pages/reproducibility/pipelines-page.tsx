import { Workflow } from 'lucide-react';
import { Link } from 'react-router';
import { reproducibilityApi, type PipelineRun } from '../../api/reproducibility';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatDuration, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

const count = (run: PipelineRun, ...states: string[]) => run.steps.filter((s) => states.includes(s.state)).length;

export function PipelinesPage() {
  useTitle('Pipelines');
  const runs = useApi((signal) => reproducibilityApi.pipelineRuns(signal), []);
  return (
    <section aria-labelledby="pipelines-title">
      <h1 id="pipelines-title">Pipeline runs</h1>
      {runs.error ? <ErrorMessage error={runs.error} what="pipeline runs" /> : null}
      {runs.loading && !runs.data ? <Loading what="pipeline runs" /> : null}
      {runs.data && runs.data.items.length === 0 ? (
        <EmptyState title="No pipeline runs yet" icon={Workflow} commands={['openexpert pipeline run -f openexpert.pipeline.yaml']}>
          Run the steps of a pipeline file; each step is recorded as a run and cached by its inputs:
        </EmptyState>
      ) : null}
      {runs.data && runs.data.items.length > 0 ? (
        <table className="grid" data-testid="pipeline-runs-table">
          <thead><tr><th scope="col">Pipeline</th><th scope="col">Status</th><th scope="col">Steps run</th><th scope="col">From cache</th><th scope="col">Failed</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
          <tbody>
            {runs.data.items.map((r) => (
              <tr key={r.id}>
                <td><Link to={`/pipelines/${r.id}`}>{r.name}</Link>{r.environment ? <span className="muted"> ({r.environment})</span> : null}</td>
                <td className={`pipeline-${r.status}`}>{r.status}</td>
                <td className="num">{count(r, 'succeeded')}</td>
                <td className="num">{count(r, 'cached')}</td>
                <td className="num">{count(r, 'failed', 'skipped')}</td>
                <td>{formatTime(r.startedAt)} by {r.createdBy}</td>
                <td>{r.finishedAt ? formatDuration(r.finishedAt - r.startedAt) : 'running'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
