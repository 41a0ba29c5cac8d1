import { Link, useParams } from 'react-router';
import { evaluationApi, type AttributeFairness, type Estimate, type Evaluation, type Metrics } from '../../api/evaluation';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { CalibrationChart, ConfusionHeatmap, curveLines, FairnessBars, ThresholdChart, UnitChart } from './evaluation-charts';

const valueOf = (e: Estimate | undefined): string => (e === undefined ? '—' : e.value === null ? `— (${e.reason})` : formatNumber(e.value));
const intervalOf = (e: Estimate | undefined): string => (e?.ci ? `${formatNumber(e.ci.lower)} – ${formatNumber(e.ci.upper)}` : '—');

export function EvaluationPage() {
  const { id = '' } = useParams();
  const evaluation = useApi((signal) => evaluationApi.get(id, signal), [id]);
  useTitle(evaluation.data ? `Evaluation ${evaluation.data.name}` : 'Evaluation');
  if (evaluation.error) return <ErrorMessage error={evaluation.error} what="evaluation" />;
  if (!evaluation.data) return <Loading what="evaluation" />;
  const e = evaluation.data;
  return (
    <article aria-labelledby="evaluation-title">
      <p className="muted"><Link to="/evaluations">Evaluations</Link> /</p>
      <h1 id="evaluation-title">{e.name}</h1>
      <dl className="facts">
        <dt>Task</dt><dd>{e.task}</dd>
        <dt>Dataset</dt><dd>{e.dataset.name} · {e.dataset.rows.toLocaleString()} rows · <span className="mono" title={e.dataset.digest}>{e.dataset.digest.slice(0, 12)}</span></dd>
        <dt>Model</dt><dd>{e.model ? <Link to={`/models/${encodeURIComponent(e.model.name)}/versions/${e.model.version}`}>{e.model.name} v{e.model.version}</Link> : '—'}</dd>
        <dt>Run</dt><dd>{e.runId ? <Link to={`/runs/${encodeURIComponent(e.runId)}`}>{e.runId}</Link> : '—'}</dd>
        <dt>Created</dt><dd>{formatTime(e.createdAt)} by {e.createdBy}</dd>
        <dt>Report</dt><dd><a href={evaluationApi.reportUrl(e.id)} target="_blank" rel="noreferrer">HTML report</a></dd>
      </dl>
      <h2>Metrics</h2>
      <MetricTable metrics={e.result.metrics} testId="metrics-table" caption="Metrics with bootstrap intervals" />
      <Charts result={e.result} />
      {e.result.fairness ? (
        <section aria-labelledby="fairness-title">
          <h2 id="fairness-title">
            Fairness{' '}
            {e.result.fairness.passed === null ? null : <span className={e.result.fairness.passed ? 'check-pass' : 'check-fail'}>{e.result.fairness.passed ? 'passed' : 'failed'}</span>}
          </h2>
          {e.result.fairness.attributes.map((a) => <Fairness key={a.attribute} attribute={a} />)}
        </section>
      ) : null}
      {e.result.notes.length ? (
        <>
          <h2>Notes</h2>
          <ul>{e.result.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
        </>
      ) : null}
    </article>
  );
}

/** The model card's pictures: ROC and PR curves, calibration, threshold sweep, confusion matrix. */
function Charts({ result }: { result: Evaluation['result'] }) {
  const c = result.curves;
  if (!c && !result.confusionMatrix) return null;
  return (
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">Charts</h2>
      <div className="charts eval-charts">
        {c?.roc ? <UnitChart title="ROC curve" xLabel="False positive rate" yLabel="True positive rate" diagonal lines={curveLines(c.roc)} testId="roc-curve" /> : null}
        {c?.precisionRecall ? <UnitChart title="Precision–recall curve" xLabel="Recall" yLabel="Precision" lines={curveLines(c.precisionRecall)} testId="pr-curve" /> : null}
        {c?.calibration?.length ? <CalibrationChart bins={c.calibration} /> : null}
        {c?.thresholds?.length ? <ThresholdChart rows={c.thresholds} /> : null}
      </div>
      {result.confusionMatrix ? <ConfusionHeatmap labels={result.confusionMatrix.labels} matrix={result.confusionMatrix.matrix} /> : null}
    </section>
  );
}

function MetricTable({ metrics, testId, caption }: { metrics: Metrics; testId?: string; caption: string }) {
  const names = Object.keys(metrics).sort();
  if (names.length === 0) return <p>No metrics.</p>;
  return (
    <table className="grid" data-testid={testId}>
      <caption className="muted">{caption}</caption>
      <thead><tr><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Interval</th></tr></thead>
      <tbody>
        {names.map((m) => (
          <tr key={m}><th scope="row" className="mono">{m}</th><td className="num">{valueOf(metrics[m])}</td><td className="num">{intervalOf(metrics[m])}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

function Fairness({ attribute: a }: { attribute: AttributeFairness }) {
  const groupMetrics = [...new Set(a.groups.flatMap((g) => Object.keys(g.metrics)))].sort();
  return (
    <section aria-label={`Fairness by ${a.attribute}`}>
      <h3>By {a.attribute}</h3>
      <table className="grid">
        <caption className="muted">Per group</caption>
        <thead><tr><th scope="col">Group</th><th scope="col">Rows</th>{groupMetrics.map((m) => <th key={m} scope="col" className="mono">{m}</th>)}</tr></thead>
        <tbody>
          {a.groups.map((g) => (
            <tr key={g.group}>
              <th scope="row">{g.group}{g.privileged ? ' (privileged)' : ''}</th>
              <td className="num">{g.count.toLocaleString()}</td>
              {groupMetrics.map((m) => <td key={m} className="num">{valueOf(g.metrics[m])}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
      <FairnessBars checks={a.checks} />
      <MetricTable metrics={a.fairlearn} caption="Between groups (Fairlearn convention)" />
      {a.aif360 ? <MetricTable metrics={a.aif360} caption="Unprivileged against privileged (AIF360 convention)" /> : null}
      {a.checks.length ? (
        <table className="grid">
          <caption className="muted">Checks</caption>
          <thead><tr><th scope="col">Metric</th><th scope="col">Convention</th><th scope="col">Value</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
          <tbody>
            {a.checks.map((c, i) => (
              <tr key={i}>
                <td className="mono">{c.metric}</td><td>{c.convention}</td>
                <td className="num">{c.value === null ? '—' : formatNumber(c.value)}</td>
                <td className={c.passed === false ? 'check-fail' : c.passed ? 'check-pass' : undefined}><strong>{c.passed === null ? 'undecided' : c.passed ? 'passed' : 'failed'}</strong></td>
                <td>{c.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {a.notes.length ? <ul>{a.notes.map((n, i) => <li key={i}>{n}</li>)}</ul> : null}
    </section>
  );
}
