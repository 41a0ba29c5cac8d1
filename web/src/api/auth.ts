import { del, get, post, put } from './client';
import type { PermissionLevel } from '../lib/permissions';

/** Shapes of the governance API (src/api/v1/governance.routes.ts) the UI uses: sign-in and per-object grants. */
export interface Whoami {
  readonly user: string;
  readonly role?: string;
  readonly isAdmin: boolean;
  readonly authenticated: boolean;
  readonly authEnabled: boolean;
  readonly csrfToken?: string;
}

export interface SignedIn {
  readonly user: string;
  readonly role: string;
  readonly isAdmin: boolean;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export type ObjectKind = 'experiment' | 'registered_model' | 'dataset' | 'monitor' | 'deployment';
export type PrincipalType = 'user' | 'group' | 'everyone';

export interface Grant {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly principalType: PrincipalType;
  readonly principal: string;
  readonly level: PermissionLevel;
  readonly grantedBy: string;
  readonly grantedAt: number;
}

export interface GrantInput {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly principalType: PrincipalType;
  readonly principal?: string;
  readonly level: PermissionLevel;
}

export const authApi = {
  whoami: () => get<Whoami>('/api/v1/auth/whoami'),
  login: (username: string, password: string) => post<SignedIn>('/api/v1/auth/login', { username, password }),
  logout: () => post<Record<string, never>>('/api/v1/auth/logout', {}),
  effective: (kind: ObjectKind, id: string, signal?: AbortSignal) =>
    get<{ level: PermissionLevel }>('/api/v1/permissions/effective', { kind, id }, signal),
  grants: (kind: ObjectKind, id: string, signal?: AbortSignal) => get<{ grants: Grant[] }>('/api/v1/permissions', { kind, id }, signal),
  grant: (input: GrantInput) => put<{ grant: Grant }>('/api/v1/permissions', input),
  revoke: (g: Pick<Grant, 'kind' | 'id' | 'principalType'> & { principal?: string }) =>
    del<Record<string, never>>('/api/v1/permissions', { kind: g.kind, id: g.id, principalType: g.principalType, principal: g.principalType === 'everyone' ? undefined : g.principal }),
};
