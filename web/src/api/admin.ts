import type { AuditEntry, Group, Role, User } from '../../../src/domain/governance/types';
import { del, get, post, put, request, withQuery } from './client';

/** Shapes of the admin part of the governance API (src/api/v1/governance.routes.ts): users, groups, the audit log. */
export { ROLES } from '../../../src/domain/governance/types';
export type { AuditEntry, Group, Role, User } from '../../../src/domain/governance/types';

export interface AuditFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly object?: string | undefined;
  readonly beforeSeq?: number | undefined;
  readonly newestFirst?: boolean | undefined;
  readonly limit?: number | undefined;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  readonly firstBadSeq?: number;
  readonly reason?: string;
}

const user = (name: string) => `/api/v1/users/${encodeURIComponent(name)}`;
const group = (name: string) => `/api/v1/groups/${encodeURIComponent(name)}`;

export const adminApi = {
  users: (signal?: AbortSignal) => get<{ users: User[] }>('/api/v1/users', undefined, signal),
  createUser: (input: { username: string; password: string; role: Role; email?: string }) => post<{ user: User }>('/api/v1/users', input),
  updateUser: (name: string, change: { role?: Role; email?: string | null }) => request<{ user: User }>('PATCH', user(name), change),
  deleteUser: (name: string) => del<Record<string, never>>(user(name)),

  groups: (signal?: AbortSignal) => get<{ groups: Group[] }>('/api/v1/groups', undefined, signal),
  createGroup: (input: { name: string; description?: string }) => post<{ group: Group }>('/api/v1/groups', input),
  deleteGroup: (name: string) => del<Record<string, never>>(group(name)),
  addMember: (name: string, username: string) => put<{ group: Group }>(`${group(name)}/members/${encodeURIComponent(username)}`, {}),
  removeMember: (name: string, username: string) => del<{ group: Group }>(`${group(name)}/members/${encodeURIComponent(username)}`),

  audit: (filter: AuditFilter, signal?: AbortSignal) => get<{ entries: AuditEntry[] }>('/api/v1/audit', { ...filter }, signal),
  verifyAudit: () => get<VerifyResult>('/api/v1/audit/verify'),
  /** A plain link: the browser downloads it with the session cookie (a GET needs no CSRF token). */
  auditExportUrl: (filter: AuditFilter) =>
    withQuery('/api/v1/audit/export', { format: 'csv', redactPii: true, actor: filter.actor, action: filter.action, object: filter.object }),
};
