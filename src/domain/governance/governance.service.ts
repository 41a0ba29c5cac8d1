import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { anonymousAdmin, type Actor } from '../../core/actor.js';
import { noteChange } from '../../core/audit-notes.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, alreadyExists, invalid, notFound } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { OBJECT_KINDS, PERMISSION_LEVELS, levelRank, type ObjectKind, type PermissionLevel } from '../access/access.js';
import type { GovernanceAccess } from './governance-access.js';
import type { GovernanceStore } from './governance.store.js';
import { EVERYONE, FULL_SCOPES, PRINCIPAL_TYPES, ROLES, TOKEN_SCOPES, type Grant, type Group, type PrincipalType, type Role, type TokenRecord, type TokenScope, type User } from './types.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
// OWASP's scrypt floor (N=2^17 would exceed Node's default maxmem with r=8).
const SCRYPT = { N: 16384, r: 8, p: 1 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const unauthenticated = (): DomainError => new DomainError('UNAUTHENTICATED', 'Invalid credentials');
/** Stored in place of a password hash for users an identity provider created: no password matches it. */
const EXTERNAL_ONLY = 'external';

export interface ExternalIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** The user to create on first sign-in (later sign-ins follow the link, whatever the claim says then). */
  readonly username: string;
  readonly email?: string | undefined;
  readonly defaultRole: Role;
  /** The OpenExpert groups the provider's claims put the user in now… */
  readonly groups: readonly string[];
  /** …out of all the groups it manages. */
  readonly managedGroups: readonly string[];
}

/** Failed sign-ins allowed within the window: per account and address, and per address across all accounts. */
export interface SignInLimits {
  readonly maxPerAccount: number;
  readonly maxPerAddress: number;
  readonly windowSeconds: number;
}
export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { maxPerAccount: 5, maxPerAddress: 20, windowSeconds: 60 };
// MLflow clients send credentials on every request; re-running scrypt (or two lookups) each time would cost more
// than the request. Changes made through this process clear the caches at once; other replicas' within this TTL.
const CREDENTIAL_TTL_MS = 5_000;
export const SESSION_TTL_MS = 12 * 3_600_000;
const USERNAME = /^[A-Za-z0-9_.@-]{1,256}$/;
const GROUP_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export type UserActor = Actor & { readonly role: Role; readonly cap?: PermissionLevel };

/** A signed-in user; a scoped token caps their level (`cap`) and keeps admin powers only with the `admin` scope. */
export function userActor(u: { username: string; role: Role }, scopes: readonly TokenScope[] = FULL_SCOPES): UserActor {
  const levels = scopes.filter((x): x is Exclude<TokenScope, 'admin'> => x !== 'admin').map((x) => SCOPE_LEVEL[x]);
  const cap = levels.length === 0 ? 'NO_PERMISSIONS' : levels.reduce((a, b) => (levelRank(b) > levelRank(a) ? b : a));
  return { userId: u.username, isAdmin: u.role === 'admin' && scopes.includes('admin'), authenticated: true, role: u.role, ...(cap === 'MANAGE' ? {} : { cap }) };
}
const SCOPE_LEVEL: Record<Exclude<TokenScope, 'admin'>, PermissionLevel> = { read: 'READ', use: 'USE', edit: 'EDIT', manage: 'MANAGE' };
const publicUser = ({ username, role, email, createdAt }: User): User => ({ username, role, email, createdAt });

/** An object's canonical id, asked of the module that owns it; undefined when it does not exist (grants on unknown objects are refused). */
export type ObjectDirectory = (kind: ObjectKind, id: string) => Promise<string | undefined>;

export interface SetGrantInput {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly principalType: PrincipalType;
  readonly principal?: string;
  readonly level: PermissionLevel;
}

/** Accounts, tokens, sessions, groups and per-object grants. Only admins manage users and groups; object managers manage grants. */
export class GovernanceService {
  /** sha256(username, password, stored hash) → when the check expires; keyed on the stored hash so a new password invalidates it. */
  private readonly verified = new Map<string, { actor: UserActor; until: number }>();
  private readonly tokenCache = new Map<string, { actor: UserActor; until: number; expiresAt: number | null }>();

  constructor(
    private readonly store: GovernanceStore,
    private readonly clock: Clock,
    private readonly access: GovernanceAccess,
    private readonly objectId: ObjectDirectory = async (_kind, id) => id,
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
  ) {}

  /** Creates the admin named by the environment on first start; a no-op once it exists. */
  async bootstrapAdmin(username: string, password: string): Promise<void> {
    if (await this.store.getUser(username)) return;
    await this.createUser(anonymousAdmin(), { username, password, role: 'admin' });
  }

  // ── users ──────────────────────────────────────────────────────────────────

  async createUser(actor: Actor, input: { username: string; password: string; role: Role; email?: string | undefined }): Promise<User> {
    requireAdmin(actor, 'manage users');
    if (!USERNAME.test(input.username)) throw invalid("Invalid value for 'username': 1-256 letters, digits or _ . @ -");
    checkPassword(input.password);
    if (!ROLES.includes(input.role)) throw invalid(`Invalid value for 'role': one of ${ROLES.join(', ')}`);
    const email = checkEmail(input.email);
    if (await this.store.getUser(input.username)) throw alreadyExists(`User '${input.username}'`);
    const user: User = { username: input.username, role: input.role, email, createdAt: this.clock.now() };
    await this.store.insertUser({ ...user, passwordHash: await hashPassword(input.password) });
    noteChange({ object: `user:${user.username}`, after: { role: user.role, email: user.email } });
    return user;
  }

  async listUsers(actor: Actor): Promise<User[]> {
    requireAdmin(actor, 'list users');
    return (await this.store.listUsers()).map(publicUser);
  }

  async getUser(actor: Actor, username: string): Promise<User> {
    if (actor.userId !== username) requireAdmin(actor, 'read other users');
    const user = await this.store.getUser(username);
    if (!user) throw notFound(`User '${username}'`);
    return publicUser(user);
  }

  /** Admins change anyone's role and e-mail; everyone changes their own password (giving the current one) and e-mail. */
  async updateUser(actor: Actor, username: string, patch: { role?: Role | undefined; email?: string | null | undefined; password?: string | undefined; currentPassword?: string | undefined }): Promise<User> {
    const self = actor.userId === username && actor.authenticated;
    if (!self || patch.role !== undefined) requireAdmin(actor, patch.role !== undefined ? 'change roles' : 'change other users');
    const user = await this.store.getUser(username);
    if (!user) throw notFound(`User '${username}'`);
    if (patch.role !== undefined && !ROLES.includes(patch.role)) throw invalid(`Invalid value for 'role': one of ${ROLES.join(', ')}`);
    let passwordHash: string | undefined;
    if (patch.password !== undefined) {
      checkPassword(patch.password);
      if (!actor.isAdmin && !(patch.currentPassword !== undefined && (await verifyPassword(patch.currentPassword, user.passwordHash)))) {
        throw invalid("'currentPassword' is missing or wrong");
      }
      passwordHash = await hashPassword(patch.password);
    }
    const email = patch.email === undefined ? undefined : patch.email === null ? null : checkEmail(patch.email);
    this.forgetCredentials();
    // A new password signs the user out of every web session (API tokens stay valid until revoked).
    if (passwordHash) await this.store.deleteSessionsOf(username);
    await this.store.updateUser(username, { ...(patch.role !== undefined ? { role: patch.role } : {}), ...(email !== undefined ? { email } : {}), ...(passwordHash ? { passwordHash } : {}) });
    noteChange({
      object: `user:${username}`, before: { role: user.role, email: user.email },
      after: { role: patch.role ?? user.role, email: email === undefined ? user.email : email, ...(passwordHash ? { passwordChanged: true } : {}) },
    });
    return this.getUser(anonymousAdmin(), username);
  }

  async deleteUser(actor: Actor, username: string): Promise<void> {
    requireAdmin(actor, 'delete users');
    if (actor.userId === username) throw invalid('Admins cannot delete themselves');
    if (!(await this.store.deleteUser(username))) throw notFound(`User '${username}'`);
    this.forgetCredentials();
    this.access.invalidateGroups(username);
    noteChange({ object: `user:${username}`, after: null });
  }

  // ── credentials ────────────────────────────────────────────────────────────

  /**
   * Rate-limited per account and source address (so a guesser cannot lock out the account from elsewhere), and per
   * address across accounts (one password tried against many accounts: spraying), counted in the database so the
   * limits hold across replicas. A password proven in the last few seconds is not a guess and skips the count.
   */
  async signIn(username: string, password: string, sourceIp: string): Promise<UserActor> {
    const now = this.clock.now();
    const cacheKey = sha256(`${username}\n${password}`);
    const hit = this.verified.get(cacheKey);
    if (hit && hit.until > now) return hit.actor;
    const since = now - this.limits.windowSeconds * 1000;
    if ((await this.store.countSignInFailures(username, sourceIp, since)) >= this.limits.maxPerAccount
      || (await this.store.countSignInFailuresFrom(sourceIp, since)) >= this.limits.maxPerAddress) {
      throw new DomainError('UNAUTHENTICATED', 'Too many failed sign-ins; try again later');
    }
    const user = await this.store.getUser(username);
    if (user && (await verifyPassword(password, user.passwordHash))) {
      await this.store.clearSignInFailures(username, sourceIp);
      if (this.verified.size > 10_000) this.verified.clear();
      const actor = userActor(user);
      this.verified.set(cacheKey, { actor, until: now + CREDENTIAL_TTL_MS });
      return actor;
    }
    await this.store.recordSignInFailure(username, sourceIp, now, since);
    throw unauthenticated();
  }

  /**
   * Token checks are cached for a few seconds (MLflow clients send one per request); revoking, changing or deleting
   * a user through this process drops the cache at once, another replica's change is seen within CREDENTIAL_TTL_MS.
   */
  async authenticateToken(secret: string): Promise<UserActor> {
    const hash = sha256(secret);
    const now = this.clock.now();
    const hit = this.tokenCache.get(hash);
    if (hit && hit.until > now && (hit.expiresAt === null || hit.expiresAt > now)) return hit.actor;
    const token = await this.store.tokenByHash(hash);
    if (!token || token.revokedAt !== null || (token.expiresAt !== null && token.expiresAt <= now)) throw unauthenticated();
    const user = await this.store.getUser(token.username);
    if (!user) throw unauthenticated();
    if (this.tokenCache.size > 10_000) this.tokenCache.clear();
    const actor = userActor(user, token.scopes);
    this.tokenCache.set(hash, { actor, until: now + CREDENTIAL_TTL_MS, expiresAt: token.expiresAt });
    return actor;
  }

  /** The secret is returned once; only its sha256 is stored. */
  async createToken(actor: Actor, input: { name: string; ttlSeconds?: number | undefined; username?: string | undefined; scopes?: readonly string[] | undefined }): Promise<{ token: string; record: TokenRecord }> {
    const username = input.username ?? actor.userId;
    if (username !== actor.userId) requireAdmin(actor, 'create tokens for other users');
    if (!(await this.store.getUser(username))) throw invalid(`Unknown user '${username}'`);
    if (input.ttlSeconds !== undefined && !(input.ttlSeconds > 0)) throw invalid("'ttlSeconds' must be positive");
    const scopes = input.scopes === undefined ? [...FULL_SCOPES] : [...new Set(input.scopes)];
    const unknown = scopes.find((x) => !(TOKEN_SCOPES as readonly string[]).includes(x));
    if (unknown !== undefined || scopes.length === 0) throw invalid(`Invalid value for 'scopes': ${unknown === undefined ? 'give at least one' : `'${unknown}' is not one`} of ${TOKEN_SCOPES.join(', ')}`);
    // A token never carries more than what created it: a scoped token cannot mint a broader one.
    const cap = (actor as UserActor).cap;
    if (cap !== undefined && scopes.some((x) => x !== 'admin' && levelRank(SCOPE_LEVEL[x as Exclude<TokenScope, 'admin'>]) > levelRank(cap))) throw new DomainError('PERMISSION_DENIED', `This token may not create tokens beyond its own scope (${cap})`);
    if (scopes.includes('admin') && !actor.isAdmin && username === actor.userId && (await this.store.getUser(username))?.role === 'admin') throw new DomainError('PERMISSION_DENIED', 'This token may not create admin tokens');
    const now = this.clock.now();
    const record: TokenRecord = {
      tokenId: newHexId(8), username, name: input.name, scopes: scopes as TokenScope[], createdAt: now, revokedAt: null,
      expiresAt: input.ttlSeconds === undefined ? null : now + input.ttlSeconds * 1000,
    };
    const token = `oe_${randomBytes(32).toString('base64url')}`;
    await this.store.insertToken(record, sha256(token));
    noteChange({ object: `token:${record.tokenId}`, after: { username, name: record.name, scopes: record.scopes, expiresAt: record.expiresAt } });
    return { token, record };
  }

  async listTokens(actor: Actor): Promise<TokenRecord[]> {
    return this.store.listTokens(actor.isAdmin ? undefined : actor.userId);
  }

  async revokeToken(actor: Actor, tokenId: string): Promise<void> {
    const mine = (await this.store.listTokens(actor.isAdmin ? undefined : actor.userId)).some((t) => t.tokenId === tokenId);
    if (!mine || !(await this.store.revokeToken(tokenId, this.clock.now()))) throw notFound(`Token '${tokenId}' (or it was already revoked)`);
    this.forgetCredentials();
    noteChange({ object: `token:${tokenId}`, before: { revoked: false }, after: { revoked: true } });
  }

  /** A web session: the cookie's secret and the CSRF token the UI sends back on every change. Only hashes of the secret are stored. */
  async createSession(username: string, password: string, sourceIp: string): Promise<{ sessionId: string; csrfToken: string; expiresAt: number; actor: UserActor }> {
    return this.openSession(await this.signIn(username, password, sourceIp));
  }

  /** A web session for a user already signed in (by password, or by an identity provider). */
  async openSession(actor: UserActor): Promise<{ sessionId: string; csrfToken: string; expiresAt: number; actor: UserActor }> {
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = this.clock.now();
    const expiresAt = now + SESSION_TTL_MS;
    await this.store.deleteExpiredSessions(now);
    await this.store.insertSession(sha256(sessionId), { username: actor.userId, csrfToken, expiresAt, createdAt: now });
    return { sessionId, csrfToken, expiresAt, actor };
  }

  /**
   * A user an identity provider signed in. The provider's subject is linked to one OpenExpert user on first sign-in,
   * which creates the user (no password: it signs in through the provider, or with a token) unless a user of that
   * name exists already: a local account is never taken over by a provider's claim. Each sign-in then sets the
   * user's membership of the groups the provider manages (`managedGroups`, created when missing) to what the
   * provider says (`groups`); other groups are left as admins set them.
   */
  async signInExternal(identity: ExternalIdentity): Promise<UserActor> {
    const now = this.clock.now();
    let username = await this.store.identityOf(identity.issuer, identity.subject);
    if (username === undefined) {
      username = identity.username;
      if (!USERNAME.test(username)) throw new DomainError('UNAUTHENTICATED', `The identity provider's username '${username.slice(0, 100)}' is not a valid OpenExpert username (1-256 letters, digits or _ . @ -)`);
      if (await this.store.getUser(username)) throw new DomainError('UNAUTHENTICATED', `A user '${username}' already exists and is not linked to this single sign-on identity; sign in with its password, or ask an admin`);
      const email = identity.email !== undefined && EMAIL.test(identity.email) ? identity.email : null;
      await this.store.insertUser({ username, role: identity.defaultRole, email, createdAt: now, passwordHash: EXTERNAL_ONLY });
      await this.store.linkIdentity(identity.issuer, identity.subject, username, now);
      noteChange({ object: `user:${username}`, after: { role: identity.defaultRole, email, provisionedBy: identity.issuer } });
    }
    const user = await this.store.getUser(username);
    if (!user) throw unauthenticated();
    const current = new Set(await this.store.groupsOf(username));
    const wanted = new Set(identity.groups);
    for (const group of identity.managedGroups) {
      if (wanted.has(group) === current.has(group)) continue;
      if (wanted.has(group)) {
        if (!(await this.store.getGroup(group))) await this.store.insertGroup({ name: group, description: 'Members set by single sign-on', createdAt: now });
        await this.store.addMember(group, username);
      } else {
        await this.store.removeMember(group, username);
      }
      noteChange({ object: `group:${group}`, before: { [username]: current.has(group) }, after: { [username]: wanted.has(group) } });
    }
    this.access.invalidateGroups(username);
    noteChange({ object: `user:${username}`, after: { signedIn: identity.issuer } });
    return userActor(user);
  }

  async authenticateSession(sessionId: string): Promise<{ actor: UserActor; csrfToken: string }> {
    const session = await this.store.sessionByHash(sha256(sessionId));
    if (!session || session.expiresAt <= this.clock.now()) throw new DomainError('UNAUTHENTICATED', 'Session expired; sign in again');
    const user = await this.store.getUser(session.username);
    if (!user) throw unauthenticated();
    return { actor: userActor(user), csrfToken: session.csrfToken };
  }

  async endSession(sessionId: string): Promise<void> {
    await this.store.deleteSession(sha256(sessionId));
  }

  // ── groups ─────────────────────────────────────────────────────────────────

  async createGroup(actor: Actor, input: { name: string; description?: string | undefined; members?: readonly string[] | undefined }): Promise<Group> {
    requireAdmin(actor, 'manage groups');
    if (!GROUP_NAME.test(input.name)) throw invalid("Invalid value for 'name': 1-256 letters, digits or _ . -");
    for (const m of input.members ?? []) if (!(await this.store.getUser(m))) throw invalid(`Unknown user '${m}' in 'members'`);
    if (!(await this.store.insertGroup({ name: input.name, description: input.description ?? '', createdAt: this.clock.now() }))) throw alreadyExists(`Group '${input.name}'`);
    for (const m of input.members ?? []) await this.store.addMember(input.name, m);
    this.access.invalidateGroups();
    noteChange({ object: `group:${input.name}`, after: { members: input.members ?? [] } });
    return this.group(input.name);
  }

  async listGroups(actor: Actor): Promise<Group[]> {
    requireAuthenticated(actor);
    return this.store.listGroups();
  }

  async getGroup(actor: Actor, name: string): Promise<Group> {
    requireAuthenticated(actor);
    return this.group(name);
  }

  async deleteGroup(actor: Actor, name: string): Promise<void> {
    requireAdmin(actor, 'manage groups');
    if (!(await this.store.deleteGroup(name))) throw notFound(`Group '${name}'`);
    this.access.invalidateGroups();
    noteChange({ object: `group:${name}`, after: null });
  }

  async addMember(actor: Actor, group: string, username: string): Promise<Group> {
    requireAdmin(actor, 'manage groups');
    const before = await this.group(group);
    if (!(await this.store.getUser(username))) throw notFound(`User '${username}'`);
    await this.store.addMember(group, username);
    this.access.invalidateGroups(username);
    const after = await this.group(group);
    noteChange({ object: `group:${group}`, before: { members: before.members }, after: { members: after.members } });
    return after;
  }

  async removeMember(actor: Actor, group: string, username: string): Promise<Group> {
    requireAdmin(actor, 'manage groups');
    const before = await this.group(group);
    if (!(await this.store.removeMember(group, username))) throw notFound(`User '${username}' in group '${group}'`);
    this.access.invalidateGroups(username);
    const after = await this.group(group);
    noteChange({ object: `group:${group}`, before: { members: before.members }, after: { members: after.members } });
    return after;
  }

  /** Whether a user is in a group now (promotion approvals ask at check time, so leaving a group withdraws the weight of an approval). */
  async isMember(username: string, group: string): Promise<boolean> {
    return (await this.store.groupsOf(username)).includes(group);
  }

  /** Whether a user still exists and may approve promotions of a model (EDIT on it), asked when the checks run. */
  async mayApprove(username: string, model: string): Promise<boolean> {
    const user = await this.store.getUser(username);
    return user !== undefined && levelRank(await this.access.level(userActor(user), { kind: 'registered_model', id: model })) >= levelRank('EDIT');
  }

  // ── grants ─────────────────────────────────────────────────────────────────

  /** Who has what on one object; anyone who may read the object may see it. */
  async listGrants(actor: Actor, kind: ObjectKind, id: string): Promise<Grant[]> {
    checkKind(kind);
    const canonical = await this.canonical(kind, id);
    await this.access.require(actor, 'READ', { kind, id: canonical });
    return this.store.grantsOn(kind, [canonical]);
  }

  /** One principal's grant on an object (MLflow's get-permission); needs MANAGE on the object, as MLflow's does. */
  async getGrant(actor: Actor, input: Omit<SetGrantInput, 'level'>): Promise<Grant> {
    checkKind(input.kind);
    const id = await this.canonical(input.kind, input.id);
    await this.access.require(actor, 'MANAGE', { kind: input.kind, id });
    const principal = await this.principal(input.principalType, input.principal);
    const found = (await this.store.grantsOn(input.kind, [id])).find((g) => g.principalType === input.principalType && g.principal === principal);
    if (!found) throw notFound(`A ${input.principalType} grant for '${principal}' on ${input.kind} '${id}'`);
    return found;
  }

  /**
   * Grants (or changes) a principal's level on an object; needs MANAGE on it. NO_PERMISSIONS for a user takes access
   * away explicitly. `only: 'create'` refuses an existing grant and `only: 'update'` a missing one (MLflow's create/update).
   */
  async setGrant(actor: Actor, input: SetGrantInput, only?: 'create' | 'update'): Promise<Grant> {
    checkKind(input.kind);
    if (!PERMISSION_LEVELS.includes(input.level)) throw invalid(`Invalid value for 'level': one of ${PERMISSION_LEVELS.join(', ')}`);
    const id = await this.canonical(input.kind, input.id);
    await this.access.require(actor, 'MANAGE', { kind: input.kind, id });
    const principal = await this.principal(input.principalType, input.principal);
    const before = (await this.store.grantsOn(input.kind, [id])).find((g) => g.principalType === input.principalType && g.principal === principal);
    if (only === 'create' && before) throw alreadyExists(`A ${input.principalType} grant for '${principal}' on ${input.kind} '${id}'`);
    if (only === 'update' && !before) throw notFound(`A ${input.principalType} grant for '${principal}' on ${input.kind} '${id}'`);
    const grant: Grant = { kind: input.kind, id, principalType: input.principalType, principal, level: input.level, grantedBy: actor.userId, grantedAt: this.clock.now() };
    await this.store.putGrant(grant);
    this.access.invalidate(input.kind, id);
    noteChange({ object: `${input.kind}:${id}`, before: { [`${input.principalType}:${principal}`]: before?.level ?? null }, after: { [`${input.principalType}:${principal}`]: input.level } });
    return grant;
  }

  async deleteGrant(actor: Actor, input: Omit<SetGrantInput, 'level'>): Promise<void> {
    checkKind(input.kind);
    const id = await this.canonical(input.kind, input.id);
    await this.access.require(actor, 'MANAGE', { kind: input.kind, id });
    const principal = input.principalType === 'everyone' ? EVERYONE : (input.principal ?? '');
    const before = (await this.store.grantsOn(input.kind, [id])).find((g) => g.principalType === input.principalType && g.principal === principal);
    if (!before) throw notFound(`A ${input.principalType} grant for '${principal}' on ${input.kind} '${id}'`);
    await this.store.deleteGrant(input.kind, id, input.principalType, principal);
    this.access.invalidate(input.kind, id);
    noteChange({ object: `${input.kind}:${id}`, before: { [`${input.principalType}:${principal}`]: before.level }, after: { [`${input.principalType}:${principal}`]: null } });
  }

  /** A user's level on an object (their own unless the caller is an admin): what the UI uses to hide actions. */
  async effectiveLevel(actor: Actor, kind: ObjectKind | 'server', id: string | undefined, username?: string): Promise<PermissionLevel> {
    if (kind !== 'server') checkKind(kind);
    let subject: Actor = actor;
    if (username !== undefined && username !== actor.userId) {
      requireAdmin(actor, "read other users' permissions");
      const user = await this.store.getUser(username);
      if (!user) throw notFound(`User '${username}'`);
      subject = userActor(user);
    }
    return this.access.level(subject, kind === 'server' ? { kind } : { kind, id: await this.canonical(kind, id ?? '') });
  }

  /** Every grant a user or group holds (admins, or the user about themselves). */
  async grantsOf(actor: Actor, principalType: 'user' | 'group', principal: string): Promise<Grant[]> {
    if (!(principalType === 'user' && principal === actor.userId)) requireAdmin(actor, "read others' grants");
    return this.store.grantsOf(principalType, principal);
  }

  private forgetCredentials(): void {
    this.verified.clear();
    this.tokenCache.clear();
  }

  private async principal(type: PrincipalType, name: string | undefined): Promise<string> {
    if (!PRINCIPAL_TYPES.includes(type)) throw invalid(`Invalid value for 'principalType': one of ${PRINCIPAL_TYPES.join(', ')}`);
    if (type === 'everyone') return EVERYONE;
    if (!name) throw invalid(`'principal' is required for a ${type} grant`);
    if (type === 'user' && !(await this.store.getUser(name))) throw notFound(`User '${name}'`);
    if (type === 'group' && !(await this.store.getGroup(name))) throw notFound(`Group '${name}'`);
    return name;
  }

  private async canonical(kind: ObjectKind, id: string): Promise<string> {
    const found = await this.objectId(kind, id);
    if (found === undefined) throw notFound(`${kind} '${id}'`);
    return found;
  }

  private async group(name: string): Promise<Group> {
    const g = await this.store.getGroup(name);
    if (!g) throw notFound(`Group '${name}'`);
    return g;
  }
}

function checkKind(kind: string): asserts kind is ObjectKind {
  if (!(OBJECT_KINDS as readonly string[]).includes(kind)) throw invalid(`Invalid value for 'kind': one of ${OBJECT_KINDS.join(', ')}`);
}

function checkPassword(password: string): void {
  if (password.length < 8) throw invalid("'password' must be at least 8 characters");
  if (password.length > 1024) throw invalid("'password' must be at most 1024 characters");
}

function checkEmail(email: string | undefined): string | null {
  if (email === undefined || email === '') return null;
  if (!EMAIL.test(email)) throw invalid("Invalid value for 'email'");
  return email;
}

function requireAuthenticated(actor: Actor): void {
  if (!actor.authenticated && !actor.isAdmin) throw new DomainError('UNAUTHENTICATED', 'Authentication required');
}

export function requireAdmin(actor: Actor, what: string): void {
  if (!actor.isAdmin) throw new DomainError(actor.authenticated ? 'PERMISSION_DENIED' : 'UNAUTHENTICATED', `Only admins ${what}`);
}
