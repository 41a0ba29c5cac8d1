import { Link, useParams } from 'react-router';
import { costApi } from '../../api/cost';
import { sweepsApi, type SweepDetail, type Trial } from '../../api/sweeps';
import { CostLine } from '../../components/cost';
import { LineChart } from '../../components/line-chart';
import { ErrorMessage, Loading } from '../../components/status';
import { ParallelCoordinates } from '../../components/svg-charts';
import { formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { SweepImportance } from './sweep-importance';

/** Complete trials in blue, the best in green, stopped ones dashed orange, failed ones red. */
const STATE_COLOR: Record<Trial['state'], string> = { COMPLETE: '#1f77b4', PRUNED: '#ff7f0e', FAILED: '#d62728', RUNNING: '#7f7f7f', INTERRUPTED: '#7f7f7f' };
const BEST_COLOR = '#2ca02c';

const value = (t: Trial) => (t.value === undefined || !Number.isFinite(t.value) ? undefined : t.value);
const better = (goal: string, a: number, b: number) => (goal === 'minimize' ? a < b : a > b);

/** The best value after each complete trial, in trial order, and every complete trial's own value. */
function bestSoFar(s: SweepDetail): [number[], (number | null)[], (number | null)[]] {
  const xs: number[] = [];
  const best: (number | null)[] = [];
  const own: (number | null)[] = [];
  let b: number | undefined;
  for (const t of s.trials) {
    const v = t.state === 'COMPLETE' ? value(t) : undefined;
    if (v !== undefined && (b === undefined || better(s.config.metric.goal, v, b))) b = v;
    if (b === undefined) continue;
    xs.push(t.number);
    best.push(b);
    own.push(v ?? null);
  }
  return [xs, best, own];
}

const Swatch = ({ color }: { color: string }) => (
  <span aria-hidden="true" style={{ display: 'inline-block', width: 14, height: 4, background: color, verticalAlign: 'middle' }} />
);

function Charts({ sweep }: { sweep: SweepDetail }) {
  const params = sweep.config.parameters.map((p) => p.name);
  const metric = sweep.config.metric.name;
  const lines = sweep.trials.filter((t) => t.state !== 'RUNNING' && t.state !== 'INTERRUPTED').map((t) => ({
    label: `trial ${t.number} ${t.state}${t.value !== undefined ? ` ${metric}=${formatNumber(t.value)}` : ''}`,
    values: [...params.map((p) => (typeof t.params[p] === 'boolean' ? String(t.params[p]) : t.params[p] as string | number | undefined)), value(t)],
    color: t.number === sweep.best?.number ? BEST_COLOR : STATE_COLOR[t.state],
    dashed: t.state === 'PRUNED',
  }));
  const [xs, best, own] = bestSoFar(sweep);
  return (
    <>
      <h2>Parameters and {metric}</h2>
      <p className="muted">
        One line per finished trial: <Swatch color={BEST_COLOR} /> best, <Swatch color={STATE_COLOR.COMPLETE} /> complete,{' '}
        <Swatch color={STATE_COLOR.PRUNED} /> stopped early (dashed, at the value where it stopped), <Swatch color={STATE_COLOR.FAILED} /> failed.
      </p>
      <ParallelCoordinates dimensions={[...params, metric]} lines={lines} />
      <h2>Best {metric} so far</h2>
      {xs.length > 0
        ? <LineChart data={[xs, best, own]} labels={[`best ${metric}`, `trial ${metric}`]} title={`Best ${metric} so far, by trial`} xLabel="trial" />
        : <p>No trial has completed yet.</p>}
      <h2>Parameter importance</h2>
      <SweepImportance id={sweep.id} finished={sweep.counts.COMPLETE} />
    </>
  );
}

export function SweepPage() {
  const { id = '' } = useParams();
  const sweep = useApi((signal) => sweepsApi.get(id, signal), [id]);
  useTitle(sweep.data ? `Sweep ${sweep.data.name}` : 'Sweep');
  if (sweep.error) return <ErrorMessage error={sweep.error} what="the sweep" />;
  if (!sweep.data) return <Loading what="the sweep" />;
  const s = sweep.data;
  const metric = s.config.metric.name;
  return (
    <section aria-labelledby="sweep-title">
      <h1 id="sweep-title">Sweep {s.name}</h1>
      <p data-testid="sweep-summary">
        {s.config.method} search, {s.config.metric.goal} {metric}; {s.state.toLowerCase()}: {s.trials.length}/{s.maxTrials} trials, {s.counts.COMPLETE} complete,{' '}
        {s.counts.PRUNED} stopped early{s.config.earlyStopping ? ` (${s.config.earlyStopping.type === 'asha' ? 'ASHA' : 'median rule'})` : ''}, {s.counts.FAILED} failed.
        {' '}Parent run <Link to={`/runs/${s.parentRunId}`}>{s.parentRunId.slice(0, 8)}</Link>; created {formatTime(s.createdAt)} by {s.createdBy}.
      </p>
      {s.best ? <p data-testid="sweep-best">Best: trial {s.best.number}, {metric} = {formatNumber(s.best.value!)} (<Link to={`/runs/${s.best.runId}`}>run</Link>).</p> : null}
      <CostLine load={(signal) => costApi.sweep(s.id, signal)} what="its trials" deps={[s.id]} />
      <Charts sweep={s} />
      <h2>Trials</h2>
      <table className="grid" data-testid="trials-table">
        <thead><tr><th scope="col">Trial</th><th scope="col">State</th><th scope="col">{metric}</th><th scope="col">Step</th>{s.config.parameters.map((p) => <th key={p.name} scope="col">{p.name}</th>)}<th scope="col">Note</th></tr></thead>
        <tbody>
          {s.trials.map((t) => (
            <tr key={t.number} className={t.state === 'PRUNED' ? 'trial-stopped' : undefined} data-state={t.state}>
              <td><Link to={`/runs/${t.runId}`}>{t.number}</Link></td>
              <td className={t.number === s.best?.number ? 'pipeline-succeeded' : t.state === 'FAILED' ? 'pipeline-failed' : undefined}>{t.number === s.best?.number ? 'BEST' : t.state === 'PRUNED' ? 'STOPPED EARLY' : t.state}</td>
              <td className="num">{t.value !== undefined ? formatNumber(t.value) : ''}</td>
              <td className="num">{t.step ?? ''}</td>
              {s.config.parameters.map((p) => <td key={p.name} className="num">{t.params[p.name] === undefined ? '' : typeof t.params[p.name] === 'number' ? formatNumber(t.params[p.name] as number) : String(t.params[p.name])}</td>)}
              <td className="muted">{t.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
