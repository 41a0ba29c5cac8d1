import { useState, useSyncExternalStore } from 'react';
import { Link } from 'react-router';
import { currentUser, onCurrentUserChange } from '../../api/client';
import { registryApi, type CheckResult, type ModelVersion, type PromotionRequest } from '../../api/registry';
import { useAuth } from '../../components/auth';
import { ErrorMessage } from '../../components/status';
import { formatTime } from '../../lib/format';
import { mayOnModel, type PermissionLevel } from '../../lib/permissions';
import { useObjectLevel } from '../../lib/use-permission';
import { toast } from '../../components/toasts';

export const modelHref = (name: string) => `/models/${encodeURIComponent(name)}`;
export const versionHref = (name: string, version: number) => `${modelHref(name)}/versions/${version}`;

export function StageBadge({ stage }: { stage: string }) {
  return <span className={`badge stage-${stage}`} data-testid="stage">{stage}</span>;
}

export function Aliases({ aliases }: { aliases: readonly string[] }) {
  return <>{aliases.map((a) => <span key={a} className="badge mono">@{a}</span>)}</>;
}

export function VersionsTable({ versions }: { versions: readonly ModelVersion[] }) {
  if (versions.length === 0) return <p>No versions registered yet.</p>;
  return (
    <table className="grid" data-testid="versions-table">
      <thead><tr><th scope="col">Version</th><th scope="col">Stage</th><th scope="col">Aliases</th><th scope="col">Source run</th><th scope="col">Created</th><th scope="col">Description</th></tr></thead>
      <tbody>
        {versions.map((v) => (
          <tr key={v.version}>
            <td><Link to={versionHref(v.name, v.version)}>Version {v.version}</Link></td>
            <td><StageBadge stage={v.currentStage} /></td>
            <td><Aliases aliases={v.aliases} /></td>
            <td>{v.runId ? <Link className="mono" to={`/runs/${encodeURIComponent(v.runId)}`}>{v.runId.slice(0, 12)}</Link> : '—'}</td>
            <td>{formatTime(v.creationTime)}</td>
            <td>{v.description ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ChecksTable({ checks, caption }: { checks: readonly CheckResult[]; caption: string }) {
  if (checks.length === 0) return <p className="muted">No checks apply: the policy leaves this move free.</p>;
  return (
    <table className="grid">
      <caption style={{ textAlign: 'left', fontWeight: 600 }}>{caption}</caption>
      <thead><tr><th scope="col">Result</th><th scope="col">Check</th><th scope="col">Detail</th></tr></thead>
      <tbody>
        {checks.map((c, i) => (
          <tr key={i}>
            <td className={c.passed ? 'check-pass' : 'check-fail'}><strong>{c.passed ? '✓ passed' : '✗ failed'}</strong></td>
            <td>{c.name || c.type}</td>
            <td>{c.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A request card that looks up the signed-in user's level on the request's model itself (lists across models). */
export function RequestCardOwnLevel(props: { request: PromotionRequest; onChange(updated: PromotionRequest): void }) {
  const { level } = useObjectLevel('registered_model', props.request.name);
  return <RequestCard {...props} level={level} />;
}

/**
 * One promotion request: what it asks, the checks as last evaluated, who approved, and the actions still
 * open to the signed-in user's `level` on the model (hidden, not disabled, when it is too low).
 */
export function RequestCard({ request, level, onChange }: { request: PromotionRequest; level: PermissionLevel | undefined; onChange(updated: PromotionRequest): void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const act = async (action: () => Promise<PromotionRequest>) => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await action();
      onChange(updated);
      setComment('');
      toast(`Request #${updated.id} (${updated.name} v${updated.version} → ${updated.target}) is ${updated.state}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const auth = useAuth();
  const acting = useSyncExternalStore(onCurrentUserChange, currentUser) || 'anonymous';
  const user = auth.authEnabled ? auth.user : acting;
  const mine = user === request.requester;
  const commentId = `request-${request.id}-comment`;
  return (
    <article className="card" aria-labelledby={`request-${request.id}-title`} data-testid="promotion-request">
      <h3 id={`request-${request.id}-title`}>
        Request #{request.id}: <Link to={versionHref(request.name, request.version)}>{request.name} v{request.version}</Link> → <span className="mono">{request.target}</span>{' '}
        <span className={`state-${request.state}`}>({request.state})</span>
      </h3>
      <p className="muted">
        Requested by {request.requester} on {formatTime(request.createdTime)}{request.reason ? ` — “${request.reason}”` : ''}.
        {request.approvals.length > 0 ? ` Approved by ${request.approvals.map((a) => a.userId).join(', ')}.` : ''}
        {request.resolvedBy ? ` Resolved by ${request.resolvedBy}${request.resolution ? `: ${request.resolution}` : ''}.` : ''}
      </p>
      <ChecksTable checks={request.checks} caption="Policy checks" />
      {request.state === 'pending' && mayOnModel(level, mine ? 'withdraw' : 'approve') ? (
        <div className="toolbar">
          <label htmlFor={commentId}>Comment</label>
          <input id={commentId} value={comment} onChange={(e) => setComment(e.target.value)} />
          {mine ? (
            <button type="button" disabled={busy} onClick={() => void act(() => registryApi.withdraw(request.id, comment || undefined))}>Withdraw</button>
          ) : (
            <>
              <button type="button" className="primary" disabled={busy} onClick={() => void act(() => registryApi.approve(request.id, comment || undefined))}>Approve as {user}</button>
              <button type="button" className="danger" disabled={busy} onClick={() => void act(() => registryApi.reject(request.id, comment || undefined))}>Reject</button>
            </>
          )}
        </div>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
    </article>
  );
}
