import type { Actor } from '../../core/actor.js';
import { denied, type Access, type Permission, type Resource } from '../access/access.js';
import type { Role } from './types.js';

/** MLflow's levels, in order; a permission is granted when the role's ceiling reaches it. */
const LEVEL: Record<Permission, number> = { READ: 1, EDIT: 3, MANAGE: 4 };
const ROLE_CEILING: Record<Role, number> = { viewer: 1, member: 3, maintainer: 4, admin: 4 };

/**
 * Auth on: workspace roles decide. Users and tokens are admin-checked by the governance service itself.
 * Per-object grants and groups are not implemented yet (see the report).
 */
export const governanceAccess: Access = {
  async require(actor: Actor, permission: Permission, resource: Resource) {
    if (actor.isAdmin && actor.authenticated) return;
    const role = (actor as Actor & { role?: Role }).role;
    const ceiling = actor.authenticated && role ? ROLE_CEILING[role] : 0;
    const needed = LEVEL[permission];
    if (ceiling < needed) throw denied(actor, permission, resource);
  },
};
