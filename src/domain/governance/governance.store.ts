import type { ObjectKind } from '../access/access.js';
import type { AuditEntry, AuditFilter, Grant, Group, PrincipalType, Session, StoredUser, TokenRecord } from './types.js';

export interface GovernanceStore {
  insertUser(user: StoredUser): Promise<void>;
  getUser(username: string): Promise<StoredUser | undefined>;
  listUsers(): Promise<StoredUser[]>;
  updateUser(username: string, patch: { role?: string; email?: string | null; passwordHash?: string }): Promise<boolean>;
  /** Also drops the user's tokens, sessions, memberships and grants. */
  deleteUser(username: string): Promise<boolean>;

  /** The user an identity provider's subject signs in as, once linked. */
  identityOf(issuer: string, subject: string): Promise<string | undefined>;
  linkIdentity(issuer: string, subject: string, username: string, at: number): Promise<void>;

  insertToken(token: TokenRecord, tokenHash: string): Promise<void>;
  tokenByHash(tokenHash: string): Promise<TokenRecord | undefined>;
  revokeToken(tokenId: string, at: number): Promise<boolean>;
  listTokens(username: string | undefined): Promise<TokenRecord[]>;

  insertGroup(group: { name: string; description: string; createdAt: number }): Promise<boolean>;
  getGroup(name: string): Promise<Group | undefined>;
  listGroups(): Promise<Group[]>;
  deleteGroup(name: string): Promise<boolean>;
  addMember(group: string, username: string): Promise<void>;
  removeMember(group: string, username: string): Promise<boolean>;
  groupsOf(username: string): Promise<string[]>;

  /** Inserts or replaces the grant of one principal on one object. */
  putGrant(grant: Grant): Promise<void>;
  deleteGrant(kind: ObjectKind, id: string, principalType: PrincipalType, principal: string): Promise<boolean>;
  /** Every grant on these objects of one kind. */
  grantsOn(kind: ObjectKind, ids: readonly string[]): Promise<Grant[]>;
  /** Replaces every grant of one object by these, in one transaction. */
  replaceGrants(kind: ObjectKind, id: string, grants: readonly Grant[]): Promise<void>;
  moveGrants(kind: ObjectKind, id: string, newId: string): Promise<void>;
  grantsOf(principalType: PrincipalType, principal: string): Promise<Grant[]>;

  /** Failed sign-ins of one account from one address since `since`. */
  countSignInFailures(username: string, sourceIp: string, since: number): Promise<number>;
  /** Failed sign-ins from one address, whichever accounts they tried, since `since` (password spraying). */
  countSignInFailuresFrom(sourceIp: string, since: number): Promise<number>;
  /** Records a failure and forgets this address's failures older than `forgetBefore`. */
  recordSignInFailure(username: string, sourceIp: string, at: number, forgetBefore: number): Promise<void>;
  clearSignInFailures(username: string, sourceIp: string): Promise<void>;

  insertSession(sessionHash: string, session: Session & { createdAt: number }): Promise<void>;
  sessionByHash(sessionHash: string): Promise<Session | undefined>;
  deleteSession(sessionHash: string): Promise<void>;
  /** Signs a user out everywhere (after a password change). */
  deleteSessionsOf(username: string): Promise<number>;
  deleteExpiredSessions(now: number): Promise<number>;

  /** The newest entry, so the next one can chain to it. */
  lastAudit(): Promise<AuditEntry | undefined>;
  /** Inserts consecutive entries in one statement; false (and nothing written) when another writer already took one of their seqs. */
  appendAudit(entries: readonly AuditEntry[]): Promise<boolean>;
  /** Entries in seq order; `afterSeq` pages through. */
  listAudit(filter: AuditFilter): Promise<AuditEntry[]>;
  /** Deletes entries up to and including `seq`. */
  deleteAuditThrough(seq: number): Promise<number>;
  /** The newest entry older than this time, if any. */
  lastAuditBefore(at: number): Promise<AuditEntry | undefined>;
}
