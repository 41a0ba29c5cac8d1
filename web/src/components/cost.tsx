import { costApi, type CostTotals } from '../api/cost';
import { formatNumber } from '../lib/chart-data';
import { useApi } from '../lib/use-api';

export const formatUsd = (v: number) => `$${v < 0.01 && v > 0 ? v.toPrecision(2) : v.toFixed(2)}`;
const mib = (bytes: number) => `${formatNumber(Math.round((bytes / 2 ** 20) * 10) / 10)} MiB`;

/** A run's compute usage and its cost by the server's price table (nothing recorded: said so). */
export function RunCost({ runId }: { runId: string }) {
  const usage = useApi((signal) => costApi.run(runId, signal), [runId]);
  if (usage.error || !usage.data) return null;
  const u = usage.data;
  return (
    <>
      <h2>Compute cost</h2>
      {u.entries === 0 ? <p className="muted">No usage recorded (runs started by <code>openexpert run</code>, sweeps and pipelines record theirs).</p> : (
        <dl className="facts" data-testid="run-cost">
          <dt>Cost</dt><dd>{formatUsd(u.costUsd)}</dd>
          <dt>CPU</dt><dd>{formatNumber(u.cpuSeconds)} s</dd>
          <dt>Peak memory</dt><dd>{mib(u.peakMemoryBytes)}</dd>
          <dt>Wall time</dt><dd>{formatNumber(u.wallSeconds)} s</dd>
          {u.gpuSeconds > 0 ? <><dt>GPU</dt><dd>{formatNumber(u.gpuSeconds)} s ({u.gpuTypes.join(', ')}), {mib(u.gpuMemoryBytes)}</dd></> : null}
        </dl>
      )}
    </>
  );
}

/** One line: the cost of a sweep or an experiment, summed over its runs. */
export function CostLine({ load, what, deps }: { load: (signal: AbortSignal) => Promise<CostTotals>; what: string; deps: readonly unknown[] }) {
  const cost = useApi(load, deps);
  if (cost.error || !cost.data) return null;
  const c = cost.data;
  return (
    <p className="muted" data-testid="cost-line">
      Compute cost of {what}: <strong>{formatUsd(c.costUsd)}</strong> ({formatNumber(c.cpuSeconds)} CPU-s{c.gpuSeconds > 0 ? `, ${formatNumber(c.gpuSeconds)} GPU-s` : ''}, {formatNumber(Math.round(c.memoryGbHours * 1000) / 1000)} GiB-h).
    </p>
  );
}
