import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.js';
import { isDomainError } from '../core/errors.js';
import { bodySummary, redactSecrets, type AuditLog } from '../domain/governance/audit-log.js';
import type { GovernanceAccess } from '../domain/governance/governance-access.js';
import type { OidcSignIn } from '../domain/governance/oidc.js';
import { SESSION_TTL_MS, type GovernanceService } from '../domain/governance/governance.service.js';
import { mlflowErrorBody } from './mlflow/errors.js';
import { v1ErrorBody } from './v1/errors.js';

export interface Governance {
  readonly service: GovernanceService;
  readonly audit: AuditLog;
  readonly access: GovernanceAccess;
  /** Refused requests and failed sign-ins audited per source address and minute (0: none). */
  readonly deniedPerMinute?: number;
  /** Single sign-on, when an OpenID Connect provider is configured. */
  readonly oidc?: OidcSignIn;
}

const MINUTE_MS = 60_000;

/**
 * Admits refusals to the audit log up to a number per source address and minute, so a flood of refused requests
 * cannot fill the log; what it holds back is counted and written as one entry when that address's next minute begins.
 */
export class RefusalBudget {
  private readonly windows = new Map<string, { start: number; admitted: number; held: number }>();
  constructor(private readonly perMinute: number) {}

  /** Whether to write this refusal, and how many from the same address were held back in its previous minute. */
  admit(address: string, now: number): { write: boolean; heldBefore: number } {
    let w = this.windows.get(address);
    let heldBefore = 0;
    if (!w || now - w.start >= MINUTE_MS) {
      heldBefore = w?.held ?? 0;
      if (this.windows.size > 50_000) this.windows.clear();
      w = { start: now, admitted: 0, held: 0 };
      this.windows.set(address, w);
    }
    if (w.admitted < this.perMinute) {
      w.admitted++;
      return { write: true, heldBefore };
    }
    w.held++;
    return { write: false, heldBefore };
  }
}

export const SESSION_COOKIE = 'oe_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Reachable without credentials: probes, signing in, and the UI's static files (the UI's API calls still authenticate). */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  '/health', '/version', '/api/v1/health', '/api/v1/version', '/api/v1/openapi.json', '/api/v1/auth/login', '/api/v1/auth/logout', '/api/v1/auth/methods',
  '/api/v1/auth/oidc/login', '/api/v1/auth/oidc/callback', '/api/v1/auth/oidc/device', '/api/v1/auth/oidc/device/token',
]);
const PROTECTED = /^\/(api|ajax-api|v2|serve|metrics|get-artifact|model-versions\/get-artifact)(\/|$)/;
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const DETAIL_LIMIT = 2000;

const pathOf = (request: FastifyRequest): string => request.url.split('?', 1)[0] ?? '';
/**
 * The path whether a request needs credentials is decided on: the route the router matched, so a URL the router
 * normalises (`//api/…`, `/%61pi/…`) is judged as the route it reaches; an unmatched URL by its path, slashes merged.
 */
const guardedPathOf = (request: FastifyRequest): string => request.routeOptions.url ?? pathOf(request).replace(/\/{2,}/g, '/');

export function cookieOf(request: FastifyRequest, cookie: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookie) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export const sessionCookieOf = (request: FastifyRequest): string | undefined => cookieOf(request, SESSION_COOKIE);

/** HttpOnly (scripts never see it), SameSite=Strict (other sites never send it), Secure behind HTTPS. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, sessionId: string | undefined): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const value = sessionId === undefined ? '; Max-Age=0' : `; Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`;
  void reply.header('set-cookie', `${SESSION_COOKIE}=${sessionId ?? ''}; Path=/; HttpOnly; SameSite=Strict${secure}${value}`);
}

interface Authenticated {
  readonly actor: Actor;
  /** Set for cookie sessions: state changes must echo it in the X-CSRF-Token header. */
  readonly csrfToken?: string;
}

async function authenticate(governance: Governance, request: FastifyRequest): Promise<Authenticated | undefined> {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return { actor: await governance.service.authenticateToken(header.slice(7).trim()) };
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const secret = decoded.slice(colon + 1);
    // MLflow clients put a token in the password slot when only MLFLOW_TRACKING_TOKEN-style secrets are at hand.
    if (secret.startsWith('oe_')) return { actor: await governance.service.authenticateToken(secret) };
    return { actor: await governance.service.signIn(decoded.slice(0, colon), secret, request.ip) };
  }
  const session = sessionCookieOf(request);
  if (session) return governance.service.authenticateSession(session);
  return undefined;
}

/** Who a failed attempt claimed to be, for the audit log (never the secret). */
function claimedUser(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return decoded.slice(0, Math.max(0, decoded.indexOf(':'))) || 'anonymous';
  }
  return header?.startsWith('Bearer ') ? 'token' : 'session';
}

const ID_KEYS: readonly [string, string][] = [
  ['run_id', 'run'], ['runId', 'run'], ['experiment_id', 'experiment'], ['experimentId', 'experiment'], ['model_id', 'logged_model'],
];

/** The object a request acted on, when no service said: its run, experiment or named object. */
function objectOf(request: FastifyRequest): string {
  const sources = [request.params, request.body, request.query].filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s));
  for (const src of sources) {
    for (const [key, kind] of ID_KEYS) if (typeof src[key] === 'string' && src[key] !== '') return `${kind}:${src[key] as string}`;
    if (typeof src.name === 'string' && src.name !== '') return src.version !== undefined ? `${src.name}@${String(src.version)}` : src.name;
  }
  return '';
}

function detailOf(request: FastifyRequest): string {
  const notes = request.auditNotes.filter((n) => !n.read);
  const text = notes.length > 0
    ? JSON.stringify(notes.map((n) => redactSecrets(n)))
    : typeof request.body === 'object' && request.body !== null && !Buffer.isBuffer(request.body) && typeof (request.body as { pipe?: unknown }).pipe !== 'function'
      ? JSON.stringify({ after: redactSecrets(request.body) })
      : '';
  return text.length > DETAIL_LIMIT ? `${text.slice(0, DETAIL_LIMIT)}…` : text;
}

/**
 * Auth on: every API request carries basic or bearer credentials or a web session (whose state changes must
 * also carry its CSRF token); failed attempts and every successful state change are appended to the
 * hash-chained audit log from this one place, whichever surface served them.
 */
export function registerGovernance(app: FastifyInstance, governance: Governance): void {
  const budget = new RefusalBudget(governance.deniedPerMinute ?? 30);
  /** Refusals and failed sign-ins, within the budget; a failure to write is logged, never turned into a 500. */
  const auditRefusal = async (request: FastifyRequest, fields: { actor: string; action: string; status: number; summary: string; object?: string; detail?: string }) => {
    const { write, heldBefore } = budget.admit(request.ip, Date.now());
    try {
      if (heldBefore > 0) {
        await governance.audit.append({
          actor: 'system', action: 'audit.refusals-held', status: 429, requestId: String(request.id), sourceIp: request.ip,
          summary: `${heldBefore} more refused requests from ${request.ip} in one minute were not recorded one by one`, detail: JSON.stringify({ held: heldBefore }),
        });
      }
      if (write) await governance.audit.append({ ...fields, requestId: String(request.id), sourceIp: request.ip });
    } catch (err) {
      request.log.error({ err }, 'audit append failed');
    }
  };
  const fail = async (request: FastifyRequest, reply: FastifyReply, status: 401 | 403, message: string) => {
    const code = status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED';
    // The web UI marks its calls (X-Requested-With): a challenge would make the browser pop its own password dialog.
    if (status === 401 && request.headers['x-requested-with'] === undefined) void reply.header('www-authenticate', 'Basic realm="openexpert"');
    return reply.status(status).send(guardedPathOf(request).startsWith('/api/v1/') ? v1ErrorBody(code, message) : mlflowErrorBody(code, message));
  };

  app.addHook('onRequest', async (request, reply) => {
    const guarded = guardedPathOf(request);
    if (PUBLIC_PATHS.has(guarded) || !PROTECTED.test(guarded)) return;
    const path = pathOf(request);
    let auth: Authenticated | undefined;
    let message = 'Authentication required';
    try {
      auth = await authenticate(governance, request);
    } catch (err) {
      if (!isDomainError(err)) throw err;
      message = err.message;
      await auditRefusal(request, { actor: claimedUser(request), action: 'auth.failed', status: 401, summary: `${request.method} ${path}: ${message}` });
    }
    if (!auth) return fail(request, reply, 401, message);
    if (auth.csrfToken !== undefined && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== auth.csrfToken) {
      const reason = `A session's changes need its CSRF token in the ${CSRF_HEADER} header`;
      await auditRefusal(request, {
        actor: auth.actor.userId, action: 'access.denied', status: 403, summary: `${request.method} ${path}`, object: objectOf(request),
        detail: JSON.stringify({ code: 'PERMISSION_DENIED', reason }),
      });
      return fail(request, reply, 403, reason);
    }
    request.actor = auth.actor;
  });

  // Before the response leaves: a change the client sees acknowledged is already in the audit log. Should the
  // write fail, the change stands and the failure is logged (the chain stays intact; the entry is missing).
  app.addHook('onSend', async (request, reply, payload) => {
    // A failed sign-in on a public path (the form, single sign-on): who it claimed to be, and why it failed.
    if (request.refusal && request.signInAttempt !== undefined && !request.actor?.authenticated) {
      await auditRefusal(request, {
        actor: request.signInAttempt, action: 'auth.failed', status: reply.statusCode, summary: `${request.method} ${pathOf(request)}: ${request.refusal.reason}`,
        detail: JSON.stringify({ code: request.refusal.code, reason: request.refusal.reason }),
      });
      return payload;
    }
    if (!request.actor?.authenticated) return payload;
    // A signed-in caller refused (403, or told a hidden object does not exist): who, what, on which object, and why.
    if (request.refusal) {
      await auditRefusal(request, {
        actor: request.actor.userId, action: 'access.denied', status: reply.statusCode, summary: `${request.method} ${pathOf(request)}`,
        object: objectOf(request), detail: JSON.stringify({ code: request.refusal.code, reason: request.refusal.reason }),
      });
      return payload;
    }
    if (reply.statusCode >= 400) return payload;
    // A read is audited as one when its kind's reads are; a GET that changed something (the single sign-on callback
    // provisions users and opens sessions) is audited as the change it made.
    if (SAFE_METHODS.has(request.method) && !request.auditNotes.some((n) => !n.read)) {
      const reads = request.auditNotes.filter((n) => n.read);
      if (reads.length === 0) return payload;
      try {
        await governance.audit.append({
          actor: request.actor.userId, action: `${request.method} ${pathOf(request)}`, status: reply.statusCode, requestId: String(request.id),
          sourceIp: request.ip, summary: 'read', object: reads[0]!.object, detail: JSON.stringify({ read: reads.map((n) => n.object) }),
        });
      } catch (err) {
        request.log.error({ err }, 'audit append failed');
      }
      return payload;
    }
    const note = request.auditNotes.find((n) => !n.read);
    try {
      await governance.audit.append({
        actor: request.actor.userId,
        action: `${request.method} ${pathOf(request)}`,
        status: reply.statusCode,
        requestId: String(request.id),
        sourceIp: request.ip,
        summary: bodySummary(request.body),
        object: note?.object ?? objectOf(request),
        detail: detailOf(request),
      });
    } catch (err) {
      request.log.error({ err }, 'audit append failed');
    }
    return payload;
  });
}
