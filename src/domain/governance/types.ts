import type { ObjectKind, PermissionLevel } from '../access/access.js';

export const ROLES = ['viewer', 'member', 'maintainer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly username: string;
  readonly role: Role;
  /** PII: redacted in exports on request. */
  readonly email: string | null;
  readonly createdAt: number;
}

export interface StoredUser extends User {
  readonly passwordHash: string;
}

/**
 * What a token may do: the highest level it acts with (`read` < `use` < `edit` < `manage`, never more than its
 * user may) and, separately, `admin` for an admin's user and audit powers.
 */
export const TOKEN_SCOPES = ['read', 'use', 'edit', 'manage', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];
/** A token made without scopes acts with all of its user's rights. */
export const FULL_SCOPES: readonly TokenScope[] = ['manage', 'admin'];

export interface TokenRecord {
  readonly tokenId: string;
  readonly username: string;
  readonly name: string;
  readonly scopes: readonly TokenScope[];
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly createdAt: number;
}

export interface Group {
  readonly name: string;
  readonly description: string;
  readonly members: readonly string[];
  readonly createdAt: number;
}

export const PRINCIPAL_TYPES = ['user', 'group', 'everyone'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
/** The principal of an `everyone` grant. */
export const EVERYONE = '*';

export interface Grant {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly principalType: PrincipalType;
  readonly principal: string;
  readonly level: PermissionLevel;
  readonly grantedBy: string;
  readonly grantedAt: number;
}

export interface Session {
  readonly username: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** What is chained: everything but the hashes themselves. */
export interface AuditFields {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly status: number;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly summary: string;
  /** The object acted on, as `kind:id` (empty when the request named none). */
  readonly object: string;
  /** Before/after summary, JSON; secrets never reach it. */
  readonly detail: string;
}

export interface AuditEntry extends AuditFields {
  readonly seq: number;
  readonly prevHash: string;
  /** HMAC-SHA256 under the key `keyId` (sha256 when `keyId` is '', the keyless chain of earlier versions). */
  readonly hash: string;
  readonly keyId: string;
}

export interface AuditFilter {
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  /** Newest first (for reading the latest entries); seq order otherwise. */
  readonly newestFirst?: boolean;
  readonly actor?: string;
  readonly action?: string;
  readonly object?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit: number;
}
