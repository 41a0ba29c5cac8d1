import type { MemberType, Project, ProjectDetail, ProjectMember, ProjectObject, ProjectRole } from '../../../src/domain/projects/types';
import { del, get, post, put } from './client';

/** Shapes of the projects API (src/api/v1/projects.routes.ts). */
export { DEFAULT_PROJECT, PROJECT_ROLES } from '../../../src/domain/projects/types';
export type { MemberType, Project, ProjectDetail, ProjectMember, ProjectObject, ProjectRole } from '../../../src/domain/projects/types';

const project = (name: string) => `/api/v1/projects/${encodeURIComponent(name)}`;
const member = (name: string, type: MemberType, principal: string) => `${project(name)}/members/${type}/${encodeURIComponent(principal)}`;

export const projectsApi = {
  list: (signal?: AbortSignal) => get<{ items: Project[] }>('/api/v1/projects', undefined, signal),
  get: (name: string, signal?: AbortSignal) => get<ProjectDetail>(project(name), undefined, signal),
  create: (input: { name: string; description?: string }) => post<ProjectDetail>('/api/v1/projects', input),
  objects: (name: string, signal?: AbortSignal) => get<{ items: ProjectObject[] }>(`${project(name)}/objects`, undefined, signal),
  setMember: (name: string, type: MemberType, principal: string, role: ProjectRole) => put<ProjectMember>(member(name, type, principal), { role }),
  removeMember: (name: string, type: MemberType, principal: string) => del<Record<string, never>>(member(name, type, principal)),
  remove: (name: string) => del<Record<string, never>>(project(name)),
};
