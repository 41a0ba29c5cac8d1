import type { Actor } from '../../core/actor.js';
import { DomainError, missing, notFound } from '../../core/errors.js';

/** MLflow's permission levels, weakest first. */
export const PERMISSION_LEVELS = ['NO_PERMISSIONS', 'READ', 'USE', 'EDIT', 'MANAGE'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];
/** What a check asks for: every level but the absence of one. */
export type Permission = Exclude<PermissionLevel, 'NO_PERMISSIONS'>;

export const levelRank = (level: PermissionLevel): number => PERMISSION_LEVELS.indexOf(level);
export const levelAt = (rank: number): PermissionLevel => PERMISSION_LEVELS[Math.max(0, Math.min(PERMISSION_LEVELS.length - 1, rank))]!;

/** Objects that carry their own grants. */
export const OBJECT_KINDS = ['experiment', 'registered_model', 'dataset', 'monitor', 'deployment', 'feature_view', 'review_queue'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];
export type ObjectResource = {
  readonly kind: ObjectKind;
  readonly id: string;
  /**
   * The error the service gives when what the caller named (a run, a logged model, an artifact: something governed
   * by this object) does not exist. A caller who may not read the object gets the same answer, so an id's existence
   * is never revealed; without it, the object's own not-found answer is used.
   */
  readonly asMissing?: () => DomainError;
};

/**
 * What a permission is checked on: one object, or the workspace (`server`) for listing and creating, optionally
 * narrowed to one project (listing or creating in it); without `project` it is the default project's workspace.
 */
export type Resource = ObjectResource | ServerResource;
export interface ServerResource {
  readonly kind: 'server';
  readonly project?: string;
}

/** The one permission check every service method makes first, and the two facts it needs from services. */
export interface Access {
  require(actor: Actor, permission: Permission, resource: Resource): Promise<void>;
  /**
   * A new object, in `project` (the default project when not named): its creator manages it and everyone else gets
   * the default permission (stale grants and project of a reused name are dropped).
   */
  created(actor: Actor, resource: ObjectResource, project?: string): Promise<void>;
  /** A renamed object keeps its grants and its project. */
  renamed(resource: ObjectResource, newId: string): Promise<void>;
  /**
   * The items the caller may read, in their order: searches and lists never show what a `require` would refuse.
   * With `project`, only the items in that project.
   */
  readable<T>(actor: Actor, kind: ObjectKind, items: readonly T[], idOf: (item: T) => string, project?: string): Promise<T[]>;
}

/** Auth off: every actor may do everything. */
export const allowAll: Access = {
  async require() {},
  async created() {},
  async renamed() {},
  async readable(_actor, _kind, items) {
    return [...items];
  },
};

/** The answer to a caller who may not read an object: exactly what they would get if it did not exist. */
export function concealed(resource: ObjectResource): DomainError {
  const e = resource.asMissing?.() ?? MISSING[resource.kind](resource.id);
  return new DomainError(e.code, e.message, e.subject, true);
}

const MISSING: Record<ObjectKind, (id: string) => DomainError> = {
  experiment: (id) => missing({ kind: 'experiment', experimentId: id }),
  registered_model: (id) => missing({ kind: 'registered-model', name: id }),
  dataset: (id) => notFound(`Dataset '${id}'`),
  monitor: (id) => notFound(`Monitor '${id}'`),
  deployment: (id) => notFound(`Deployment '${id}'`),
  feature_view: (id) => notFound(`Feature view '${id}'`),
  review_queue: (id) => notFound(`Review queue '${id}'`),
};

export function denied(actor: Actor, permission: Permission, resource: Resource): DomainError {
  if (!actor.authenticated) return new DomainError('UNAUTHENTICATED', 'Authentication required');
  const what = resource.kind !== 'server' ? `${resource.kind} '${resource.id}'` : resource.project !== undefined && resource.project !== 'default' ? `project '${resource.project}'` : 'the workspace';
  return new DomainError('PERMISSION_DENIED', `User '${actor.userId}' lacks ${permission} permission on ${what}`);
}
