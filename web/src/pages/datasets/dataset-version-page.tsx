import { Network, Table2 } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { datasetsApi, type ColumnProfile, type DatasetVersion, type LineageGraph as LineageGraphData, type LineageNode, type PartProfile, type SchemaDifference, type StoredValidation } from '../../api/datasets';
import { EmptyState } from '../../components/empty-state';
import { LineageGraph, type GraphEdge, type GraphNode } from '../../components/lineage-graph';
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
  const parts = version.parts ?? [];
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">Schema and profile</h2>
      {parts.length > 1 ? <p>Of all {parts.length} files read together; each file on its own is under Parts below.</p> : null}
      <ProfileTable columns={version.profile} schema={version.schema} label="Profile" testId="profile-table" />
      {parts.length > 1 ? <Parts parts={parts} differences={version.schemaDifferences ?? []} /> : null}
    </section>
  );
}

const percent = (x: number) => `${formatNumber(x * 100)}%`;

/** What an estimate marked ≈ means, said once under the table. */
function approximationNote(columns: readonly ColumnProfile[]): string | undefined {
  const distinct = columns.find((c) => c.approximate?.distinctCount)?.approximate?.distinctCount;
  const quantiles = columns.find((c) => c.approximate?.quantiles)?.approximate?.quantiles;
  if (!distinct && !quantiles) return undefined;
  const notes = ['≈ marks an estimate: the table has more rows than the server profiles exactly.'];
  if (distinct) notes.push(`Distinct counts are ${distinct.method} estimates, within ±${percent(distinct.relativeStandardError)} of the true count about 68% of the time (±${percent(2 * distinct.relativeStandardError)} about 95%).`);
  if (quantiles) {
    notes.push(`Quartiles come from a ${quantiles.method} of ${quantiles.sampleSize.toLocaleString()} rows: with ${percent(quantiles.confidence)} confidence each is within ±${percent(quantiles.rankError)} of its rank.`);
  }
  return notes.join(' ');
}

function Estimate({ value, approximate, what }: { value: unknown; approximate: boolean; what: string }) {
  if (!approximate || value === null || value === undefined) return <>{show(value)}</>;
  return <span className="approximate" title={`${what}: an estimate`}>≈ {show(value)}</span>;
}

function ProfileTable({ columns: profile, schema, label, testId }: {
  columns: readonly ColumnProfile[] | null; schema: DatasetVersion['schema']; label: string; testId: string;
}) {
  const columns = profile ?? schema?.map((c) => ({ ...c, nullCount: undefined, distinctCount: undefined })) ?? null;
  if (!columns || columns.length === 0) return <p>No schema: the files are not a table the platform reads.</p>;
  const note = profile ? approximationNote(profile) : undefined;
  return (
    <>
      <table className="grid" data-testid={testId} aria-label={label}>
        <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Nulls</th><th scope="col">Distinct</th><th scope="col">Min</th><th scope="col">Max</th><th scope="col">Mean</th><th scope="col">Quartiles</th><th scope="col">Top values</th></tr></thead>
        <tbody>
          {columns.map((c) => {
            const p = 'min' in c ? (c as ColumnProfile) : undefined;
            const qs = p ? [p.q25, p.q50, p.q75] : [];
            const quartiles = qs.some((q) => q !== undefined && q !== null) ? qs.map(show).join(' / ') : undefined;
            return (
              <tr key={c.name}>
                <th scope="row">{c.name}</th>
                <td className="mono">{c.type}</td>
                <td className="num">{show(c.nullCount)}</td>
                <td className="num"><Estimate value={c.distinctCount} approximate={!!p?.approximate?.distinctCount} what="distinct count" /></td>
                <td className="num">{show(p?.min)}</td>
                <td className="num">{show(p?.max)}</td>
                <td className="num">{show(p?.mean)}</td>
                <td className="num">{quartiles === undefined ? '—' : <Estimate value={quartiles} approximate={!!p?.approximate?.quantiles} what="quartiles" />}</td>
                <td>{p?.topValues?.length ? p.topValues.slice(0, 5).map((t) => `${t.value} (${t.count})`).join(', ') : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {note ? <p className="muted" data-testid={`${testId}-note`}>{note}</p> : null}
    </>
  );
}

function Parts({ parts, differences }: { parts: readonly PartProfile[]; differences: readonly SchemaDifference[] }) {
  return (
    <section aria-labelledby="parts-title">
      <h3 id="parts-title">Parts</h3>
      <table className="grid" data-testid="parts-table">
        <thead><tr><th scope="col">File</th><th scope="col">Rows</th><th scope="col">Columns</th></tr></thead>
        <tbody>
          {parts.map((p) => (
            <tr key={p.path}>
              <th scope="row" className="mono">{p.path}</th>
              <td className="num">{p.rowCount.toLocaleString()}</td>
              <td>{p.schema.map((c) => c.name).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 id="schema-differences-title">Schema differences between parts</h3>
      {differences.length === 0 ? <p data-testid="schema-differences-none">Every file has the same columns with the same types.</p> : (
        <table className="grid" data-testid="schema-differences" aria-labelledby="schema-differences-title">
          <thead><tr><th scope="col">Column</th><th scope="col">Missing from</th><th scope="col">Types</th></tr></thead>
          <tbody>
            {differences.map((d) => (
              <tr key={d.column}>
                <th scope="row">{d.column}</th>
                <td className="mono">{d.missingFrom.length ? d.missingFrom.join(', ') : '—'}</td>
                <td>{Object.entries(d.types).map(([type, files]) => `${type} in ${files.join(', ')}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {parts.map((p) => (
        <details key={p.path} data-testid="part-profile">
          <summary>Profile of <span className="mono">{p.path}</span> ({p.rowCount.toLocaleString()} rows)</summary>
          <ProfileTable columns={p.profile} schema={p.schema} label={`Profile of ${p.path}`} testId="part-profile-table" />
        </details>
      ))}
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
    case 'feature_view': return `/features/${encodeURIComponent(node.id)}`;
    case 'review_queue': return `/review/${encodeURIComponent(node.id)}`;
    default: return undefined;
  }
}

/** Both directions at once, for the graph: the root in the middle, upstream to its left, downstream to its right. */
function graphOf(root: LineageNode, up: LineageGraphData | undefined, down: LineageGraphData | undefined): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const key = (n: LineageNode) => `${n.kind}:${n.id}`;
  const nodes = new Map<string, GraphNode>([[key(root), { key: key(root), kind: root.kind, label: root.id, layer: 0, href: nodeLink(root), root: true }]]);
  for (const [graph, sign] of [[up, -1], [down, 1]] as const) {
    for (const n of graph?.nodes ?? []) {
      if (!nodes.has(key(n))) nodes.set(key(n), { key: key(n), kind: n.kind, label: n.id, layer: sign * n.depth, href: nodeLink(n) });
    }
  }
  const edges = new Map<string, GraphEdge>();
  for (const e of [...(up?.edges ?? []), ...(down?.edges ?? [])]) edges.set(`${key(e.from)}>${key(e.to)}:${e.relation}`, { from: key(e.from), to: key(e.to), relation: e.relation });
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/**
 * The lineage around one node: a graph of both directions (pan, zoom, open a node), or a table of one direction
 * at a time; `what` names the node in the prose ("this version").
 */
export function Lineage({ node, what = 'this version' }: { node: LineageNode; what?: string }) {
  const [mode, setMode] = useState<'graph' | 'table'>('graph');
  const [direction, setDirection] = useState<'upstream' | 'downstream'>('downstream');
  const both = useApi(async (signal) => {
    const [up, down] = await Promise.all([datasetsApi.lineage(node, 'upstream', signal), datasetsApi.lineage(node, 'downstream', signal)]);
    return { up, down };
  }, [node.kind, node.id]);
  const graph = both.data ? (direction === 'upstream' ? both.data.up : both.data.down) : undefined;
  const nodes = graph?.nodes.filter((n) => !(n.kind === node.kind && n.id === node.id)) ?? [];
  const relationOf = (n: LineageNode) => graph?.edges.find((e) => (e.to.kind === n.kind && e.to.id === n.id) || (e.from.kind === n.kind && e.from.id === n.id))?.relation ?? '';
  const drawn = useMemo(() => graphOf(node, both.data?.up, both.data?.down), [node, both.data]);
  return (
    <section aria-labelledby="lineage-title">
      <h2 id="lineage-title">Lineage</h2>
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Show the lineage as">
          <button type="button" aria-pressed={mode === 'graph'} onClick={() => setMode('graph')}><Network className="icon" aria-hidden="true" />Graph</button>
          <button type="button" aria-pressed={mode === 'table'} onClick={() => setMode('table')}><Table2 className="icon" aria-hidden="true" />Table</button>
        </div>
        {mode === 'table' ? (
          <label>
            Direction{' '}
            <select value={direction} onChange={(e) => setDirection(e.target.value as 'upstream' | 'downstream')}>
              <option value="downstream">Downstream (made from {what})</option>
              <option value="upstream">Upstream ({what} came from)</option>
            </select>
          </label>
        ) : <span className="muted lineage-legend">Upstream on the left, downstream on the right. Drag to pan, scroll to zoom, click a node to open it.</span>}
      </div>
      {both.error ? <ErrorMessage error={both.error} what="lineage" /> : null}
      {both.loading && !both.data ? <Loading what="lineage" /> : null}
      {mode === 'graph' && both.data ? (
        drawn.nodes.length > 1 ? <LineageGraph nodes={drawn.nodes} edges={drawn.edges} /> : (
          <EmptyState title={`Nothing is linked to ${what} yet`} icon={Network} commands={['openexpert data add data/features.csv --name churn-features --derived-from churn-train@1', 'openexpert evaluate --dataset churn-train@1 --label y --score p']}>
            Data derived from it, runs that used it, evaluations and models made from it appear here as they are recorded.
          </EmptyState>
        )
      ) : null}
      {mode === 'table' && graph && nodes.length === 0 ? <p>Nothing {direction === 'downstream' ? 'downstream' : 'upstream'} of {what} yet.</p> : null}
      {mode === 'table' && graph && nodes.length > 0 ? (
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
