import { Option, type Command } from 'commander';
import { PROJECT_ROLES, type Project, type ProjectDetail, type ProjectMember, type ProjectObject } from '../domain/projects/types.js';
import { api, withAuth, type Auth } from './governance.command.js';
import { formatTime, printJson, printTable } from './output.js';

const enc = encodeURIComponent;

const memberColumns = [
  { header: 'TYPE', value: (m: ProjectMember) => m.principalType },
  { header: 'NAME', value: (m: ProjectMember) => m.principal },
  { header: 'ROLE', value: (m: ProjectMember) => m.role },
  { header: 'GRANTED BY', value: (m: ProjectMember) => m.grantedBy },
  { header: 'GRANTED', value: (m: ProjectMember) => formatTime(m.grantedAt) },
];

/** A member is a user, or a group with `--group`. */
const principalOf = (name: string, opts: { group?: boolean }) => `${opts.group ? 'group' : 'user'}/${enc(name)}`;

/** `openexpert projects …`: projects (workspaces) grouping experiments, models, datasets, monitors and deployments. */
export function registerProjectsCommand(program: Command): void {
  const projects = program.command('projects').description('Projects (workspaces): create, list, show, delete; members with viewer/editor/admin roles');
  withAuth(projects.command('list').description('List the projects you may see (the default one and those you belong to)')).action(async (opts: Auth) => {
    const { items } = await api(opts)<{ items: Project[] }>('GET', '/api/v1/projects');
    if (opts.json) return printJson(items);
    printTable(items, [
      { header: 'NAME', value: (p) => p.name }, { header: 'DESCRIPTION', value: (p) => p.description },
      { header: 'CREATED BY', value: (p) => p.createdBy }, { header: 'CREATED', value: (p) => formatTime(p.createdAt) },
    ]);
  });
  withAuth(projects.command('create <name>').description('Create a project; you become its admin'))
    .option('--description <text>', 'what the project is for')
    .action(async (name: string, opts: Auth & { description?: string }) => {
      const created = await api(opts)<ProjectDetail>('POST', '/api/v1/projects', { name, ...(opts.description !== undefined ? { description: opts.description } : {}) });
      if (opts.json) return printJson(created);
      console.log(`Created project '${created.name}' (admin: ${created.createdBy})`);
    });
  withAuth(projects.command('show <name>').description('Show a project, its members and the objects in it')).action(async (name: string, opts: Auth) => {
    const call = api(opts);
    const project = await call<ProjectDetail>('GET', `/api/v1/projects/${enc(name)}`);
    const { items } = await call<{ items: ProjectObject[] }>('GET', `/api/v1/projects/${enc(name)}/objects`);
    if (opts.json) return printJson({ ...project, objects: items });
    console.log(`${project.name}: ${project.description || '(no description)'}\ncreated by ${project.createdBy} at ${formatTime(project.createdAt)}\n`);
    printTable(project.members, memberColumns);
    if (items.length > 0) {
      console.log('');
      printTable(items, [{ header: 'KIND', value: (o) => o.kind }, { header: 'ID', value: (o) => o.id }]);
    }
  });
  withAuth(projects.command('delete <name>').description('Delete an empty project (project admins)')).action(async (name: string, opts: Auth) => {
    await api(opts)('DELETE', `/api/v1/projects/${enc(name)}`);
    if (opts.json) return printJson({ deleted: name });
    console.log(`Deleted project '${name}'`);
  });

  const members = projects.command('members').description("A project's members: users or groups, each a viewer (READ), editor (EDIT) or admin (MANAGE)");
  withAuth(members.command('list <project>').description('List the members of a project')).action(async (project: string, opts: Auth) => {
    const { items } = await api(opts)<{ items: ProjectMember[] }>('GET', `/api/v1/projects/${enc(project)}/members`);
    if (opts.json) return printJson(items);
    printTable(items, memberColumns);
  });
  withAuth(members.command('add <project> <name>').description('Add a user (or a group, with --group) to a project, or change its role (project admins)'))
    .addOption(new Option('--role <role>', 'its role in the project').choices([...PROJECT_ROLES]).default('viewer'))
    .option('--group', '<name> is a group, not a user')
    .action(async (project: string, name: string, opts: Auth & { role: string; group?: boolean }) => {
      const member = await api(opts)<ProjectMember>('PUT', `/api/v1/projects/${enc(project)}/members/${principalOf(name, opts)}`, { role: opts.role });
      if (opts.json) return printJson(member);
      console.log(`${member.principalType === 'group' ? 'Group' : 'User'} '${member.principal}' is ${member.role} of '${member.project}'`);
    });
  withAuth(members.command('remove <project> <name>').description('Remove a user (or a group, with --group) from a project (project admins)'))
    .option('--group', '<name> is a group, not a user')
    .action(async (project: string, name: string, opts: Auth & { group?: boolean }) => {
      await api(opts)('DELETE', `/api/v1/projects/${enc(project)}/members/${principalOf(name, opts)}`);
      if (opts.json) return printJson({ removed: name, project });
      console.log(`Removed ${opts.group ? 'group' : 'user'} '${name}' from '${project}'`);
    });
}
