import type { Actor } from '../../core/actor.js';
import type { Access, ObjectKind, ObjectResource, Permission, Resource } from '../access/access.js';
import type { ProjectStore } from './projects.store.js';
import { DEFAULT_PROJECT, projectMissing, validateProjectName } from './types.js';

/**
 * Keeps each object's project beside the permission decision, whether auth is on or off: records the project of
 * new and renamed objects, refuses a project that does not exist, and narrows lists to one project. Who may do
 * what in a project is decided by the access it wraps (GovernanceAccess reads the same store).
 */
export class ProjectAccess implements Access {
  constructor(
    private readonly inner: Access,
    private readonly store: ProjectStore,
  ) {}

  async require(actor: Actor, permission: Permission, resource: Resource): Promise<void> {
    if (resource.kind === 'server' && resource.project !== undefined && resource.project !== DEFAULT_PROJECT) await this.exists(resource.project);
    return this.inner.require(actor, permission, resource);
  }

  async created(actor: Actor, resource: ObjectResource, project: string = DEFAULT_PROJECT): Promise<void> {
    await this.store.assign(resource.kind, resource.id, project);
    await this.inner.created(actor, resource, project);
  }

  async renamed(resource: ObjectResource, newId: string): Promise<void> {
    await this.store.move(resource.kind, resource.id, newId);
    await this.inner.renamed(resource, newId);
  }

  async readable<T>(actor: Actor, kind: ObjectKind, items: readonly T[], idOf: (item: T) => string, project?: string): Promise<T[]> {
    const visible = await this.inner.readable(actor, kind, items, idOf);
    if (project === undefined || visible.length === 0) return visible;
    const placed = await this.store.projectsOf(kind, visible.map(idOf));
    return visible.filter((item) => (placed.get(idOf(item)) ?? DEFAULT_PROJECT) === project);
  }

  private async exists(name: string): Promise<void> {
    validateProjectName(name);
    if (!(await this.store.getProject(name))) throw projectMissing(name);
  }
}
