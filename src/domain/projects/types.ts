import { invalid, notFound, type DomainError } from '../../core/errors.js';
import type { ObjectKind, PermissionLevel } from '../access/access.js';

/** Where every object made without naming a project goes, and every object made before projects existed is. */
export const DEFAULT_PROJECT = 'default';
/** The experiment tag MLflow clients set (at creation) to put an experiment in a project, and read it back from. */
export const PROJECT_TAG = 'openexpert.project';

/** A member's role in one project, and the level it gives on every object in it (MLflow's levels). */
export const PROJECT_ROLES = ['viewer', 'editor', 'admin'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];
export const PROJECT_ROLE_LEVEL: Record<ProjectRole, PermissionLevel> = { viewer: 'READ', editor: 'EDIT', admin: 'MANAGE' };

export type MemberType = 'user' | 'group';

export interface Project {
  readonly name: string;
  readonly description: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface ProjectMember {
  readonly project: string;
  readonly principalType: MemberType;
  readonly principal: string;
  readonly role: ProjectRole;
  readonly grantedBy: string;
  readonly grantedAt: number;
}

export interface ProjectDetail extends Project {
  readonly members: readonly ProjectMember[];
}

export interface ProjectObject {
  readonly kind: ObjectKind;
  readonly id: string;
}

export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Project names are short slugs, as they appear in URLs and CLI options. */
export function validateProjectName(name: unknown, field = 'project'): string {
  if (typeof name !== 'string' || !PROJECT_NAME.test(name)) {
    throw invalid(`'${field}' must be 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit (got ${JSON.stringify(name)})`);
  }
  return name;
}

/** An unknown project, and one the caller may not see, get this same answer. */
export const projectMissing = (name: string): DomainError => notFound(`Project '${name}'`);
