import { useMemo, useState } from 'react';
import { Link, NavLink, useParams } from 'react-router';
import { trackingApi, type Run } from '../../api/tracking';
import { RunCost } from '../../components/cost';
import { ErrorMessage, Loading, NotFound } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatDuration, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { modules } from '../../modules';
import { ArtifactBrowser } from './artifact-browser';
import { MetricCharts } from './metric-charts';
import { runDuration } from './runs-page';

const TABS = [
  ['overview', 'Overview'],
  ['params', 'Parameters'],
  ['metrics', 'Metrics'],
  ['tags', 'Tags'],
  ['inputs', 'Inputs'],
  ['artifacts', 'Artifacts'],
  ['models', 'Models'],
] as const;
type Tab = (typeof TABS)[number][0];

export function RunPage() {
  const { runId = '', tab = 'overview' } = useParams();
  const run = useApi((signal) => trackingApi.getRun(runId, signal), [runId]);
  const experimentId = run.data?.info.experimentId;
  const experiment = useApi(async (signal) => (experimentId ? trackingApi.getExperiment(experimentId, signal) : undefined), [experimentId]);
  const runPath = `/runs/${encodeURIComponent(runId)}`;
  const experimentPath = experimentId ? `/experiments/${encodeURIComponent(experimentId)}` : undefined;
  const tabLabel = TABS.find(([t]) => t === tab)?.[1];
  // The trail: Home › Experiments › the experiment › the run › the view (a run's path holds neither the experiment nor a name).
  useTitle(run.data ? (tab === 'overview' ? `Run ${run.data.info.runName || runId}` : `${tabLabel ?? tab} · ${run.data.info.runName || runId}`) : 'Run', run.data ? {
    '/runs': experimentPath ? [{ label: 'Experiments', to: '/experiments' }, { label: experiment.data?.name ?? `Experiment ${experimentId}`, to: experimentPath }] : { label: 'Runs' },
    [runPath]: { label: run.data.info.runName || runId, to: runPath },
  } : undefined);
  if (!TABS.some(([t]) => t === tab)) return <NotFound what="run view" detail={`A run has no '${tab}' view.`} />;
  if (run.error) return <ErrorMessage error={run.error} what="run" />;
  if (!run.data) return <Loading what="run" />;
  const r = run.data;
  const base = `/runs/${encodeURIComponent(runId)}`;
  return (
    <article aria-labelledby="run-title">
      <p className="muted">
        <Link to="/experiments">Experiments</Link> / <Link to={`/experiments/${encodeURIComponent(r.info.experimentId)}`}>{experiment.data?.name ?? `experiment ${r.info.experimentId}`}</Link> /
        {' '}<Link className="muted" to={`/reproducibility/runs/${encodeURIComponent(r.info.runId)}`}>Captured environment and reproductions</Link>
      </p>
      <h1 id="run-title">{r.info.runName || r.info.runId} <span className={`status status-${r.info.status}`}>{r.info.status}</span></h1>
      <nav className="tabs" aria-label="Run views">
        {TABS.map(([t, label]) => (
          <NavLink key={t} to={t === 'overview' ? base : `${base}/${t}`} end>{label}</NavLink>
        ))}
      </nav>
      <RunTab tab={tab as Tab} run={r} />
    </article>
  );
}

function RunTab({ tab, run }: { tab: Tab; run: Run }) {
  switch (tab) {
    case 'overview':
      return <Overview run={run} />;
    case 'params':
      return <KeyValueTable title="Parameters" rows={run.data.params} empty="No parameters logged." />;
    case 'metrics':
      return <MetricCharts run={run} />;
    case 'tags':
      return <KeyValueTable title="Tags" rows={run.data.tags} empty="No tags." />;
    case 'inputs':
      return <Inputs run={run} />;
    case 'artifacts':
      return <ArtifactBrowser artifactUri={run.info.artifactUri} />;
    case 'models':
      return <LoggedModels run={run} />;
  }
}

const tagOf = (run: Run, key: string) => run.data.tags.find((t) => t.key === key)?.value;

function Overview({ run }: { run: Run }) {
  const { info } = run;
  const commit = tagOf(run, 'mlflow.source.git.commit');
  const note = tagOf(run, 'mlflow.note.content');
  return (
    <>
      <h2>Overview</h2>
      <dl className="facts">
        <dt>Run ID</dt><dd className="mono">{info.runId}</dd>
        <dt>Status</dt><dd className={`status status-${info.status}`}>{info.status}</dd>
        <dt>Started</dt><dd>{formatTime(info.startTime)}</dd>
        <dt>Ended</dt><dd>{formatTime(info.endTime)}</dd>
        <dt>Duration</dt><dd>{formatDuration(runDuration(run))}</dd>
        <dt>User</dt><dd>{info.userId || '—'}</dd>
        <dt>Source</dt><dd className="mono">{tagOf(run, 'mlflow.source.name') ?? '—'}{tagOf(run, 'mlflow.source.type') ? ` (${tagOf(run, 'mlflow.source.type')})` : ''}</dd>
        <dt>Git commit</dt><dd className="mono">{commit ?? '—'}</dd>
        <dt>Artifact location</dt><dd className="mono">{info.artifactUri}</dd>
        {info.lifecycleStage === 'deleted' ? <><dt>Lifecycle</dt><dd className="status status-FAILED">deleted</dd></> : null}
      </dl>
      {note ? <><h2>Description</h2><p style={{ whiteSpace: 'pre-wrap' }}>{note}</p></> : null}
      <h2>Latest metrics</h2>
      {run.data.metrics.length === 0 ? <p>No metrics logged.</p> : (
        <table className="grid">
          <thead><tr><th scope="col">Metric</th><th scope="col">Value</th><th scope="col">Step</th><th scope="col">Logged</th></tr></thead>
          <tbody>
            {[...run.data.metrics].sort((a, b) => a.key.localeCompare(b.key)).map((m) => (
              <tr key={m.key}><td className="mono">{m.key}</td><td className="num">{formatNumber(m.value)}</td><td className="num">{m.step}</td><td>{formatTime(m.timestamp)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Parameters</h2>
      <p>{run.data.params.length} logged — <Link to="params">see all</Link></p>
      <RunCost runId={info.runId} />
    </>
  );
}

function KeyValueTable({ title, rows, empty }: { title: string; rows: readonly { key: string; value: string }[]; empty: string }) {
  const [query, setQuery] = useState('');
  const shown = useMemo(() => {
    const q = query.toLowerCase();
    return [...rows].filter((r) => !q || r.key.toLowerCase().includes(q) || r.value.toLowerCase().includes(q)).sort((a, b) => a.key.localeCompare(b.key));
  }, [rows, query]);
  return (
    <>
      <h2>{title}</h2>
      {rows.length === 0 ? <p>{empty}</p> : (
        <>
          <div className="toolbar">
            <label htmlFor="kv-search">Search {title.toLowerCase()}</label>
            <input id="kv-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
            <span className="muted">{shown.length} of {rows.length}</span>
          </div>
          <table className="grid">
            <thead><tr><th scope="col">Key</th><th scope="col">Value</th></tr></thead>
            <tbody>{shown.map((r) => <tr key={r.key}><td className="mono">{r.key}</td><td className="mono" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{r.value}</td></tr>)}</tbody>
          </table>
        </>
      )}
    </>
  );
}

function Inputs({ run }: { run: Run }) {
  const datasetsPages = modules.some((m) => m.name === 'datasets');
  return (
    <>
      <h2>Dataset inputs</h2>
      {run.inputs.length === 0 ? <p>No dataset inputs logged.</p> : (
        <table className="grid">
          <thead><tr><th scope="col">Dataset</th><th scope="col">Digest</th><th scope="col">Context</th><th scope="col">Source</th><th scope="col">Schema</th></tr></thead>
          <tbody>
            {run.inputs.map((input) => {
              const d = input.dataset;
              const context = input.tags.find((t) => t.key === 'mlflow.data.context')?.value;
              return (
                <tr key={`${d.name}@${d.digest}`}>
                  <td>{datasetsPages ? <Link to={`/datasets/${encodeURIComponent(d.name)}?digest=${encodeURIComponent(d.digest)}`}>{d.name}</Link> : d.name}</td>
                  <td className="mono">{d.digest}</td>
                  <td>{context ?? '—'}</td>
                  <td className="mono" style={{ overflowWrap: 'anywhere' }}>{d.sourceType}: {d.source}</td>
                  <td>{d.schema ? <details><summary>schema</summary><pre className="mono">{pretty(d.schema)}</pre></details> : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

function LoggedModels({ run }: { run: Run }) {
  const models = useApi((signal) => trackingApi.loggedModelsOfRun(run.info.experimentId, run.info.runId, signal), [run.info.runId]);
  return (
    <>
      <h2>Logged models</h2>
      {models.error ? <ErrorMessage error={models.error} what="logged models" /> : null}
      {models.loading && !models.data ? <Loading what="logged models" /> : null}
      {models.data && models.data.length === 0 ? <p>This run logged no models.</p> : null}
      {models.data && models.data.length > 0 ? (
        <table className="grid">
          <thead><tr><th scope="col">Name</th><th scope="col">Model ID</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.info.model_id}>
                <td>{m.info.name}</td><td className="mono">{m.info.model_id}</td><td>{m.info.model_type ?? '—'}</td><td>{m.info.status}</td><td>{formatTime(m.info.creation_timestamp_ms)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
