import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { alreadyExists, invalid, invalidState, isDomainError, notFound } from '../../core/errors.js';
import { noteChange } from '../../core/audit-notes.js';
import { OBJECT_KINDS, type Access, type ObjectKind } from '../access/access.js';
import type { ProjectStore } from './projects.store.js';
import { DEFAULT_PROJECT, PROJECT_ROLES, validateProjectName, type MemberType, type Project, type ProjectDetail, type ProjectMember, type ProjectObject, type ProjectRole } from './types.js';

/** What the project service needs from the rest of the platform, all optional (auth off: no users to check). */
export interface ProjectHooks {
  /** Whether a user or group exists, so a typo is refused rather than granted. */
  principalExists?(type: MemberType, name: string): Promise<boolean>;
  /** After members changed: cached project roles are dropped. */
  membersChanged?(): void;
}

const DESCRIPTION_MAX = 1000;

function validateDescription(description: unknown): string {
  if (description === undefined) return '';
  if (typeof description !== 'string' || description.length > DESCRIPTION_MAX) throw invalid(`'description' must be a string of at most ${DESCRIPTION_MAX} characters`);
  return description;
}

function validateRole(role: unknown): ProjectRole {
  if (!PROJECT_ROLES.includes(role as ProjectRole)) throw invalid(`'role' must be one of ${PROJECT_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  return role as ProjectRole;
}

/**
 * Projects (workspaces) and their members. Every check goes through `Access` with the project as the resource:
 * READ to see a project, MANAGE (its admins, and the workspace's maintainers and admins) to change it; creating one
 * needs the workspace's EDIT, and its creator becomes its admin.
 */
export class ProjectService {
  constructor(
    private readonly store: ProjectStore,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly hooks: ProjectHooks = {},
  ) {}

  async create(actor: Actor, input: { name: string; description?: string | undefined }): Promise<ProjectDetail> {
    await this.access.require(actor, 'EDIT', { kind: 'server' });
    const name = validateProjectName(input.name, 'name');
    const description = validateDescription(input.description);
    const now = this.clock.now();
    if (!(await this.store.insertProject({ name, description, createdBy: actor.userId, createdAt: now }))) throw alreadyExists(`Project '${name}'`);
    await this.store.putMember({ project: name, principalType: 'user', principal: actor.userId, role: 'admin', grantedBy: actor.userId, grantedAt: now });
    this.hooks.membersChanged?.();
    noteChange({ object: `project:${name}`, after: { description, admin: actor.userId } });
    return this.detail(name);
  }

  /** The projects the caller may see: the default one and those they belong to (all of them for maintainers and admins). */
  async list(actor: Actor): Promise<Project[]> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    const visible: Project[] = [];
    for (const p of await this.store.listProjects()) if (await this.canSee(actor, p.name)) visible.push(p);
    return visible;
  }

  async get(actor: Actor, name: string): Promise<ProjectDetail> {
    await this.access.require(actor, 'READ', { kind: 'server', project: validateProjectName(name, 'name') });
    return this.detail(name);
  }

  async update(actor: Actor, name: string, patch: { description?: string | undefined }): Promise<ProjectDetail> {
    await this.access.require(actor, 'MANAGE', { kind: 'server', project: validateProjectName(name, 'name') });
    const before = await this.find(name);
    const description = validateDescription(patch.description ?? before.description);
    await this.store.updateProject(name, { description });
    noteChange({ object: `project:${name}`, before: { description: before.description }, after: { description } });
    return this.detail(name);
  }

  /** Only an empty project goes: its objects would otherwise fall into the default project and be seen by all. */
  async delete(actor: Actor, name: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'server', project: validateProjectName(name, 'name') });
    if (name === DEFAULT_PROJECT) throw invalid('The default project cannot be deleted');
    const objects = await this.store.objectsIn(name);
    if (objects.length > 0) throw invalidState(`Project '${name}' still holds ${objects.length} object(s) (${objects.slice(0, 3).map((o) => `${o.kind} '${o.id}'`).join(', ')}${objects.length > 3 ? ', …' : ''}); delete them first`);
    if (!(await this.store.deleteProject(name))) throw notFound(`Project '${name}'`);
    this.hooks.membersChanged?.();
    noteChange({ object: `project:${name}`, after: null });
  }

  async members(actor: Actor, name: string): Promise<ProjectMember[]> {
    await this.access.require(actor, 'READ', { kind: 'server', project: validateProjectName(name, 'name') });
    return this.store.membersOf(name);
  }

  async setMember(actor: Actor, name: string, input: { principalType: MemberType; principal: string; role: string }): Promise<ProjectMember> {
    await this.access.require(actor, 'MANAGE', { kind: 'server', project: validateProjectName(name, 'name') });
    if (name === DEFAULT_PROJECT) throw invalid('The default project is open to the whole workspace: grant permissions on its objects instead of adding members');
    const role = validateRole(input.role);
    if (input.principalType !== 'user' && input.principalType !== 'group') throw invalid(`'principalType' must be 'user' or 'group'`);
    if (this.hooks.principalExists && !(await this.hooks.principalExists(input.principalType, input.principal))) throw notFound(`${input.principalType === 'user' ? 'User' : 'Group'} '${input.principal}'`);
    const before = (await this.store.membersOf(name)).find((m) => m.principalType === input.principalType && m.principal === input.principal);
    const member: ProjectMember = { project: name, principalType: input.principalType, principal: input.principal, role, grantedBy: actor.userId, grantedAt: this.clock.now() };
    await this.store.putMember(member);
    this.hooks.membersChanged?.();
    noteChange({ object: `project:${name}`, before: before ? { [`${before.principalType}:${before.principal}`]: before.role } : null, after: { [`${input.principalType}:${input.principal}`]: role } });
    return member;
  }

  async removeMember(actor: Actor, name: string, principalType: MemberType, principal: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'server', project: validateProjectName(name, 'name') });
    if (!(await this.store.deleteMember(name, principalType, principal))) throw notFound(`Member ${principalType} '${principal}' of project '${name}'`);
    this.hooks.membersChanged?.();
    noteChange({ object: `project:${name}`, before: { [`${principalType}:${principal}`]: 'member' }, after: null });
  }

  /** The objects placed in a project that the caller may read (the default project's are every object not placed elsewhere: use the lists). */
  async objects(actor: Actor, name: string): Promise<ProjectObject[]> {
    await this.access.require(actor, 'READ', { kind: 'server', project: validateProjectName(name, 'name') });
    const placed = await this.store.objectsIn(name);
    const out: ProjectObject[] = [];
    for (const kind of OBJECT_KINDS) {
      const ofKind = placed.filter((o) => o.kind === kind);
      if (ofKind.length > 0) out.push(...(await this.access.readable(actor, kind as ObjectKind, ofKind, (o) => o.id)));
    }
    return out;
  }

  private async canSee(actor: Actor, name: string): Promise<boolean> {
    try {
      await this.access.require(actor, 'READ', { kind: 'server', project: name });
      return true;
    } catch (err) {
      if (isDomainError(err) && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.code === 'PERMISSION_DENIED')) return false;
      throw err;
    }
  }

  private async find(name: string): Promise<Project> {
    const p = await this.store.getProject(name);
    if (!p) throw notFound(`Project '${name}'`);
    return p;
  }

  private async detail(name: string): Promise<ProjectDetail> {
    return { ...(await this.find(name)), members: await this.store.membersOf(name) };
  }
}
