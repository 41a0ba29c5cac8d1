import type { Kysely, Selectable } from 'kysely';
import type { GovernanceStore } from '../../domain/governance/governance.store.js';
import type { AuditEntry, Role, StoredUser, TokenRecord } from '../../domain/governance/types.js';
import { isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database, GovernanceTables } from '../schema.js';

const user = (r: Selectable<GovernanceTables['gov_users']>): StoredUser => ({
  username: r.username, role: r.role as Role, createdAt: Number(r.created_at), passwordHash: r.password_hash,
});
const token = (r: Selectable<GovernanceTables['gov_tokens']>): TokenRecord => ({
  tokenId: r.token_id, username: r.username, name: r.name, expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at), createdAt: Number(r.created_at),
});
const audit = (r: Selectable<GovernanceTables['gov_audit_log']>): AuditEntry => ({
  seq: Number(r.seq), at: Number(r.at), actor: r.actor, action: r.action, status: Number(r.status), requestId: r.request_id,
  sourceIp: r.source_ip, summary: r.summary, prevHash: r.prev_hash, hash: r.hash,
});

export class SqlGovernanceStore implements GovernanceStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async insertUser(u: StoredUser): Promise<void> {
    await this.db.insertInto('gov_users').values({ username: u.username, password_hash: u.passwordHash, role: u.role, created_at: u.createdAt }).execute();
  }
  async getUser(username: string): Promise<StoredUser | undefined> {
    const r = await this.db.selectFrom('gov_users').selectAll().where('username', '=', username).executeTakeFirst();
    return r && user(r);
  }
  async listUsers(): Promise<StoredUser[]> {
    return (await this.db.selectFrom('gov_users').selectAll().orderBy('username').execute()).map(user);
  }
  async insertToken(t: TokenRecord, tokenHash: string): Promise<void> {
    await this.db
      .insertInto('gov_tokens')
      .values({ token_id: t.tokenId, username: t.username, token_hash: tokenHash, name: t.name, expires_at: t.expiresAt, revoked_at: t.revokedAt, created_at: t.createdAt })
      .execute();
  }
  async tokenByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const r = await this.db.selectFrom('gov_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return r && token(r);
  }
  async revokeToken(tokenId: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('gov_tokens').set({ revoked_at: at }).where('token_id', '=', tokenId).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async listTokens(username: string | undefined): Promise<TokenRecord[]> {
    let q = this.db.selectFrom('gov_tokens').selectAll();
    if (username !== undefined) q = q.where('username', '=', username);
    return (await q.orderBy('created_at').execute()).map(token);
  }
  async lastAudit(): Promise<AuditEntry | undefined> {
    const r = await this.db.selectFrom('gov_audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r && audit(r);
  }
  async appendAudit(e: AuditEntry): Promise<boolean> {
    try {
      await this.db
        .insertInto('gov_audit_log')
        .values({
          seq: e.seq, at: e.at, actor: e.actor, action: e.action, status: e.status, request_id: e.requestId, source_ip: e.sourceIp,
          summary: e.summary, prev_hash: e.prevHash, hash: e.hash,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
  async listAudit(f: { afterSeq?: number; actor?: string; since?: number; limit: number }): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('gov_audit_log').selectAll();
    if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
    if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
    if (f.since !== undefined) q = q.where('at', '>=', f.since);
    return (await q.orderBy('seq').limit(f.limit).execute()).map(audit);
  }
  async deleteAuditBefore(at: number): Promise<number> {
    const r = await this.db.deleteFrom('gov_audit_log').where('at', '<', at).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
