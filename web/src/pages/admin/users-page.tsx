import { useState } from 'react';
import { adminApi, ROLES, type Role, type User } from '../../api/admin';
import { useAuth } from '../../components/auth';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { ActionOutcome, AdminFrame, useAction } from './admin-bits';

export function UsersPage() {
  return (
    <AdminFrame title="Users">
      <Users />
    </AdminFrame>
  );
}

function Users() {
  const users = useApi((signal) => adminApi.users(signal), []);
  const action = useAction(users.reload);
  return (
    <>
      <h2>Users</h2>
      <CreateUser action={action} />
      <ActionOutcome result={action.result} />
      {users.error ? <ErrorMessage error={users.error} what="users" /> : null}
      {users.loading && !users.data ? <Loading what="users" /> : null}
      {users.data ? (
        <table className="grid" data-testid="users-table">
          <thead>
            <tr><th scope="col">Username</th><th scope="col">Role</th><th scope="col">E-mail</th><th scope="col">Created</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {users.data.users.map((u) => <UserRow key={u.username} user={u} action={action} />)}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

type Action = ReturnType<typeof useAction>;

function CreateUser({ action }: { action: Action }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [email, setEmail] = useState('');
  const submit = async () => {
    const name = username.trim();
    const mail = email.trim();
    const done = await action.run(() => adminApi.createUser({ username: name, password, role, ...(mail ? { email: mail } : {}) }), `Created user ${name} (${role}).`);
    if (done) {
      setUsername('');
      setPassword('');
      setEmail('');
    }
  };
  return (
    <form className="toolbar" aria-label="Create a user" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <label htmlFor="new-user-name">Username</label>
      <input id="new-user-name" required autoComplete="off" size={14} value={username} onChange={(e) => setUsername(e.target.value)} />
      <label htmlFor="new-user-password">Password</label>
      <input id="new-user-password" type="password" required autoComplete="new-password" size={14} value={password} onChange={(e) => setPassword(e.target.value)} />
      <label htmlFor="new-user-role">Role</label>
      <select id="new-user-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
      </select>
      <label htmlFor="new-user-email">E-mail (optional)</label>
      <input id="new-user-email" type="email" autoComplete="off" size={18} value={email} onChange={(e) => setEmail(e.target.value)} />
      <button type="submit" className="primary" disabled={action.busy}>Create user</button>
    </form>
  );
}

function UserRow({ user, action }: { user: User; action: Action }) {
  const { user: me } = useAuth();
  const [role, setRole] = useState<Role>(user.role);
  const [confirming, setConfirming] = useState(false);
  const roleId = `role-${user.username}`;
  return (
    <tr data-testid="user-row">
      <td>{user.username}{user.username === me ? <span className="badge">you</span> : null}</td>
      <td>
        <form className="toolbar" aria-label={`Change the role of ${user.username}`} onSubmit={(e) => { e.preventDefault(); void action.run(() => adminApi.updateUser(user.username, { role }), `${user.username} is now ${role}.`); }}>
          <label className="visually-hidden" htmlFor={roleId}>Role of {user.username}</label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
          <button type="submit" disabled={action.busy || role === user.role} aria-label={`Save the role of ${user.username}`}>Save</button>
        </form>
      </td>
      <td>{user.email ?? <span className="muted">—</span>}</td>
      <td>{formatTime(user.createdAt)}</td>
      <td>
        {confirming ? (
          <span className="toolbar">
            <span>Delete {user.username}?</span>
            <button type="button" className="danger" disabled={action.busy} onClick={() => void action.run(() => adminApi.deleteUser(user.username), `Deleted user ${user.username}.`).then(() => setConfirming(false))}>Yes, delete</button>
            <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
          </span>
        ) : (
          <button type="button" className="danger" aria-label={`Delete ${user.username}`} onClick={() => setConfirming(true)}>Delete</button>
        )}
      </td>
    </tr>
  );
}
