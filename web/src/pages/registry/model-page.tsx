import { useState } from 'react';
import { Link, NavLink, useParams } from 'react-router';
import { registryApi, type PromotionRequest } from '../../api/registry';
import { useAuth } from '../../components/auth';
import { PermissionsPanel } from '../../components/permissions-panel';
import { ErrorMessage, Loading, NotFound } from '../../components/status';
import { formatTime } from '../../lib/format';
import { mayOnModel, type PermissionLevel } from '../../lib/permissions';
import { useApi } from '../../lib/use-api';
import { useObjectLevel } from '../../lib/use-permission';
import { useTitle } from '../../lib/use-title';
import { ChecksTable, modelHref, RequestCard, VersionsTable } from './registry-bits';
import { toast } from '../../components/toasts';

const TABS = [['versions', 'Versions'], ['requests', 'Promotion requests'], ['history', 'History']] as const;

export function ModelPage() {
  const { name = '', tab = 'versions' } = useParams();
  useTitle(`Model ${name}`);
  const model = useApi((signal) => registryApi.getModel(name, signal), [name]);
  const { authEnabled } = useAuth();
  const { level, reload: reloadLevel } = useObjectLevel('registered_model', name);
  if (!TABS.some(([t]) => t === tab)) return <NotFound what="model view" detail={`A model has no '${tab}' view.`} />;
  if (model.error) return <ErrorMessage error={model.error} what="model" />;
  if (!model.data) return <Loading what="model" />;
  const m = model.data;
  const base = modelHref(name);
  return (
    <article aria-labelledby="model-title">
      <p className="muted"><Link to="/models">Models</Link> /</p>
      <h1 id="model-title">{m.name}</h1>
      {m.description ? <p>{m.description}</p> : null}
      <dl className="facts">
        <dt>Created</dt><dd>{formatTime(m.creationTime)}</dd>
        <dt>Aliases</dt><dd>{m.aliases.length === 0 ? '—' : m.aliases.map((a) => <span key={a.alias} className="badge mono">@{a.alias} → v{a.version}</span>)}</dd>
        <dt>Tags</dt><dd>{m.tags.length === 0 ? '—' : m.tags.map((t) => <span key={t.key} className="badge">{t.key}: {t.value}</span>)}</dd>
      </dl>
      <nav className="tabs" aria-label="Model views">
        {TABS.map(([t, label]) => <NavLink key={t} to={t === 'versions' ? base : `${base}/${t}`} end>{label}</NavLink>)}
      </nav>
      {tab === 'versions' ? <Versions name={name} level={level} onMoved={model.reload} /> : null}
      {tab === 'requests' ? <Requests name={name} level={level} onMoved={model.reload} /> : null}
      {tab === 'history' ? <History name={name} level={level} onMoved={model.reload} /> : null}
      {authEnabled ? <PermissionsPanel kind="registered_model" id={name} level={level} onChanged={reloadLevel} /> : null}
    </article>
  );
}

function Versions({ name, level, onMoved }: { name: string; level: PermissionLevel | undefined; onMoved(): void }) {
  const versions = useApi((signal) => registryApi.versions(name, signal), [name]);
  return (
    <>
      <h2>Versions</h2>
      {versions.error ? <ErrorMessage error={versions.error} what="versions" /> : null}
      {versions.loading && !versions.data ? <Loading what="versions" /> : null}
      {versions.data ? <VersionsTable versions={versions.data.items} /> : null}
      {versions.data && versions.data.items.length > 0 && mayOnModel(level, 'requestPromotion') ? (
        <RequestForm name={name} versions={versions.data.items.map((v) => v.version)} onCreated={() => { versions.reload(); onMoved(); }} />
      ) : null}
    </>
  );
}

/** Asks for a move; a policy with no open checks completes it at once, otherwise it waits for approvals. */
export function RequestForm({ name, versions, onCreated, fixedVersion }: { name: string; versions: readonly number[]; onCreated(r: PromotionRequest): void; fixedVersion?: number }) {
  const [version, setVersion] = useState(fixedVersion ?? versions[0] ?? 1);
  const [target, setTarget] = useState('Staging');
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<{ request?: PromotionRequest; error?: unknown }>();
  const submit = async () => {
    try {
      const request = await registryApi.requestPromotion({ name, version, target, ...(reason ? { reason } : {}) });
      setResult({ request });
      onCreated(request);
      toast(request.state === 'completed' ? `${name} v${version} moved to ${target}.` : `Asked to move ${name} v${version} to ${target}: request #${request.id} waits for approval.`);
    } catch (error) {
      setResult({ error });
    }
  };
  return (
    <form className="card" style={{ marginTop: '1rem' }} onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-labelledby="request-form-title">
      <h3 id="request-form-title">Request a promotion</h3>
      <div className="toolbar">
        {fixedVersion === undefined ? (
          <>
            <label htmlFor="promote-version">Version</label>
            <select id="promote-version" value={version} onChange={(e) => setVersion(Number(e.target.value))}>
              {versions.map((v) => <option key={v} value={v}>{v}</option>)}
            </select>
          </>
        ) : null}
        <label htmlFor="promote-target">Target</label>
        <input id="promote-target" list="promote-targets" value={target} onChange={(e) => setTarget(e.target.value)} size={14} />
        <datalist id="promote-targets"><option value="Staging" /><option value="Production" /><option value="Archived" /><option value="@champion" /></datalist>
        <label htmlFor="promote-reason">Reason</label>
        <input id="promote-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
        <button type="submit" className="primary">Request</button>
      </div>
      <p className="muted">A stage name (Staging, Production, Archived) or an alias written @name.</p>
      {result?.error ? <ErrorMessage error={result.error} /> : null}
      {result?.request ? (
        <p role="status">Request #{result.request.id} is {result.request.state}{result.request.state === 'completed' ? ': the version moved.' : '; see Promotion requests.'}</p>
      ) : null}
    </form>
  );
}

function Requests({ name, level, onMoved }: { name: string; level: PermissionLevel | undefined; onMoved(): void }) {
  const requests = useApi((signal) => registryApi.requests({ name }, signal), [name]);
  const [updated, setUpdated] = useState<Record<number, PromotionRequest>>({});
  const items = (requests.data?.items ?? []).map((r) => updated[r.id] ?? r);
  const pending = items.filter((r) => r.state === 'pending');
  const done = items.filter((r) => r.state !== 'pending');
  const onChange = (r: PromotionRequest) => {
    setUpdated((u) => ({ ...u, [r.id]: r }));
    onMoved();
  };
  return (
    <>
      <h2>Pending requests ({pending.length})</h2>
      {requests.error ? <ErrorMessage error={requests.error} what="promotion requests" /> : null}
      {requests.loading && !requests.data ? <Loading what="promotion requests" /> : null}
      {requests.data && pending.length === 0 ? <p>Nothing waits for approval.</p> : null}
      <div className="cards">{pending.map((r) => <RequestCard key={r.id} request={r} level={level} onChange={onChange} />)}</div>
      <h2>Resolved requests ({done.length})</h2>
      <div className="cards">{done.map((r) => <RequestCard key={r.id} request={r} level={level} onChange={onChange} />)}</div>
    </>
  );
}

function History({ name, level, onMoved }: { name: string; level: PermissionLevel | undefined; onMoved(): void }) {
  const history = useApi((signal) => registryApi.history(name, undefined, signal), [name]);
  const [reason, setReason] = useState('');
  const [rollback, setRollback] = useState<{ message?: string; error?: unknown }>();
  const doRollback = async () => {
    try {
      const r = await registryApi.rollback(name, reason ? { reason } : {});
      setRollback({ message: `Rolled back from version ${r.from} to version ${r.version.version}.` });
      toast(`${name}: rolled back from version ${r.from} to version ${r.version.version}.`);
      history.reload();
      onMoved();
    } catch (error) {
      setRollback({ error });
    }
  };
  return (
    <>
      <h2>Transition history</h2>
      {history.error ? <ErrorMessage error={history.error} what="history" /> : null}
      {history.loading && !history.data ? <Loading what="history" /> : null}
      {history.data && history.data.items.length === 0 ? <p>No stage changes or alias moves yet.</p> : null}
      {history.data && history.data.items.length > 0 ? (
        <table className="grid" data-testid="history-table">
          <thead><tr><th scope="col">When</th><th scope="col">Version</th><th scope="col">Kind</th><th scope="col">Move</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col">Checks</th></tr></thead>
          <tbody>
            {[...history.data.items].reverse().map((r) => (
              <tr key={r.id}>
                <td>{formatTime(r.time)}</td>
                <td>v{r.version}</td>
                <td>{r.kind}</td>
                <td className="mono">{r.fromStage || r.toStage ? `${r.fromStage ?? '?'} → ${r.toStage ?? '?'}` : `${r.target}${r.previousVersion !== undefined ? ` (was v${r.previousVersion})` : ''}`}</td>
                <td>{r.actor}</td>
                <td>{r.reason ?? ''}{r.requestId !== undefined ? ` (request #${r.requestId})` : ''}</td>
                <td>{r.checks.length === 0 ? '—' : <details><summary>{r.checks.filter((c) => c.passed).length}/{r.checks.length} passed</summary><ChecksTable checks={r.checks} caption="Checks at the time" /></details>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {mayOnModel(level, 'rollback') ? (
        <form className="card" style={{ marginTop: '1rem' }} onSubmit={(e) => { e.preventDefault(); void doRollback(); }} aria-labelledby="rollback-title">
          <h3 id="rollback-title">Roll back Production</h3>
          <p className="muted">Puts the version that held Production before the current one back; approvals are bypassed, the checks are recorded.</p>
          <div className="toolbar">
            <label htmlFor="rollback-reason">Reason</label>
            <input id="rollback-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
            <button type="submit" className="danger">Roll back</button>
          </div>
          {rollback?.error ? <ErrorMessage error={rollback.error} /> : null}
          {rollback?.message ? <p role="status">{rollback.message}</p> : null}
        </form>
      ) : null}
    </>
  );
}
