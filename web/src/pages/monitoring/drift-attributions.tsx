import { Link } from 'react-router';
import { monitoringApi, type AlertDetail, type AlertRule } from '../../api/monitoring';
import { ErrorMessage } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { useApi } from '../../lib/use-api';

const METHOD_NAMES = { tree_shap: 'mean |TreeSHAP|', kernel_shap: 'mean |Kernel SHAP|', permutation: 'permutation importance' } as const;

/** Feature drift rules that have fired: which features drifted, and how much the monitored model version relies on each. */
export function DriftAttributionsPanel({ rules }: { rules: AlertRule[] }) {
  const fired = rules.filter((r) => r.state === 'firing' || r.state === 'resolved');
  const details = useApi((signal) => Promise.all(fired.map((r) => monitoringApi.alert(r.ruleId, signal))), [fired.map((r) => r.ruleId).join(',')]);
  if (fired.length === 0) return null;
  if (details.error) return <ErrorMessage error={details.error} what="drifted features" />;
  const withDrift = (details.data ?? []).filter((d): d is AlertDetail & { drift: NonNullable<AlertDetail['drift']> } => d.drift !== null);
  if (withDrift.length === 0) return null;
  return (
    <section aria-labelledby="drift-attributions-title" data-testid="drift-attributions">
      <h2 id="drift-attributions-title">Drifted features and the model</h2>
      {withDrift.map((d) => <RuleDrift key={d.ruleId} detail={d} />)}
    </section>
  );
}

function RuleDrift({ detail }: { detail: AlertDetail & { drift: NonNullable<AlertDetail['drift']> } }) {
  const { drift } = detail;
  const model = drift.model ? `${drift.model.name}${drift.model.version !== null ? ` v${drift.model.version}` : ''}` : undefined;
  return (
    <div data-testid="drift-alert" data-rule={detail.name}>
      <h3>{`${detail.name} (${detail.state})`}</h3>
      {drift.explanation ? (
        <p>
          {`Ranked by ${METHOD_NAMES[drift.explanation.method]} in the newest explanation of ${model} (${drift.explanation.features} features). `}
          <Link to={drift.link!} data-testid="explanation-link">{`Explanation of ${model}`}</Link>
        </p>
      ) : (
        <p data-testid="no-explanation">
          {drift.note} {drift.command ? <>Compute one with <code className="mono">{drift.command}</code>.</> : null}
          {drift.link ? <> <Link to={drift.link}>{`Model version ${model}`}</Link></> : null}
        </p>
      )}
      {drift.features.length === 0 ? <p>No feature drifted in that window.</p> : (
        <table className="grid">
          <caption className="muted">{`Features that drifted in the window the rule last fired on`}</caption>
          <thead><tr><th scope="col">Feature</th><th scope="col">Drift test</th><th scope="col">Score</th><th scope="col">Importance rank</th><th scope="col">Attribution</th></tr></thead>
          <tbody>
            {drift.features.map((f) => (
              <tr key={f.feature}>
                <td className="mono">{f.feature}</td>
                <td>{f.test}</td>
                <td className="num">{f.score === null ? '—' : `${f.scoreKind === 'p_value' ? 'p = ' : ''}${formatNumber(f.score)}`}</td>
                <td className="num">{f.rank !== undefined ? `#${f.rank}${drift.explanation ? ` of ${drift.explanation.features}` : ''}` : '—'}</td>
                <td className="num">{f.attribution !== undefined ? formatNumber(f.attribution) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
