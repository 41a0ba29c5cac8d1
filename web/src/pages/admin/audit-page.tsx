import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { adminApi, type AuditFilter, type VerifyResult } from '../../api/admin';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { AdminFrame } from './admin-bits';

const PAGE = 50;
const FIELDS = [
  ['actor', 'Actor', 'exact user name'],
  ['action', 'Action', 'part of it, e.g. POST /api/v1/users'],
  ['object', 'Object', 'exact, e.g. registered_model:fraud'],
] as const;

export function AuditPage() {
  return (
    <AdminFrame title="Audit log">
      <Audit />
    </AdminFrame>
  );
}

/** Newest first; the filters and the page live in the address (?actor=&action=&object=&beforeSeq=), so a view can be shared. */
function Audit() {
  const [params, setParams] = useSearchParams();
  const text = (key: string) => params.get(key)?.trim() || undefined;
  const beforeSeqParam = Number(params.get('beforeSeq'));
  const beforeSeq = Number.isInteger(beforeSeqParam) && beforeSeqParam > 0 ? beforeSeqParam : undefined;
  const filter: AuditFilter = { actor: text('actor'), action: text('action'), object: text('object') };
  const entries = useApi((signal) => adminApi.audit({ ...filter, beforeSeq, newestFirst: true, limit: PAGE }, signal), [filter.actor, filter.action, filter.object, beforeSeq]);
  const rows = entries.data?.entries ?? [];
  const last = rows[rows.length - 1];
  const pageTo = (seq: number | undefined) => {
    const next = new URLSearchParams(params);
    if (seq === undefined) next.delete('beforeSeq');
    else next.set('beforeSeq', String(seq));
    setParams(next);
  };
  return (
    <>
      <h2>Audit log</h2>
      <AuditFilters key={params.toString()} initial={filter} onApply={(f) => {
        const next = new URLSearchParams();
        for (const [key, value] of Object.entries(f)) if (value) next.set(key, value);
        setParams(next);
      }} />
      <div className="toolbar">
        <VerifyChain />
        <a className="button" href={adminApi.auditExportUrl(filter)} download="audit-log.csv">Download CSV (e-mails redacted)</a>
      </div>
      {entries.error ? <ErrorMessage error={entries.error} what="the audit log" /> : null}
      {entries.loading && !entries.data ? <Loading what="the audit log" /> : null}
      {entries.data && rows.length === 0 ? <p className="muted">No entries{beforeSeq ? ` before entry ${beforeSeq}` : ''} match.</p> : null}
      {rows.length > 0 ? (
        <table className="grid" data-testid="audit-table">
          <caption className="visually-hidden">Audit log entries, newest first</caption>
          <thead>
            <tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Object</th><th scope="col">Status</th><th scope="col">Source IP</th></tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.seq} data-testid="audit-row">
                <td className="num">{e.seq}</td>
                <td>{formatTime(e.at)}</td>
                <td>{e.actor}</td>
                <td className="mono" title={e.summary || undefined}>{e.action}</td>
                <td className="mono">{e.object || <span className="muted">—</span>}</td>
                <td className="num">{e.status}</td>
                <td className="mono">{e.sourceIp}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <nav className="toolbar" aria-label="Audit log pages">
        {beforeSeq ? <button type="button" onClick={() => pageTo(undefined)}>← Newest entries</button> : null}
        {last && rows.length === PAGE ? <button type="button" onClick={() => pageTo(last.seq)}>Older entries →</button> : null}
        {beforeSeq ? <span className="muted">Showing entries before {beforeSeq}.</span> : null}
      </nav>
    </>
  );
}

function AuditFilters({ initial, onApply }: { initial: AuditFilter; onApply(f: Record<string, string>): void }) {
  const [values, setValues] = useState<Record<string, string>>({ actor: initial.actor ?? '', action: initial.action ?? '', object: initial.object ?? '' });
  return (
    <form className="toolbar" aria-label="Filter the audit log" onSubmit={(e) => { e.preventDefault(); onApply(values); }}>
      {FIELDS.map(([key, label, hint]) => (
        <span key={key}>
          <label htmlFor={`audit-${key}`}>{label}</label>{' '}
          <input id={`audit-${key}`} name={key} size={16} placeholder={hint} value={values[key] ?? ''} onChange={(e) => setValues({ ...values, [key]: e.target.value })} />
        </span>
      ))}
      <button type="submit" className="primary">Filter</button>
      <Link to="/admin/audit">Clear</Link>
    </form>
  );
}

function VerifyChain() {
  const [state, setState] = useState<{ busy: boolean; result?: VerifyResult; error?: unknown }>({ busy: false });
  const verify = async () => {
    setState({ busy: true });
    try {
      setState({ busy: false, result: await adminApi.verifyAudit() });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  const { result } = state;
  return (
    <>
      <button type="button" disabled={state.busy} onClick={() => void verify()}>Verify chain</button>
      <span role="status" data-testid="verify-result" className={result && !result.ok ? 'error' : undefined}>
        {state.busy ? 'Verifying…' : null}
        {result?.ok ? `OK: ${result.checked.toLocaleString()} entries checked, the chain is intact.` : null}
        {result && !result.ok ? `Tampered at entry ${result.firstBadSeq ?? '?'}: ${result.reason ?? 'unknown reason'} (${result.checked} entries checked before it).` : null}
      </span>
      {state.error ? <ErrorMessage error={state.error} what="the verification" /> : null}
    </>
  );
}
