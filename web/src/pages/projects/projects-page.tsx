import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { DEFAULT_PROJECT, PROJECT_ROLES, projectsApi, type MemberType, type ProjectMember, type ProjectObject, type ProjectRole } from '../../api/projects';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { setCurrentProject } from '../../lib/current-project';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { ActionOutcome, useAction } from '../admin/admin-bits';

const enc = encodeURIComponent;

/** Where each kind of object a project holds is shown in the UI. */
const LINK: Record<ProjectObject['kind'], (id: string) => string> = {
  experiment: (id) => `/experiments/${enc(id)}`,
  registered_model: (id) => `/models/${enc(id)}`,
  dataset: (id) => `/datasets/${enc(id)}`,
  monitor: (id) => `/monitoring/${enc(id)}`,
  deployment: (id) => `/api/v1/deployments/${enc(id)}`,
  feature_view: (id) => `/api/v1/features/views/${enc(id)}`,
  review_queue: (id) => `/review/${enc(id)}`,
};
const KIND_LABEL: Record<ProjectObject['kind'], string> = { experiment: 'Experiment', registered_model: 'Model', dataset: 'Dataset', monitor: 'Monitor', deployment: 'Deployment', feature_view: 'Feature view', review_queue: 'Review queue' };

/** The projects the user may see, and a form to create one (the creator becomes its admin). */
export function ProjectsPage() {
  useTitle('Projects');
  const projects = useApi((signal) => projectsApi.list(signal), []);
  const action = useAction(projects.reload);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = async () => {
    const n = name.trim();
    const d = description.trim();
    if (await action.run(() => projectsApi.create({ name: n, ...(d ? { description: d } : {}) }), `Created project ${n}.`)) {
      setName('');
      setDescription('');
    }
  };
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <p className="muted">A project groups experiments, models, datasets, monitors and deployments; only its members see them. Pick one in the header to narrow the lists to it.</p>
      <form className="toolbar" aria-label="Create a project" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <label htmlFor="new-project-name">Project name</label>
        <input id="new-project-name" required autoComplete="off" size={14} pattern="[a-z0-9][a-z0-9_\-]{0,63}" title="lowercase letters, digits, - or _" value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="new-project-description">Description (optional)</label>
        <input id="new-project-description" autoComplete="off" size={24} value={description} onChange={(e) => setDescription(e.target.value)} />
        <button type="submit" className="primary" disabled={action.busy}>Create project</button>
      </form>
      <ActionOutcome result={action.result} />
      {projects.error ? <ErrorMessage error={projects.error} what="projects" /> : null}
      {projects.loading && !projects.data ? <Loading what="projects" /> : null}
      {projects.data ? (
        <table className="grid" data-testid="projects-table">
          <thead><tr><th scope="col">Project</th><th scope="col">Description</th><th scope="col">Created by</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {projects.data.items.map((p) => (
              <tr key={p.name} data-testid="project-row">
                <td><Link to={`/projects/${enc(p.name)}`}>{p.name}</Link></td>
                <td>{p.description}</td>
                <td>{p.createdBy}</td>
                <td>{formatTime(p.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

/** One project: its members (admins change them) and the objects placed in it. */
export function ProjectPage() {
  const { name = '' } = useParams();
  useTitle(`Project ${name}`);
  const project = useApi((signal) => projectsApi.get(name, signal), [name]);
  const objects = useApi((signal) => projectsApi.objects(name, signal), [name]);
  const action = useAction(() => { project.reload(); objects.reload(); });
  if (project.error) return <ErrorMessage error={project.error} what={`project ${name}`} />;
  if (!project.data) return <Loading what={`project ${name}`} />;
  const p = project.data;
  return (
    <section aria-labelledby="project-title">
      <h1 id="project-title">Project {p.name}</h1>
      {p.description ? <p>{p.description}</p> : null}
      <p className="muted">Created by {p.createdBy} {formatTime(p.createdAt)}.{' '}
        <button type="button" onClick={() => { setCurrentProject(p.name); window.location.assign('/experiments'); }}>Show its experiments</button>
      </p>
      <ActionOutcome result={action.result} />
      <h2>Members</h2>
      {p.name === DEFAULT_PROJECT ? <p className="muted">The default project is open to the whole workspace: its objects' own permissions decide.</p> : (
        <>
          <table className="grid" data-testid="members-table">
            <thead><tr><th scope="col">Member</th><th scope="col">Type</th><th scope="col">Role</th><th scope="col">Added by</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{p.members.map((m) => <MemberRow key={`${m.principalType}:${m.principal}`} project={p.name} member={m} action={action} />)}</tbody>
          </table>
          <AddMember project={p.name} action={action} />
        </>
      )}
      <h2>Objects</h2>
      {objects.error ? <ErrorMessage error={objects.error} what="objects" /> : null}
      {objects.data && objects.data.items.length === 0 ? <p className="muted">{p.name === DEFAULT_PROJECT ? 'Everything not placed in another project is here: use the lists.' : 'Nothing in this project yet.'}</p> : null}
      {objects.data && objects.data.items.length > 0 ? (
        <table className="grid" data-testid="objects-table">
          <thead><tr><th scope="col">Kind</th><th scope="col">Id</th></tr></thead>
          <tbody>{objects.data.items.map((o) => (
            <tr key={`${o.kind}:${o.id}`}><td>{KIND_LABEL[o.kind]}</td><td>{o.kind === 'deployment' ? o.id : <Link to={LINK[o.kind](o.id)}>{o.id}</Link>}</td></tr>
          ))}</tbody>
        </table>
      ) : null}
    </section>
  );
}

type Action = ReturnType<typeof useAction>;

function MemberRow({ project, member, action }: { project: string; member: ProjectMember; action: Action }) {
  const [role, setRole] = useState<ProjectRole>(member.role);
  const id = `role-${member.principalType}-${member.principal}`;
  return (
    <tr data-testid="member-row">
      <td>{member.principal}</td>
      <td>{member.principalType}</td>
      <td>
        <label className="visually-hidden" htmlFor={id}>Role of {member.principal}</label>
        <select id={id} value={role} onChange={(e) => setRole(e.target.value as ProjectRole)}>
          {PROJECT_ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>{' '}
        <button type="button" disabled={action.busy || role === member.role} aria-label={`Save the role of ${member.principal}`}
          onClick={() => void action.run(() => projectsApi.setMember(project, member.principalType, member.principal, role), `${member.principal} is now ${role}.`)}>Save</button>
      </td>
      <td>{member.grantedBy}</td>
      <td>
        <button type="button" className="danger" aria-label={`Remove ${member.principal} from ${project}`} disabled={action.busy}
          onClick={() => void action.run(() => projectsApi.removeMember(project, member.principalType, member.principal), `Removed ${member.principal} from ${project}.`)}>Remove</button>
      </td>
    </tr>
  );
}

function AddMember({ project, action }: { project: string; action: Action }) {
  const [principal, setPrincipal] = useState('');
  const [type, setType] = useState<MemberType>('user');
  const [role, setRole] = useState<ProjectRole>('viewer');
  const add = async () => {
    const who = principal.trim();
    if (await action.run(() => projectsApi.setMember(project, type, who, role), `Added ${who} to ${project} as ${role}.`)) setPrincipal('');
  };
  return (
    <form className="toolbar" aria-label="Add a member" onSubmit={(e) => { e.preventDefault(); void add(); }}>
      <label htmlFor="member-type">Type</label>
      <select id="member-type" value={type} onChange={(e) => setType(e.target.value as MemberType)}>
        <option value="user">user</option>
        <option value="group">group</option>
      </select>
      <label htmlFor="member-name">Name</label>
      <input id="member-name" required autoComplete="off" size={14} value={principal} onChange={(e) => setPrincipal(e.target.value)} />
      <label htmlFor="member-role">Role</label>
      <select id="member-role" value={role} onChange={(e) => setRole(e.target.value as ProjectRole)}>
        {PROJECT_ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
      </select>
      <button type="submit" className="primary" disabled={action.busy}>Add member</button>
    </form>
  );
}
