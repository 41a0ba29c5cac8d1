import { useState } from 'react';
import { useParams } from 'react-router';
import { featuresApi, viewFeaturesOf, type Deployment, type SkewReport as SkewResult, type ViewDetail, type ViewSkewReport } from '../../api/features';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { Lineage } from '../datasets/dataset-version-page';
import { Freshness, formatTtl } from './freshness';

const sourceText = (s: ViewDetail['source']) => (s.kind === 'dataset' ? `dataset ${s.dataset}` : s.kind === 'path' ? s.path : s.uri);
const percent = (x: number) => `${formatNumber(x * 100)}%`;

function Schema({ view }: { view: ViewDetail }) {
  const d = view.definition;
  return (
    <table className="grid" data-testid="feature-schema">
      <thead><tr><th scope="col">Feature</th><th scope="col">Type</th><th scope="col">Computed as</th></tr></thead>
      <tbody>
        {d.schema.map((f) => <tr key={f.name}><td className="mono">{f.name}</td><td>{f.type}</td><td /></tr>)}
        {d.derived.map((f) => <tr key={f.name}><td className="mono">{f.name}</td><td>float64</td><td className="mono">{f.expression}</td></tr>)}
      </tbody>
    </table>
  );
}

function SkewTable({ report, testId }: { report: SkewResult; testId: string }) {
  return (
    <table className="grid" data-testid={testId}>
      <thead><tr><th scope="col">Feature</th><th scope="col">Rows</th><th scope="col">Mismatches</th><th scope="col">Rate</th><th scope="col">Null mismatches</th><th scope="col">Mean |difference|</th><th scope="col">KS p-value</th></tr></thead>
      <tbody>
        {report.features.map((f) => (
          <tr key={f.feature} className={f.mismatches > 0 ? 'pipeline-failed' : undefined}>
            <td className="mono">{f.feature}</td>
            <td className="num">{f.rows}</td>
            <td className="num">{f.mismatches}</td>
            <td className="num">{percent(f.mismatchRate)}</td>
            <td className="num">{f.nullMismatches}</td>
            <td className="num">{f.meanAbsoluteDifference !== undefined ? formatNumber(f.meanAbsoluteDifference) : ''}</td>
            <td className="num">{f.distribution ? formatNumber(f.distribution.pValue) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SkewReport({ report }: { report: ViewSkewReport | undefined }) {
  if (!report) return <p>No skew check yet. Compare what a server used with the offline values: <code>openexpert features skew --sample served.csv --features …</code>.</p>;
  return (
    <>
      <p data-testid="skew-summary">{report.rows} served rows checked {formatTime(report.checkedAt)} by {report.checkedBy} (tolerance {formatNumber(report.tolerance)}).</p>
      <SkewTable report={report} testId="skew-table" />
    </>
  );
}

const LOGGED_SHOWN = 20;
const valueText = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : String(v));

/** One deployment that fetches this view's features: the vectors it logged most recently, and a skew check against them. */
function DeploymentVectors({ deployment, view, onChecked }: { deployment: Deployment; view: ViewDetail; onChecked: () => void }) {
  const features = viewFeaturesOf(deployment, view);
  const logged = useApi((signal) => featuresApi.loggedPredictions(deployment.name, LOGGED_SHOWN, signal), [deployment.name]);
  const [check, setCheck] = useState<{ running: boolean; report?: SkewResult; error?: unknown }>({ running: false });
  const run = async () => {
    setCheck({ running: true });
    try {
      setCheck({ running: false, report: await featuresApi.skewOfDeployment(deployment.name, features.map((f) => `${view.name}:${f}`)) });
      onChecked();
    } catch (error) {
      setCheck({ running: false, error });
    }
  };
  const rows = (logged.data ?? []).flatMap((p) => [...(p.featureVector ? [p.featureVector] : []), ...(p.featureVectors ?? [])].map((v, i) => ({ key: `${p.predictionId}-${i}`, time: p.time, vector: v })));
  const headingId = `logged-${deployment.name}`;
  return (
    <section aria-labelledby={headingId} data-testid="deployment-vectors" data-deployment={deployment.name}>
      <h3 id={headingId}>Deployment {deployment.name}</h3>
      <p>
        Fetches {features.length} of this view&apos;s features for requests that carry {deployment.features!.entityKeys.join(', ')}; values past the TTL are{' '}
        {deployment.features!.onStale === 'warn' ? 'scored with a warning' : 'refused'}. Logs {formatNumber(deployment.logging.sampleRate * 100)}% of predictions.
      </p>
      {logged.error ? <ErrorMessage error={logged.error} what="the logged predictions" /> : !logged.data ? <Loading what="the logged predictions" /> : rows.length === 0 ? (
        <p>No feature vectors logged yet{deployment.logging.sampleRate === 0 ? ': its logging.sampleRate is 0' : ''}.</p>
      ) : (
        <table className="grid" data-testid="logged-vectors">
          <caption>The {rows.length} most recent vectors the model was given</caption>
          <thead><tr><th scope="col">Time</th><th scope="col">Entity</th>{features.map((f) => <th key={f} scope="col" className="mono">{f}</th>)}</tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td>{formatTime(r.time)}</td>
                <td className="mono">{Object.entries(r.vector.entity).map(([k, v]) => `${k}=${v}`).join(', ')}</td>
                {features.map((f) => <td key={f} className="num">{valueText(r.vector.values[f])}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <button type="button" onClick={() => void run()} disabled={check.running || rows.length === 0}>{check.running ? 'Checking…' : 'Check skew against the logged vectors'}</button>
      </p>
      {check.error ? <ErrorMessage error={check.error} what="the skew check" /> : null}
      {check.report ? (
        <>
          <p data-testid="deployment-skew-summary" role="status">{check.report.rows} logged vectors of {deployment.name} recomputed offline at their prediction&apos;s time (tolerance {formatNumber(check.report.tolerance)}).</p>
          <SkewTable report={check.report} testId="deployment-skew-table" />
        </>
      ) : null}
    </section>
  );
}

function LoggedVectors({ view, onChecked }: { view: ViewDetail; onChecked: () => void }) {
  const deployments = useApi((signal) => featuresApi.deploymentsUsing(view, signal), [view.name, view.features.join(',')]);
  if (deployments.error) return <ErrorMessage error={deployments.error} what="the deployments" />;
  if (!deployments.data) return <Loading what="the deployments" />;
  if (deployments.data.length === 0) {
    return <p>No deployment fetches this view&apos;s features. Give one a feature list: <code>openexpert deploy &lt;model&gt; --features {view.name}:{view.features[0] ?? '…'}</code>.</p>;
  }
  return <>{deployments.data.map((d) => <DeploymentVectors key={d.name} deployment={d} view={view} onChecked={onChecked} />)}</>;
}

export function FeatureViewPage() {
  const { name = '' } = useParams();
  const view = useApi((signal) => featuresApi.get(name, signal), [name]);
  useTitle(`Feature view ${name}`);
  if (view.error) return <ErrorMessage error={view.error} what="the feature view" />;
  if (!view.data) return <Loading what="the feature view" />;
  const v = view.data;
  return (
    <section aria-labelledby="feature-view-title">
      <h1 id="feature-view-title">Feature view {v.name}</h1>
      <dl className="facts" data-testid="feature-view-facts">
        <dt>Entity</dt><dd>{v.entity}{v.entityDef ? ` (join keys ${v.entityDef.joinKeys.map((k) => `${k.name}: ${k.type}`).join(', ')})` : ''}</dd>
        <dt>Source</dt><dd className="mono">{sourceText(v.source)}</dd>
        <dt>TTL</dt><dd>{formatTtl(v.ttlSeconds)}</dd>
        <dt>Online values</dt><dd><Freshness view={v} />{v.materializedUntil !== undefined ? ` materialized up to ${formatTime(v.materializedUntil)} (loaded ${formatTime(v.materializedAt)})` : ''}</dd>
        <dt>Owner</dt><dd>{v.owner ?? 'nobody named'}</dd>
        <dt>Tags</dt><dd>{Object.entries(v.tags).map(([k, t]) => <span key={k} className="badge">{k}={t}</span>)}</dd>
        {v.definition.description ? <><dt>Description</dt><dd>{v.definition.description}</dd></> : null}
      </dl>
      <h2>Schema</h2>
      <Schema view={v} />
      <h2>Training–serving skew</h2>
      <SkewReport report={v.lastSkewReport} />
      <h2>What deployments were given</h2>
      <LoggedVectors view={v} onChecked={view.reload} />
      <h2>Versions</h2>
      <table className="grid" data-testid="feature-view-versions">
        <thead><tr><th scope="col">Version</th><th scope="col">Applied</th><th scope="col">By</th><th scope="col">Digest</th></tr></thead>
        <tbody>{v.versions.map((x) => <tr key={x.version}><td className="num">v{x.version}</td><td>{formatTime(x.createdAt)}</td><td>{x.createdBy}</td><td className="mono">{x.digest.slice(0, 12)}</td></tr>)}</tbody>
      </table>
      <Lineage node={{ kind: 'feature_view', id: v.name }} what="this view" />
    </section>
  );
}
