import { useState } from 'react';
import { authApi, type Grant, type ObjectKind, type PrincipalType } from '../api/auth';
import { useApi } from '../lib/use-api';
import { can, PERMISSION_LEVELS, type PermissionLevel } from '../lib/permissions';
import { useObjectLevel } from '../lib/use-permission';
import { useAuth } from './auth';
import { ErrorMessage, Loading } from './status';

const who = (g: Pick<Grant, 'principalType' | 'principal'>) => (g.principalType === 'everyone' ? 'everyone' : `${g.principalType} ${g.principal}`);

/** The grants on one object; a user with MANAGE on it can grant a user, a group or everyone a level, and remove grants. */
export function PermissionsPanel({ kind, id, level, onChanged }: { kind: ObjectKind; id: string; level: PermissionLevel | undefined; onChanged?(): void }) {
  const grants = useApi((signal) => authApi.grants(kind, id, signal), [kind, id]);
  const manage = can(level, 'MANAGE');
  const [principalType, setPrincipalType] = useState<PrincipalType>('user');
  const [principal, setPrincipal] = useState('');
  const [newLevel, setNewLevel] = useState<PermissionLevel>('READ');
  const [result, setResult] = useState<{ message?: string; error?: unknown }>();
  const act = async (what: () => Promise<unknown>, message: string) => {
    setResult(undefined);
    try {
      await what();
      setResult({ message });
      grants.reload();
      onChanged?.();
    } catch (error) {
      setResult({ error });
    }
  };
  const grant = () => {
    const name = principal.trim();
    return act(
      () => authApi.grant({ kind, id, principalType, ...(principalType === 'everyone' ? {} : { principal: name }), level: newLevel }),
      `Granted ${newLevel} to ${who({ principalType, principal: name })}.`,
    );
  };
  return (
    <section className="permissions" aria-labelledby="permissions-title">
      <h2 id="permissions-title">Permissions</h2>
      <p>Your level: <strong className="mono" data-testid="my-level">{level ?? '…'}</strong></p>
      {grants.error ? <ErrorMessage error={grants.error} what="permissions" /> : null}
      {grants.loading && !grants.data ? <Loading what="permissions" /> : null}
      {grants.data && grants.data.grants.length === 0 ? <p className="muted">No grants: the creator, admins and maintainers manage it; everyone else has the default permission.</p> : null}
      {grants.data && grants.data.grants.length > 0 ? (
        <table className="grid" data-testid="grants-table">
          <thead><tr><th scope="col">Who</th><th scope="col">Level</th><th scope="col">Granted by</th>{manage ? <th scope="col"><span className="visually-hidden">Actions</span></th> : null}</tr></thead>
          <tbody>
            {grants.data.grants.map((g) => (
              <tr key={`${g.principalType}:${g.principal}`}>
                <td>{who(g)}</td>
                <td className="mono">{g.level}</td>
                <td>{g.grantedBy}</td>
                {manage ? (
                  <td><button type="button" className="danger" aria-label={`Remove the grant to ${who(g)}`} onClick={() => void act(() => authApi.revoke(g), `Removed the grant to ${who(g)}.`)}>Remove</button></td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {manage ? (
        <form className="toolbar" aria-label="Grant a permission" onSubmit={(e) => { e.preventDefault(); void grant(); }}>
          <label htmlFor="grant-type">Grant to</label>
          <select id="grant-type" value={principalType} onChange={(e) => setPrincipalType(e.target.value as PrincipalType)}>
            <option value="user">user</option><option value="group">group</option><option value="everyone">everyone</option>
          </select>
          {principalType !== 'everyone' ? (
            <>
              <label htmlFor="grant-principal">Name</label>
              <input id="grant-principal" value={principal} required onChange={(e) => setPrincipal(e.target.value)} size={14} />
            </>
          ) : null}
          <label htmlFor="grant-level">Level</label>
          <select id="grant-level" value={newLevel} onChange={(e) => setNewLevel(e.target.value as PermissionLevel)}>
            {PERMISSION_LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
          <button type="submit" className="primary">Grant</button>
        </form>
      ) : null}
      {result?.error ? <ErrorMessage error={result.error} /> : null}
      {result?.message ? <p role="status">{result.message}</p> : null}
    </section>
  );
}

/** One object's permissions panel with the caller's level on it; nothing with auth off. */
export function ObjectPermissions({ kind, id }: { kind: ObjectKind; id: string }) {
  const { authEnabled } = useAuth();
  const { level, reload } = useObjectLevel(kind, id);
  return authEnabled ? <PermissionsPanel kind={kind} id={id} level={level} onChanged={reload} /> : null;
}
