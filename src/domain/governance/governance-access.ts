import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { DomainError } from '../../core/errors.js';
import { noteRead } from '../../core/audit-notes.js';
import { concealed, denied, levelAt, levelRank, type Access, type ObjectKind, type ObjectResource, type Permission, type PermissionLevel, type Resource } from '../access/access.js';
import type { ProjectDirectory } from '../projects/projects.store.js';
import { DEFAULT_PROJECT, PROJECT_ROLE_LEVEL, projectMissing, type ProjectRole } from '../projects/types.js';
import type { GovernanceStore } from './governance.store.js';
import { EVERYONE, type Grant, type Role } from './types.js';

/** Workspace-wide levels: what a role may do with the workspace itself (list, create) and, for maintainers, with every object. */
const WORKSPACE_LEVEL: Record<Role, PermissionLevel> = { viewer: 'READ', member: 'EDIT', maintainer: 'MANAGE', admin: 'MANAGE' };
const READ = levelRank('READ');

export const roleOf = (actor: Actor): Role | undefined => (actor as Actor & { role?: Role }).role;
/** The most a scoped token lets its actor do (MANAGE when unscoped). */
const capOf = (actor: Actor): PermissionLevel => (actor as Actor & { cap?: PermissionLevel }).cap ?? 'MANAGE';
const atMost = (level: PermissionLevel, cap: PermissionLevel): PermissionLevel => (levelRank(level) > levelRank(cap) ? cap : level);
const best = (a: PermissionLevel, b: PermissionLevel): PermissionLevel => (levelRank(a) >= levelRank(b) ? a : b);
const NO_PROJECTS: ProjectDirectory = { projectsOf: async () => new Map(), rolesOf: async () => new Map() };

/**
 * A user's level on one object from its grants, as MLflow decides it: the user's own grant wins (it may also take
 * access away); otherwise the best of the user's groups' grants and the object's `everyone` grant, or the
 * workspace default when the object has none (objects created before auth was turned on).
 */
export function effectiveLevel(grants: readonly Grant[], username: string, groups: ReadonlySet<string>, defaultLevel: PermissionLevel): PermissionLevel {
  const own = grants.find((g) => g.principalType === 'user' && g.principal === username);
  if (own) return own.level;
  const everyone = grants.find((g) => g.principalType === 'everyone');
  let rank = levelRank(everyone ? everyone.level : defaultLevel);
  for (const g of grants) if (g.principalType === 'group' && groups.has(g.principal)) rank = Math.max(rank, levelRank(g.level));
  return levelAt(rank);
}

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/**
 * A user's level on one object in a project other than the default: none unless they belong to the project
 * (directly or through a group), whatever the object's grants say; a member gets the better of their project role
 * and their own or their groups' grants on the object. The object's `everyone` grant and the workspace default do
 * not reach across projects.
 */
export function projectObjectLevel(grants: readonly Grant[], username: string, groups: ReadonlySet<string>, role: ProjectRole | undefined): PermissionLevel {
  if (role === undefined) return 'NO_PERMISSIONS';
  return best(PROJECT_ROLE_LEVEL[role], effectiveLevel(grants.filter((g) => g.principalType !== 'everyone'), username, groups, 'NO_PERMISSIONS'));
}

/**
 * Auth on: admins and maintainers may do everything; members and viewers get what the object's grants give them,
 * viewers never more than READ. Objects in a project other than the default are decided by project membership
 * (`projectObjectLevel`), and listing or creating in such a project needs the project role as well as the
 * workspace role. Grants, projects and memberships are cached for `ttlMs` (changes made through this process are
 * seen at once; another replica's within the TTL).
 */
export class GovernanceAccess implements Access {
  private readonly grantCache = new Map<string, Cached<Grant[]>>();
  private readonly groupCache = new Map<string, Cached<ReadonlySet<string>>>();
  private readonly projectCache = new Map<string, Cached<string>>();
  private readonly roleCache = new Map<string, Cached<ReadonlyMap<string, ProjectRole>>>();

  constructor(
    private readonly store: GovernanceStore,
    private readonly clock: Clock,
    readonly defaultLevel: PermissionLevel,
    private readonly ttlMs = 2000,
    /** Object kinds whose reads are noted for the audit log (data-access auditing). */
    private readonly auditReads: ReadonlySet<ObjectKind> = new Set(),
    /** Which project objects are in and who belongs to which project (none: everything is in the default project). */
    private readonly projects: ProjectDirectory = NO_PROJECTS,
  ) {}

  async level(actor: Actor, resource: Resource): Promise<PermissionLevel> {
    if (!actor.authenticated) return 'NO_PERMISSIONS';
    if (actor.isAdmin) return capOf(actor);
    const role = roleOf(actor);
    if (!role) return 'NO_PERMISSIONS';
    const cap = capOf(actor);
    if (role === 'maintainer') return atMost(WORKSPACE_LEVEL[role], cap);
    if (resource.kind === 'server') {
      const project = resource.project ?? DEFAULT_PROJECT;
      if (project === DEFAULT_PROJECT) return atMost(WORKSPACE_LEVEL[role], cap);
      const projectRole = (await this.roles(actor.userId)).get(project);
      const inProject: PermissionLevel = projectRole === undefined ? 'NO_PERMISSIONS' : PROJECT_ROLE_LEVEL[projectRole];
      // The project role decides; the workspace's viewers stay readers in every project.
      return atMost(atMost(inProject, role === 'viewer' ? 'READ' : 'MANAGE'), cap);
    }
    const [grants, groups, project] = await Promise.all([this.grants(resource.kind, resource.id), this.groups(actor.userId), this.projectOf(resource.kind, resource.id)]);
    const level = project === DEFAULT_PROJECT
      ? effectiveLevel(grants, actor.userId, groups, this.defaultLevel)
      : projectObjectLevel(grants, actor.userId, groups, (await this.roles(actor.userId)).get(project));
    return atMost(level, role === 'viewer' && levelRank(cap) > READ ? 'READ' : cap);
  }

  async require(actor: Actor, permission: Permission, resource: Resource): Promise<void> {
    // An unscoped admin needs no lookup, but their reads are audited as anyone's.
    const unbounded = actor.isAdmin && actor.authenticated && capOf(actor) === 'MANAGE';
    const level = unbounded ? 'MANAGE' : await this.level(actor, resource);
    if (levelRank(level) >= levelRank(permission)) {
      if (resource.kind !== 'server' && this.auditReads.has(resource.kind)) noteRead(`${resource.kind}:${resource.id}`);
      return;
    }
    // Whoever may not even read an object is told it does not exist, as if they had named an unknown one.
    if (resource.kind !== 'server' && actor.authenticated && levelRank(level) < READ) throw concealed(resource);
    // A project the caller does not belong to answers as an unknown one (concealed: a refusal, audited as one).
    if (resource.kind === 'server' && resource.project !== undefined && resource.project !== DEFAULT_PROJECT && actor.authenticated && levelRank(level) < READ) {
      const e = projectMissing(resource.project);
      throw new DomainError(e.code, e.message, e.subject, true);
    }
    const cap = capOf(actor);
    if (levelRank(cap) < levelRank(permission)) {
      // Say so when it is the token's scope, not the user's grants, that falls short.
      throw new DomainError('PERMISSION_DENIED', `This token's scope (${cap}) does not allow ${permission} (user '${actor.userId}')`);
    }
    throw denied(actor, permission, resource);
  }

  async created(actor: Actor, resource: ObjectResource): Promise<void> {
    const at = this.clock.now();
    const base = { kind: resource.kind, id: resource.id, grantedBy: actor.userId, grantedAt: at };
    await this.store.replaceGrants(resource.kind, resource.id, [
      { ...base, principalType: 'user', principal: actor.userId, level: 'MANAGE' },
      { ...base, principalType: 'everyone', principal: EVERYONE, level: this.defaultLevel },
    ]);
    this.invalidate(resource.kind, resource.id);
  }

  async renamed(resource: ObjectResource, newId: string): Promise<void> {
    await this.store.moveGrants(resource.kind, resource.id, newId);
    this.invalidate(resource.kind, resource.id);
    this.invalidate(resource.kind, newId);
  }

  async readable<T>(actor: Actor, kind: ObjectKind, items: readonly T[], idOf: (item: T) => string): Promise<T[]> {
    if (!actor.authenticated) return [];
    const role = roleOf(actor);
    if (levelRank(capOf(actor)) < READ || !role || items.length === 0) return [];
    if (actor.isAdmin || role === 'maintainer') return [...items];
    const ids = items.map(idOf);
    const [grants, groups, placed, roles] = await Promise.all([this.store.grantsOn(kind, ids), this.groups(actor.userId), this.projects.projectsOf(kind, ids), this.roles(actor.userId)]);
    const byId = new Map<string, Grant[]>();
    for (const g of grants) byId.set(g.id, [...(byId.get(g.id) ?? []), g]);
    return items.filter((item) => {
      const id = idOf(item);
      const project = placed.get(id) ?? DEFAULT_PROJECT;
      const level = project === DEFAULT_PROJECT
        ? effectiveLevel(byId.get(id) ?? [], actor.userId, groups, this.defaultLevel)
        : projectObjectLevel(byId.get(id) ?? [], actor.userId, groups, roles.get(project));
      return levelRank(level) >= READ;
    });
  }

  /** After a grant on this object changed. */
  invalidate(kind: ObjectKind, id: string): void {
    this.grantCache.delete(`${kind}\0${id}`);
    this.projectCache.delete(`${kind}\0${id}`);
  }

  /** After a project's members changed (or a project was removed). */
  invalidateProjectRoles(): void {
    this.roleCache.clear();
  }

  /** After a user's group memberships changed (all users when none is named). */
  invalidateGroups(username?: string): void {
    if (username === undefined) this.groupCache.clear();
    else this.groupCache.delete(username);
    // Project roles given through groups follow the memberships.
    if (username === undefined) this.roleCache.clear();
    else this.roleCache.delete(username);
  }

  private async projectOf(kind: ObjectKind, id: string): Promise<string> {
    const key = `${kind}\0${id}`;
    const now = this.clock.now();
    const hit = this.projectCache.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = (await this.projects.projectsOf(kind, [id])).get(id) ?? DEFAULT_PROJECT;
    if (this.projectCache.size > 50_000) this.projectCache.clear();
    this.projectCache.set(key, { value, until: now + this.ttlMs });
    return value;
  }

  private async roles(username: string): Promise<ReadonlyMap<string, ProjectRole>> {
    const now = this.clock.now();
    const hit = this.roleCache.get(username);
    if (hit && hit.until > now) return hit.value;
    const value = await this.projects.rolesOf(username, [...(await this.groups(username))]);
    if (this.roleCache.size > 50_000) this.roleCache.clear();
    this.roleCache.set(username, { value, until: now + this.ttlMs });
    return value;
  }

  private async grants(kind: ObjectKind, id: string): Promise<Grant[]> {
    const key = `${kind}\0${id}`;
    const now = this.clock.now();
    const hit = this.grantCache.get(key);
    if (hit && hit.until > now) return hit.value;
    const value = await this.store.grantsOn(kind, [id]);
    if (this.grantCache.size > 50_000) this.grantCache.clear();
    this.grantCache.set(key, { value, until: now + this.ttlMs });
    return value;
  }

  private async groups(username: string): Promise<ReadonlySet<string>> {
    const now = this.clock.now();
    const hit = this.groupCache.get(username);
    if (hit && hit.until > now) return hit.value;
    const value = new Set(await this.store.groupsOf(username));
    if (this.groupCache.size > 50_000) this.groupCache.clear();
    this.groupCache.set(username, { value, until: now + this.ttlMs });
    return value;
  }
}
