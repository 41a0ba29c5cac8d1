import type { Kysely, Selectable } from 'kysely';
import type { ObjectKind, PermissionLevel } from '../../domain/access/access.js';
import type { GovernanceStore } from '../../domain/governance/governance.store.js';
import { FULL_SCOPES, type AuditEntry, type AuditFilter, type Grant, type Group, type PrincipalType, type Role, type Session, type StoredUser, type TokenRecord, type TokenScope } from '../../domain/governance/types.js';
import { isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database, GovernanceTables } from '../schema.js';

const user = (r: Selectable<GovernanceTables['gov_users']>): StoredUser => ({
  username: r.username, role: r.role as Role, email: r.email ?? null, createdAt: Number(r.created_at), passwordHash: r.password_hash,
});
const token = (r: Selectable<GovernanceTables['gov_tokens']>): TokenRecord => ({
  tokenId: r.token_id, username: r.username, name: r.name, scopes: r.scopes === '' ? [...FULL_SCOPES] : (r.scopes.split(',') as TokenScope[]), expiresAt: r.expires_at === null ? null : Number(r.expires_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at), createdAt: Number(r.created_at),
});
const grant = (r: Selectable<GovernanceTables['gov_permissions']>): Grant => ({
  kind: r.resource_kind as ObjectKind, id: r.resource_id, principalType: r.principal_type as PrincipalType, principal: r.principal,
  level: r.level as PermissionLevel, grantedBy: r.granted_by, grantedAt: Number(r.granted_at),
});
const grantRow = (g: Grant): GovernanceTables['gov_permissions'] => ({
  resource_kind: g.kind, resource_id: g.id, principal_type: g.principalType, principal: g.principal, level: g.level, granted_by: g.grantedBy, granted_at: g.grantedAt,
});
const audit = (r: Selectable<GovernanceTables['gov_audit_log']>): AuditEntry => ({
  seq: Number(r.seq), at: Number(r.at), actor: r.actor, action: r.action, status: Number(r.status), requestId: r.request_id,
  sourceIp: r.source_ip, summary: r.summary, object: r.object, detail: r.detail, prevHash: r.prev_hash, hash: r.hash, keyId: r.key_id,
});
/** IN lists are split so no statement exceeds SQLite's or PostgreSQL's parameter limit. */
const CHUNK = 500;

export class SqlGovernanceStore implements GovernanceStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async insertUser(u: StoredUser): Promise<void> {
    await this.db.insertInto('gov_users').values({ username: u.username, password_hash: u.passwordHash, role: u.role, email: u.email, created_at: u.createdAt }).execute();
  }
  async getUser(username: string): Promise<StoredUser | undefined> {
    const r = await this.db.selectFrom('gov_users').selectAll().where('username', '=', username).executeTakeFirst();
    return r && user(r);
  }
  async listUsers(): Promise<StoredUser[]> {
    return (await this.db.selectFrom('gov_users').selectAll().orderBy('username').execute()).map(user);
  }
  async updateUser(username: string, patch: { role?: string; email?: string | null; passwordHash?: string }): Promise<boolean> {
    const set = {
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
    };
    if (Object.keys(set).length === 0) return (await this.getUser(username)) !== undefined;
    const r = await this.db.updateTable('gov_users').set(set).where('username', '=', username).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async deleteUser(username: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('gov_tokens').where('username', '=', username).execute();
      await trx.deleteFrom('gov_sessions').where('username', '=', username).execute();
      await trx.deleteFrom('gov_oidc_identities').where('username', '=', username).execute();
      await trx.deleteFrom('gov_group_members').where('username', '=', username).execute();
      await trx.deleteFrom('gov_permissions').where('principal_type', '=', 'user').where('principal', '=', username).execute();
      const r = await trx.deleteFrom('gov_users').where('username', '=', username).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async identityOf(issuer: string, subject: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('gov_oidc_identities').select('username').where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
    return r?.username;
  }
  async linkIdentity(issuer: string, subject: string, username: string, at: number): Promise<void> {
    await this.db.insertInto('gov_oidc_identities').values({ issuer, subject, username, created_at: at }).execute();
  }

  async insertToken(t: TokenRecord, tokenHash: string): Promise<void> {
    await this.db
      .insertInto('gov_tokens')
      .values({ token_id: t.tokenId, username: t.username, token_hash: tokenHash, name: t.name, scopes: t.scopes.join(','), expires_at: t.expiresAt, revoked_at: t.revokedAt, created_at: t.createdAt })
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

  async insertGroup(g: { name: string; description: string; createdAt: number }): Promise<boolean> {
    try {
      await this.db.insertInto('gov_groups').values({ name: g.name, description: g.description, created_at: g.createdAt }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
  async getGroup(name: string): Promise<Group | undefined> {
    const r = await this.db.selectFrom('gov_groups').selectAll().where('name', '=', name).executeTakeFirst();
    if (!r) return undefined;
    const members = await this.db.selectFrom('gov_group_members').select('username').where('group_name', '=', name).orderBy('username').execute();
    return { name: r.name, description: r.description, createdAt: Number(r.created_at), members: members.map((m) => m.username) };
  }
  async listGroups(): Promise<Group[]> {
    const groups = await this.db.selectFrom('gov_groups').selectAll().orderBy('name').execute();
    const members = await this.db.selectFrom('gov_group_members').selectAll().orderBy('username').execute();
    return groups.map((g) => ({
      name: g.name, description: g.description, createdAt: Number(g.created_at),
      members: members.filter((m) => m.group_name === g.name).map((m) => m.username),
    }));
  }
  async deleteGroup(name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('gov_group_members').where('group_name', '=', name).execute();
      await trx.deleteFrom('gov_permissions').where('principal_type', '=', 'group').where('principal', '=', name).execute();
      const r = await trx.deleteFrom('gov_groups').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }
  async addMember(group: string, username: string): Promise<void> {
    await this.db.insertInto('gov_group_members').values({ group_name: group, username }).onConflict((oc) => oc.columns(['group_name', 'username']).doNothing()).execute();
  }
  async removeMember(group: string, username: string): Promise<boolean> {
    const r = await this.db.deleteFrom('gov_group_members').where('group_name', '=', group).where('username', '=', username).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async groupsOf(username: string): Promise<string[]> {
    return (await this.db.selectFrom('gov_group_members').select('group_name').where('username', '=', username).orderBy('group_name').execute()).map((r) => r.group_name);
  }

  async putGrant(g: Grant): Promise<void> {
    const row = grantRow(g);
    await this.db
      .insertInto('gov_permissions')
      .values(row)
      .onConflict((oc) => oc.columns(['resource_kind', 'resource_id', 'principal_type', 'principal']).doUpdateSet({ level: row.level, granted_by: row.granted_by, granted_at: row.granted_at }))
      .execute();
  }
  async deleteGrant(kind: ObjectKind, id: string, principalType: PrincipalType, principal: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('gov_permissions')
      .where('resource_kind', '=', kind).where('resource_id', '=', id).where('principal_type', '=', principalType).where('principal', '=', principal)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async grantsOn(kind: ObjectKind, ids: readonly string[]): Promise<Grant[]> {
    const out: Grant[] = [];
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.db.selectFrom('gov_permissions').selectAll().where('resource_kind', '=', kind).where('resource_id', 'in', unique.slice(i, i + CHUNK)).execute();
      out.push(...rows.map(grant));
    }
    return out;
  }
  async replaceGrants(kind: ObjectKind, id: string, grants: readonly Grant[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('gov_permissions').where('resource_kind', '=', kind).where('resource_id', '=', id).execute();
      if (grants.length > 0) await trx.insertInto('gov_permissions').values(grants.map(grantRow)).execute();
    });
  }
  async moveGrants(kind: ObjectKind, id: string, newId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('gov_permissions').where('resource_kind', '=', kind).where('resource_id', '=', newId).execute();
      await trx.updateTable('gov_permissions').set({ resource_id: newId }).where('resource_kind', '=', kind).where('resource_id', '=', id).execute();
    });
  }
  async grantsOf(principalType: PrincipalType, principal: string): Promise<Grant[]> {
    const rows = await this.db.selectFrom('gov_permissions').selectAll().where('principal_type', '=', principalType).where('principal', '=', principal)
      .orderBy('resource_kind').orderBy('resource_id').execute();
    return rows.map(grant);
  }

  async countSignInFailures(username: string, sourceIp: string, since: number): Promise<number> {
    const r = await this.db.selectFrom('gov_signin_failures').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('username', '=', username).where('source_ip', '=', sourceIp).where('at', '>=', since).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
  async countSignInFailuresFrom(sourceIp: string, since: number): Promise<number> {
    const r = await this.db.selectFrom('gov_signin_failures').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source_ip', '=', sourceIp).where('at', '>=', since).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
  async recordSignInFailure(username: string, sourceIp: string, at: number, forgetBefore: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('gov_signin_failures').where('source_ip', '=', sourceIp).where('at', '<', forgetBefore).execute();
      await trx.insertInto('gov_signin_failures').values({ username, source_ip: sourceIp, at }).execute();
    });
  }
  async clearSignInFailures(username: string, sourceIp: string): Promise<void> {
    await this.db.deleteFrom('gov_signin_failures').where('username', '=', username).where('source_ip', '=', sourceIp).execute();
  }
  async insertSession(sessionHash: string, s: Session & { createdAt: number }): Promise<void> {
    await this.db.insertInto('gov_sessions').values({ session_hash: sessionHash, username: s.username, csrf_token: s.csrfToken, created_at: s.createdAt, expires_at: s.expiresAt }).execute();
  }
  async sessionByHash(sessionHash: string): Promise<Session | undefined> {
    const r = await this.db.selectFrom('gov_sessions').selectAll().where('session_hash', '=', sessionHash).executeTakeFirst();
    return r && { username: r.username, csrfToken: r.csrf_token, expiresAt: Number(r.expires_at) };
  }
  async deleteSession(sessionHash: string): Promise<void> {
    await this.db.deleteFrom('gov_sessions').where('session_hash', '=', sessionHash).execute();
  }
  async deleteSessionsOf(username: string): Promise<number> {
    const r = await this.db.deleteFrom('gov_sessions').where('username', '=', username).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  async deleteExpiredSessions(now: number): Promise<number> {
    const r = await this.db.deleteFrom('gov_sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async lastAudit(): Promise<AuditEntry | undefined> {
    const r = await this.db.selectFrom('gov_audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r && audit(r);
  }
  async appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
    try {
      await this.db
        .insertInto('gov_audit_log')
        .values(entries.map((e) => ({
          seq: e.seq, at: e.at, actor: e.actor, action: e.action, status: e.status, request_id: e.requestId, source_ip: e.sourceIp,
          summary: e.summary, object: e.object, detail: e.detail, prev_hash: e.prevHash, hash: e.hash, key_id: e.keyId,
        })))
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
  async listAudit(f: AuditFilter): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('gov_audit_log').selectAll();
    if (f.afterSeq !== undefined) q = q.where('seq', '>', f.afterSeq);
    if (f.beforeSeq !== undefined) q = q.where('seq', '<', f.beforeSeq);
    if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
    // A substring match; `%` and `_` in the filter act as LIKE wildcards.
    if (f.action !== undefined) q = q.where('action', 'like', `%${f.action}%`);
    if (f.object !== undefined) q = q.where('object', '=', f.object);
    if (f.since !== undefined) q = q.where('at', '>=', f.since);
    if (f.until !== undefined) q = q.where('at', '<', f.until);
    return (await q.orderBy('seq', f.newestFirst ? 'desc' : 'asc').limit(f.limit).execute()).map(audit);
  }
  async deleteAuditThrough(seq: number): Promise<number> {
    const r = await this.db.deleteFrom('gov_audit_log').where('seq', '<=', seq).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
  async lastAuditBefore(at: number): Promise<AuditEntry | undefined> {
    const r = await this.db.selectFrom('gov_audit_log').selectAll().where('at', '<', at).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return r && audit(r);
  }
}
