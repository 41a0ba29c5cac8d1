import { SlidersHorizontal } from 'lucide-react';
import { Link } from 'react-router';
import { sweepsApi } from '../../api/sweeps';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

export function SweepsPage() {
  useTitle('Sweeps');
  const sweeps = useApi((signal) => sweepsApi.list(signal), []);
  return (
    <section aria-labelledby="sweeps-title">
      <h1 id="sweeps-title">Sweeps</h1>
      {sweeps.error ? <ErrorMessage error={sweeps.error} what="sweeps" /> : null}
      {sweeps.loading && !sweeps.data ? <Loading what="sweeps" /> : null}
      {sweeps.data && sweeps.data.length === 0 ? (
        <EmptyState title="No sweeps yet" icon={SlidersHorizontal} commands={['openexpert sweep --config sweep.yaml -- python train.py {{args}}']}>
          Run a training command over a search space; each trial is a tracked run:
        </EmptyState>
      ) : null}
      {sweeps.data && sweeps.data.length > 0 ? (
        <table className="grid" data-testid="sweeps-table">
          <thead><tr><th scope="col">Sweep</th><th scope="col">Method</th><th scope="col">State</th><th scope="col">Trials</th><th scope="col">Stopped early</th><th scope="col">Best</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {sweeps.data.map((s) => (
              <tr key={s.id}>
                <td><Link to={`/sweeps/${s.id}`}>{s.name}</Link></td>
                <td>{s.config.method}</td>
                <td>{s.state}</td>
                <td className="num">{s.counts.COMPLETE + s.counts.PRUNED + s.counts.FAILED}/{s.maxTrials}</td>
                <td className="num">{s.counts.PRUNED}</td>
                <td>{s.best ? `${s.config.metric.name} ${formatNumber(s.best.value!)} (trial ${s.best.number})` : ''}</td>
                <td>{formatTime(s.createdAt)} by {s.createdBy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
