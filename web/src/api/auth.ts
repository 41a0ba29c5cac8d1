import { del, get, post, put } from './client';
import type { ObjectKind } from '../../../src/domain/access/access';
import type { Grant, PrincipalType } from '../../../src/domain/governance/types';
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

// One definition of the shapes: the server's own types (type-only, nothing of the server is bundled).
export type { ObjectKind } from '../../../src/domain/access/access';
export type { Grant, PrincipalType } from '../../../src/domain/governance/types';

export interface GrantInput {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly principalType: PrincipalType;
  readonly principal?: string;
  readonly level: PermissionLevel;
}

/** How this server lets people sign in (GET /api/v1/auth/methods, answered without a session). */
export interface AuthMethods {
  readonly password: boolean;
  readonly sso: { readonly issuer: string; readonly loginUrl: string } | null;
}

export const authApi = {
  methods: () => get<AuthMethods>('/api/v1/auth/methods'),
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
