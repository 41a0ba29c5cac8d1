import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { registryApi } from '../../api/registry';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { mayOnModel } from '../../lib/permissions';
import { useApi } from '../../lib/use-api';
import { useObjectLevel } from '../../lib/use-permission';
import { useTitle } from '../../lib/use-title';
import { ExplanationSection } from './explanation-charts';
import { RequestForm } from './model-page';
import { Aliases, ChecksTable, modelHref, StageBadge } from './registry-bits';

/** MLflow keeps a signature's parts as JSON strings: `[{"name": "age", "type": "long"}, …]` for column specs. */
function SignatureTable({ title, json }: { title: string; json: string | undefined }) {
  if (!json) return null;
  let columns: { name?: string; type?: string; required?: boolean; shape?: unknown }[] | undefined;
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed)) columns = parsed as typeof columns;
  } catch {
    columns = undefined;
  }
  return (
    <>
      <h3>{title}</h3>
      {columns ? (
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Shape</th><th scope="col">Required</th></tr></thead>
          <tbody>{columns.map((c, i) => <tr key={i}><td className="mono">{c.name ?? `#${i}`}</td><td className="mono">{c.type ?? '—'}</td><td className="mono">{c.shape ? JSON.stringify(c.shape) : '—'}</td><td>{c.required === false ? 'no' : 'yes'}</td></tr>)}</tbody>
        </table>
      ) : <pre className="mono">{json}</pre>}
    </>
  );
}

export function VersionPage() {
  const { name = '', version = '' } = useParams();
  useTitle(`${name} v${version}`);
  const v = useApi((signal) => registryApi.getVersion(name, version, signal), [name, version]);
  const [target, setTarget] = useState('Production');
  const { level } = useObjectLevel('registered_model', name);
  const checks = useApi(async (signal) => (v.data ? registryApi.checks(name, v.data.version, target, signal) : undefined), [v.data, target]);
  if (v.error) return <ErrorMessage error={v.error} what="model version" />;
  if (!v.data) return <Loading what="model version" />;
  const mv = v.data;
  const sig = mv.metadata?.signature;
  return (
    <article aria-labelledby="version-title">
      <p className="muted"><Link to="/models">Models</Link> / <Link to={modelHref(name)}>{name}</Link> /</p>
      <h1 id="version-title">{name} version {mv.version} <StageBadge stage={mv.currentStage} /> <Aliases aliases={mv.aliases} /></h1>
      <dl className="facts">
        <dt>Stage</dt><dd>{mv.currentStage}</dd>
        <dt>Source</dt><dd className="mono">{mv.source}</dd>
        <dt>Stored at</dt><dd className="mono">{mv.storageLocation}</dd>
        <dt>Source run</dt><dd>{mv.runId ? <Link className="mono" to={`/runs/${encodeURIComponent(mv.runId)}`}>{mv.runId}</Link> : '—'}</dd>
        <dt>Registered</dt><dd>{formatTime(mv.creationTime)}{mv.userId ? ` by ${mv.userId}` : ''}</dd>
        <dt>Flavors</dt><dd>{mv.metadata?.flavors ? Object.keys(mv.metadata.flavors).join(', ') : '—'}</dd>
        <dt>Tags</dt><dd>{mv.tags.length === 0 ? '—' : mv.tags.map((t) => <span key={t.key} className="badge">{t.key}: {t.value}</span>)}</dd>
        {mv.description ? <><dt>Description</dt><dd>{mv.description}</dd></> : null}
      </dl>
      <h2>Signature</h2>
      {sig ? <><SignatureTable title="Inputs" json={sig.inputs} /><SignatureTable title="Outputs" json={sig.outputs} /><SignatureTable title="Params" json={sig.params} /></> : <p>No signature recorded (the version's MLmodel file has none, or none was found).</p>}
      <h2>Feature attributions</h2>
      <ExplanationSection name={name} version={mv.version} />
      <h2>Promotion checks</h2>
      <div className="toolbar">
        <label htmlFor="checks-target">Checks for moving to</label>
        <select id="checks-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          {['Staging', 'Production', 'Archived', '@champion'].map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </div>
      {checks.error ? <ErrorMessage error={checks.error} what="checks" /> : null}
      {checks.data ? <ChecksTable checks={checks.data.checks} caption={`Moving to ${target}: ${checks.data.passed ? 'all checks pass' : 'blocked'}`} /> : null}
      {mayOnModel(level, 'requestPromotion') ? <RequestForm name={name} versions={[mv.version]} fixedVersion={mv.version} onCreated={() => v.reload()} /> : null}
    </article>
  );
}
