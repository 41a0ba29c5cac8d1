export const ROLES = ['viewer', 'member', 'maintainer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly username: string;
  readonly role: Role;
  readonly createdAt: number;
}

export interface StoredUser extends User {
  readonly passwordHash: string;
}

export interface TokenRecord {
  readonly tokenId: string;
  readonly username: string;
  readonly name: string;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly createdAt: number;
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
}

export interface AuditEntry extends AuditFields {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}
