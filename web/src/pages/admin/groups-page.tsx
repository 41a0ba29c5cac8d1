import { Users } from 'lucide-react';
import { useState } from 'react';
import { adminApi, type Group } from '../../api/admin';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { ActionOutcome, AdminFrame, useAction } from './admin-bits';

export function GroupsPage() {
  return (
    <AdminFrame title="Groups">
      <Groups />
    </AdminFrame>
  );
}

type Action = ReturnType<typeof useAction>;

function Groups() {
  const groups = useApi((signal) => adminApi.groups(signal), []);
  const action = useAction(groups.reload);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = async () => {
    const n = name.trim();
    const d = description.trim();
    if (await action.run(() => adminApi.createGroup({ name: n, ...(d ? { description: d } : {}) }), `Created group ${n}.`)) {
      setName('');
      setDescription('');
    }
  };
  return (
    <>
      <h2>Groups</h2>
      <form className="toolbar" aria-label="Create a group" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <label htmlFor="new-group-name">Group name</label>
        <input id="new-group-name" required autoComplete="off" size={14} value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="new-group-description">Description (optional)</label>
        <input id="new-group-description" autoComplete="off" size={24} value={description} onChange={(e) => setDescription(e.target.value)} />
        <button type="submit" className="primary" disabled={action.busy}>Create group</button>
      </form>
      <ActionOutcome result={action.result} />
      {groups.error ? <ErrorMessage error={groups.error} what="groups" /> : null}
      {groups.loading && !groups.data ? <Loading what="groups" /> : null}
      {groups.data && groups.data.groups.length === 0 ? (
        <EmptyState title="No groups yet" icon={Users} commands={['openexpert groups create data-science']}>
          Groups grant permissions to many users at once; create one here or with:
        </EmptyState>
      ) : null}
      {groups.data && groups.data.groups.length > 0 ? (
        <table className="grid" data-testid="groups-table">
          <thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col">Add a member</th><th scope="col">Created</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>{groups.data.groups.map((g) => <GroupRow key={g.name} group={g} action={action} />)}</tbody>
        </table>
      ) : null}
    </>
  );
}

function GroupRow({ group, action }: { group: Group; action: Action }) {
  const [member, setMember] = useState('');
  const [confirming, setConfirming] = useState(false);
  const memberId = `add-member-${group.name}`;
  const add = async () => {
    const u = member.trim();
    if (await action.run(() => adminApi.addMember(group.name, u), `Added ${u} to ${group.name}.`)) setMember('');
  };
  return (
    <tr data-testid="group-row">
      <td><strong>{group.name}</strong>{group.description ? <div className="muted">{group.description}</div> : null}</td>
      <td>
        {group.members.length === 0 ? <span className="muted">No members</span> : (
          <ul className="members" aria-label={`Members of ${group.name}`}>
            {group.members.map((m) => (
              <li key={m}>
                {m}{' '}
                <button type="button" aria-label={`Remove ${m} from ${group.name}`} disabled={action.busy}
                  onClick={() => void action.run(() => adminApi.removeMember(group.name, m), `Removed ${m} from ${group.name}.`)}>Remove</button>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td>
        <form className="toolbar" aria-label={`Add a member to ${group.name}`} onSubmit={(e) => { e.preventDefault(); void add(); }}>
          <label className="visually-hidden" htmlFor={memberId}>Username to add to {group.name}</label>
          <input id={memberId} required autoComplete="off" size={12} placeholder="username" value={member} onChange={(e) => setMember(e.target.value)} />
          <button type="submit" disabled={action.busy}>Add</button>
        </form>
      </td>
      <td>{formatTime(group.createdAt)}</td>
      <td>
        {confirming ? (
          <span className="toolbar">
            <span>Delete {group.name}?</span>
            <button type="button" className="danger" disabled={action.busy} onClick={() => void action.run(() => adminApi.deleteGroup(group.name), `Deleted group ${group.name}.`).then(() => setConfirming(false))}>Yes, delete</button>
            <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
          </span>
        ) : (
          <button type="button" className="danger" aria-label={`Delete group ${group.name}`} onClick={() => setConfirming(true)}>Delete</button>
        )}
      </td>
    </tr>
  );
}
