import { ApiError } from '../../api/client';
import { sweepsApi, type Importance } from '../../api/sweeps';
import { ErrorMessage, Loading } from '../../components/status';
import { useApi } from '../../lib/use-api';

const W = 640;
const ROW = 24;
const LEFT = 150;
const RIGHT = 70;
const BAR = '#1f77b4';

/** One bar per parameter: its share of the objective's variance, most important first. */
function Bars({ importance }: { importance: Importance }) {
  const rows = importance.params;
  const h = rows.length * ROW + 8;
  const width = (share: number) => (W - LEFT - RIGHT) * share;
  return (
    <svg className="svg-chart" viewBox={`0 0 ${W} ${h}`} width="100%" style={{ maxWidth: W }} role="img" data-testid="importance-bars"
      aria-label={`Parameter importance: ${rows.map((r) => `${r.name} ${(r.importance * 100).toFixed(1)}%`).join(', ')}`}>
      {rows.map((r, i) => (
        <g key={r.name} data-testid="importance-bar" data-name={r.name} data-importance={r.importance}>
          <text x={LEFT - 6} y={i * ROW + 17} textAnchor="end">{r.name}</text>
          <rect x={LEFT} y={i * ROW + 5} height={ROW - 8} width={width(r.importance)} fill={BAR}><title>{`${r.name}: ${(r.importance * 100).toFixed(1)}%`}</title></rect>
          <text x={LEFT + width(r.importance) + 4} y={i * ROW + 17}>{`${(r.importance * 100).toFixed(1)}%`}</text>
        </g>
      ))}
    </svg>
  );
}

/** fANOVA parameter importance over the sweep's complete trials; fewer than two is said plainly, not as an error. */
export function SweepImportance({ id, finished }: { id: string; finished: number }) {
  const importance = useApi((signal) => sweepsApi.importance(id, signal), [id, finished]);
  if (importance.error) {
    if (importance.error instanceof ApiError && importance.error.status === 409) return <p className="muted" data-testid="importance-none">{importance.error.message}</p>;
    return <ErrorMessage error={importance.error} what="parameter importance" />;
  }
  if (!importance.data) return <Loading what="parameter importance" lines={2} />;
  const imp = importance.data;
  return (
    <>
      <p className="muted">
        Each parameter&apos;s share of the variance of the objective it explains on its own (functional ANOVA over a random forest of {imp.nTrees} trees
        fitted to {imp.trials} complete trials, seed {imp.seed}).
      </p>
      {imp.params.length > 0 ? <Bars importance={imp} /> : null}
      {imp.skipped.length > 0
        ? <ul className="muted" data-testid="importance-skipped">{imp.skipped.map((s) => <li key={s.name}>{s.name}: not estimated ({s.reason})</li>)}</ul>
        : null}
    </>
  );
}
