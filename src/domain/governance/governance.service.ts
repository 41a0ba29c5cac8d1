import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { anonymousAdmin, type Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, alreadyExists, invalid } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { GovernanceStore } from './governance.store.js';
import { ROLES, type Role, type TokenRecord, type User } from './types.js';

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
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 60_000;
// MLflow clients send basic auth on every request; re-running scrypt each time would cost more than the request.
const VERIFIED_TTL_MS = 60_000;

export const userActor = (u: { username: string; role: Role }): Actor & { role: Role } => ({ userId: u.username, isAdmin: u.role === 'admin', authenticated: true, role: u.role });

/** Accounts, tokens and credential checks. Only admins manage users; everyone manages their own tokens. */
export class GovernanceService {
  private readonly failures = new Map<string, number[]>();
  /** sha256(username, password, stored hash) → when the check expires; keyed on the stored hash so a new password invalidates it. */
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly store: GovernanceStore,
    private readonly clock: Clock,
  ) {}

  /** Creates the admin named by the environment on first start; a no-op once it exists. */
  async bootstrapAdmin(username: string, password: string): Promise<void> {
    if (await this.store.getUser(username)) return;
    await this.createUser(anonymousAdmin(), { username, password, role: 'admin' });
  }

  async createUser(actor: Actor, input: { username: string; password: string; role: Role }): Promise<User> {
    requireAdmin(actor);
    if (!/^[A-Za-z0-9_.@-]{1,256}$/.test(input.username)) throw invalid("Invalid value for 'username'");
    if (input.password.length < 8) throw invalid("'password' must be at least 8 characters");
    if (!ROLES.includes(input.role)) throw invalid("Invalid value for 'role'");
    if (await this.store.getUser(input.username)) throw alreadyExists(`User '${input.username}'`);
    const user = { username: input.username, role: input.role, createdAt: this.clock.now() };
    await this.store.insertUser({ ...user, passwordHash: await hashPassword(input.password) });
    return user;
  }

  async listUsers(actor: Actor): Promise<User[]> {
    requireAdmin(actor);
    return (await this.store.listUsers()).map(({ username, role, createdAt }) => ({ username, role, createdAt }));
  }

  /** Rate-limited per account and source address, so a guesser cannot lock out the account from elsewhere. */
  async signIn(username: string, password: string, sourceIp: string): Promise<Actor & { role: Role }> {
    const key = `${username}\n${sourceIp}`;
    const now = this.clock.now();
    const recent = (this.failures.get(key) ?? []).filter((t) => now - t < FAILURE_WINDOW_MS);
    if (recent.length >= MAX_FAILURES) throw new DomainError('UNAUTHENTICATED', 'Too many failed sign-ins; try again later');
    const user = await this.store.getUser(username);
    if (user) {
      const cacheKey = sha256(`${username}\n${password}\n${user.passwordHash}`);
      if ((this.verified.get(cacheKey) ?? 0) > now) return userActor(user);
      if (await verifyPassword(password, user.passwordHash)) {
        this.failures.delete(key);
        if (this.verified.size > 10_000) this.verified.clear();
        this.verified.set(cacheKey, now + VERIFIED_TTL_MS);
        return userActor(user);
      }
    }
    this.failures.set(key, [...recent, now]);
    throw unauthenticated();
  }

  async authenticateToken(secret: string): Promise<Actor & { role: Role }> {
    const token = await this.store.tokenByHash(sha256(secret));
    if (!token || token.revokedAt !== null || (token.expiresAt !== null && token.expiresAt <= this.clock.now())) throw unauthenticated();
    const user = await this.store.getUser(token.username);
    if (!user) throw unauthenticated();
    return userActor(user);
  }

  /** The secret is returned once; only its sha256 is stored. */
  async createToken(actor: Actor, input: { name: string; ttlSeconds?: number; username?: string }): Promise<{ token: string; record: TokenRecord }> {
    const username = input.username ?? actor.userId;
    if (username !== actor.userId) requireAdmin(actor);
    if (!(await this.store.getUser(username))) throw invalid(`Unknown user '${username}'`);
    if (input.ttlSeconds !== undefined && !(input.ttlSeconds > 0)) throw invalid("'ttlSeconds' must be positive");
    const now = this.clock.now();
    const record: TokenRecord = {
      tokenId: newHexId(8), username, name: input.name, createdAt: now, revokedAt: null,
      expiresAt: input.ttlSeconds === undefined ? null : now + input.ttlSeconds * 1000,
    };
    const token = `oe_${randomBytes(32).toString('base64url')}`;
    await this.store.insertToken(record, sha256(token));
    return { token, record };
  }

  async listTokens(actor: Actor): Promise<TokenRecord[]> {
    return this.store.listTokens(actor.isAdmin ? undefined : actor.userId);
  }

  async revokeToken(actor: Actor, tokenId: string): Promise<void> {
    const mine = (await this.store.listTokens(actor.isAdmin ? undefined : actor.userId)).some((t) => t.tokenId === tokenId);
    if (!mine || !(await this.store.revokeToken(tokenId, this.clock.now()))) throw new DomainError('RESOURCE_DOES_NOT_EXIST', `Token '${tokenId}' not found or already revoked`);
  }
}

function requireAdmin(actor: Actor): void {
  if (!actor.isAdmin) throw new DomainError(actor.authenticated ? 'PERMISSION_DENIED' : 'UNAUTHENTICATED', 'Only admins manage users');
}
