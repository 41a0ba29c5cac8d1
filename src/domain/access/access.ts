import type { Actor } from '../../core/actor.js';
import { DomainError } from '../../core/errors.js';

export type Permission = 'READ' | 'EDIT' | 'MANAGE';

/** What a permission is checked on; more kinds arrive with the modules that own them. */
export type Resource =
  | { readonly kind: 'experiment'; readonly id: string }
  | { readonly kind: 'monitor'; readonly id: string }
  | { readonly kind: 'registered_model'; readonly id: string }
  | { readonly kind: 'deployment'; readonly id: string }
  | { readonly kind: 'dataset'; readonly id: string }
  | { readonly kind: 'server' };

/** The one permission check every service method makes first. */
export interface Access {
  require(actor: Actor, permission: Permission, resource: Resource): Promise<void>;
}

/** Auth off: every actor may do everything. */
export const allowAll: Access = {
  async require() {},
};

export function denied(actor: Actor, permission: Permission, resource: Resource): DomainError {
  if (!actor.authenticated) return new DomainError('UNAUTHENTICATED', 'Authentication required');
  const what = resource.kind === 'server' ? 'the server' : `${resource.kind} '${resource.id}'`;
  return new DomainError('PERMISSION_DENIED', `User '${actor.userId}' lacks ${permission} permission on ${what}`);
}
