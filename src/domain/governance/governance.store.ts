import type { AuditEntry, StoredUser, TokenRecord } from './types.js';

export interface GovernanceStore {
  insertUser(user: StoredUser): Promise<void>;
  getUser(username: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<StoredUser[]>;
  insertToken(token: TokenRecord, tokenHash: string): Promise<void>;
  tokenByHash(tokenHash: string): Promise<TokenRecord | undefined>;
  revokeToken(tokenId: string, at: number): Promise<boolean>;
  listTokens(username: string | undefined): Promise<TokenRecord[]>;
  /** The newest entry, so the next one can chain to it. */
  lastAudit(): Promise<AuditEntry | undefined>;
  /** False when another writer already took `entry.seq`. */
  appendAudit(entry: AuditEntry): Promise<boolean>;
  /** Entries in seq order; `afterSeq` pages through. */
  listAudit(filter: { afterSeq?: number; actor?: string; since?: number; limit: number }): Promise<AuditEntry[]>;
  deleteAuditBefore(at: number): Promise<number>;
}
