import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { datasetsApi, type DatasetVersion, type LineageNode, type StoredValidation } from '../../api/datasets';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatBytes, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

const show = (v: unknown): string => {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
};

export function DatasetVersionPage() {
  const { name = '', ref = '' } = useParams();
  useTitle(`Dataset ${name} @ ${ref}`);
  const version = useApi((signal) => datasetsApi.version(name, ref, signal), [name, ref]);
  if (version.error) return <ErrorMessage error={version.error} what="dataset version" />;
  if (!version.data) return <Loading what="dataset version" />;
  const v = version.data;
  return (
    <article aria-labelledby="dataset-version-title">
      <p className="muted"><Link to="/datasets">Datasets</Link> / <Link to={`/datasets/${encodeURIComponent(v.name)}`}>{v.name}</Link> /</p>
      <h1 id="dataset-version-title">{v.name} v{v.version}</h1>
      <dl className="facts">
        <dt>Digest</dt><dd className="mono">{v.digest}</dd>
        <dt>Rows</dt><dd>{v.rowCount === null ? '—' : v.rowCount.toLocaleString()}</dd>
        <dt>Size</dt><dd>{formatBytes(v.size)} in {v.files.length} file{v.files.length === 1 ? '' : 's'}</dd>
        <dt>Labels</dt><dd>{v.labels.length ? v.labels.join(', ') : '—'}</dd>
        <dt>Created</dt><dd>{formatTime(v.createdAt)} by {v.createdBy}</dd>
      </dl>
      <Profile version={v} />
      <Validations name={v.name} version={v.version} />
      <Lineage node={{ kind: 'dataset_version', id: v.id }} />
    </article>
  );
}

function Profile({ version }: { version: DatasetVersion }) {
  const columns = version.profile ?? version.schema?.map((c) => ({ ...c, nullCount: undefined, distinctCount: undefined })) ?? null;
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Schema and profile</h2>
      {!columns || columns.length === 0 ? <p>No schema: the files are not a table the platform reads.</p> : (
        <table className="grid" data-testid="profile-table">
          <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Nulls</th><th scope="col">Distinct</th><th scope="col">Min</th><th scope="col">Max</th><th scope="col">Mean</th><th scope="col">Top values</th></tr></thead>
          <tbody>
            {columns.map((c) => {
              const p = 'min' in c ? c : undefined;
              return (
                <tr key={c.name}>
                  <th scope="row">{c.name}</th>
                  <td className="mono">{c.type}</td>
                  <td className="num">{show(c.nullCount)}</td>
                  <td className="num">{show(c.distinctCount)}</td>
                  <td className="num">{show(p?.min)}</td>
                  <td className="num">{show(p?.max)}</td>
                  <td className="num">{show(p?.mean)}</td>
                  <td>{p?.topValues?.length ? p.topValues.slice(0, 5).map((t) => `${t.value} (${t.count})`).join(', ') : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Validations({ name, version }: { name: string; version: number }) {
  const validations = useApi((signal) => datasetsApi.validations(name, String(version), signal), [name, version]);
  return (
    <section aria-labelledby="validations-title">
      <h2 id="validations-title">Validations</h2>
      {validations.error ? <ErrorMessage error={validations.error} what="validations" /> : null}
      {validations.loading && !validations.data ? <Loading what="validations" /> : null}
      {validations.data && validations.data.items.length === 0 ? <p>Not validated yet.</p> : null}
      {validations.data?.items.map((s) => <Validation key={s.id} validation={s} />)}
    </section>
  );
}

function Validation({ validation: s }: { validation: StoredValidation }) {
  const stats = s.result.statistics;
  return (
    <section aria-label={`Validation ${s.suiteName} v${s.suiteVersion}`} data-testid="validation">
      <h3>
        Suite {s.suiteName} v{s.suiteVersion}: <span className={s.success ? 'check-pass' : 'check-fail'}>{s.success ? 'passed' : 'failed'}</span>
      </h3>
      <p className="muted">
        {stats.successful_expectations} of {stats.evaluated_expectations} expectations met
        {stats.success_percent === null ? '' : ` (${formatNumber(stats.success_percent)}%)`} · {formatTime(s.createdAt)} by {s.createdBy}
      </p>
      <table className="grid">
        <thead><tr><th scope="col">Expectation</th><th scope="col">Arguments</th><th scope="col">Result</th><th scope="col">Observed value</th><th scope="col">Unexpected</th></tr></thead>
        <tbody>
          {s.result.results.map((r, i) => (
            <tr key={i}>
              <td className="mono">{r.expectation_config.expectation_type}</td>
              <td className="mono">{JSON.stringify(r.expectation_config.kwargs)}</td>
              <td className={r.success ? 'check-pass' : 'check-fail'}><strong>{r.success ? 'passed' : 'failed'}</strong></td>
              <td>{r.exception_info ? r.exception_info.exception_message : show(r.result.observed_value)}</td>
              <td className="num">
                {r.result.unexpected_count === undefined ? '—' : r.result.unexpected_count.toLocaleString()}
                {r.result.unexpected_percent !== undefined && r.result.unexpected_percent !== null ? ` (${formatNumber(r.result.unexpected_percent)}%)` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Where a lineage node has a page in the UI. Dataset versions are keyed by id in the graph, so they have none here. */
function nodeLink(node: LineageNode): string | undefined {
  switch (node.kind) {
    case 'run': return `/runs/${encodeURIComponent(node.id)}`;
    case 'evaluation': return `/evaluations/${encodeURIComponent(node.id)}`;
    case 'model_version': {
      const slash = node.id.lastIndexOf('/');
      return slash > 0 ? `/models/${encodeURIComponent(node.id.slice(0, slash))}/versions/${encodeURIComponent(node.id.slice(slash + 1))}` : undefined;
    }
    default: return undefined;
  }
}

function Lineage({ node }: { node: LineageNode }) {
  const [direction, setDirection] = useState<'upstream' | 'downstream'>('downstream');
  const graph = useApi((signal) => datasetsApi.lineage(node, direction, signal), [node.kind, node.id, direction]);
  const nodes = graph.data?.nodes.filter((n) => !(n.kind === node.kind && n.id === node.id)) ?? [];
  const relationOf = (n: LineageNode) => graph.data?.edges.find((e) => (e.to.kind === n.kind && e.to.id === n.id) || (e.from.kind === n.kind && e.from.id === n.id))?.relation ?? '';
  return (
    <section aria-labelledby="lineage-title">
      <h2 id="lineage-title">Lineage</h2>
      <label>
        Direction{' '}
        <select value={direction} onChange={(e) => setDirection(e.target.value as 'upstream' | 'downstream')}>
          <option value="downstream">Downstream (made from this version)</option>
          <option value="upstream">Upstream (this version came from)</option>
        </select>
      </label>
      {graph.error ? <ErrorMessage error={graph.error} what="lineage" /> : null}
      {graph.loading && !graph.data ? <Loading what="lineage" /> : null}
      {graph.data && nodes.length === 0 ? <p>Nothing {direction === 'downstream' ? 'downstream' : 'upstream'} of this version yet.</p> : null}
      {graph.data && nodes.length > 0 ? (
        <table className="grid" data-testid="lineage-table">
          <thead><tr><th scope="col">Kind</th><th scope="col">Node</th><th scope="col">Relation</th><th scope="col">Hops</th></tr></thead>
          <tbody>
            {nodes.map((n) => {
              const to = nodeLink(n);
              return (
                <tr key={`${n.kind}:${n.id}`}>
                  <td>{n.kind.replaceAll('_', ' ')}</td>
                  <td className="mono">{to ? <Link to={to}>{n.id}</Link> : n.id}</td>
                  <td>{relationOf(n).replaceAll('_', ' ')}</td>
                  <td className="num">{n.depth}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
