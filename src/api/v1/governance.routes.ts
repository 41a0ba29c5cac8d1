import { z } from 'zod';
import { OBJECT_KINDS, PERMISSION_LEVELS } from '../../domain/access/access.js';
import { exportEntry, formatAuditExport, redactEmails } from '../../domain/governance/audit-log.js';
import { parseCheckpoint } from '../../domain/governance/audit-keys.js';
import { requireAdmin } from '../../domain/governance/governance.service.js';
import { PRINCIPAL_TYPES, ROLES, TOKEN_SCOPES } from '../../domain/governance/types.js';
import { DomainError, isDomainError } from '../../core/errors.js';
import type { OidcSignIn, WebFlow } from '../../domain/governance/oidc.js';
import { SSO_TOKEN_TTL_SECONDS } from '../../domain/governance/oidc.js';
import { noteChange } from '../../core/audit-notes.js';
import { cookieOf, sessionCookieOf, setSessionCookie, type Governance } from '../governance-auth.js';
import { parse } from '../parse.js';
import { sent, type Route, type RouteSchema } from '../surface.js';
import { errorReplies } from './errors.js';
import { AuditEntryOut, CreatedTokenOut, EffectiveLevelOut, GrantOut, GroupOut, SignedInOut, TokenRecordOut, UserOut, VerifyOut, WhoamiOut } from './governance.replies.js';
import { Empty, HtmlReport, media } from './replies.js';
import { esc } from '../../core/html.js';

const CreateUser = z.object({ username: z.string().min(1), password: z.string().min(1), role: z.enum(ROLES).default('member'), email: z.string().optional() }).strict();
const UpdateUser = z.object({ role: z.enum(ROLES).optional(), email: z.string().nullable().optional(), password: z.string().min(1).optional(), currentPassword: z.string().optional() }).strict();
const CreateToken = z.object({
  name: z.string().min(1).max(256), ttlSeconds: z.number().int().positive().optional(), username: z.string().min(1).optional(),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).max(TOKEN_SCOPES.length).optional(),
}).strict();
const OidcLoginQuery = z.object({ returnTo: z.string().max(2000).optional() });
const DeviceToken = z.object({ deviceCode: z.string().min(1).max(4000) }).strict();
const DeviceStarted = z.object({
  deviceCode: z.string(), userCode: z.string(), verificationUri: z.string(), verificationUriComplete: z.string().optional(), expiresIn: z.number(), interval: z.number(),
});
const DevicePolled = z.union([
  z.object({ status: z.enum(['pending', 'slow_down']) }),
  z.object({ status: z.literal('signed_in'), user: z.string(), role: z.string(), token: z.string(), tokenId: z.string(), expiresAt: z.number() }),
]);
const AuthMethods = z.object({ password: z.boolean(), sso: z.object({ issuer: z.string(), loginUrl: z.string() }).nullable() });
/** The web sign-in's state between the redirect to the provider and the way back: HttpOnly, for the callback only. */
const FLOW_COOKIE = 'oe_oidc';
const FLOW_PATH = '/api/v1/auth/oidc';
const FLOW_SECONDS = 600;

/** Where to land after signing in: a path on this server, never another site (an open redirect). */
function localPath(returnTo: string | undefined): string {
  return returnTo !== undefined && /^\/(?![/\\])/.test(returnTo) && !/[\r\n]/.test(returnTo) ? returnTo : '/';
}

function readFlow(text: string | undefined): WebFlow | undefined {
  if (!text) return undefined;
  try {
    const flow = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<WebFlow>;
    return [flow.state, flow.nonce, flow.verifier, flow.redirectUri, flow.returnTo].every((v) => typeof v === 'string') ? (flow as WebFlow) : undefined;
  } catch {
    return undefined;
  }
}

/** SameSite=Lax, not Strict: the provider's redirect back is a navigation from another site, and must carry it. */
function flowCookie(secure: boolean, flow: WebFlow | undefined): string {
  const value = flow ? Buffer.from(JSON.stringify(flow)).toString('base64url') : '';
  return `${FLOW_COOKIE}=${value}; Path=${FLOW_PATH}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}; Max-Age=${flow ? FLOW_SECONDS : 0}`;
}

const ssoOf = (g: Governance): OidcSignIn => {
  if (!g.oidc) throw new DomainError('RESOURCE_DOES_NOT_EXIST', 'Single sign-on is not configured on this server (OPENEXPERT_OIDC_ISSUER)');
  return g.oidc;
};

const Login = z.object({ username: z.string().min(1), password: z.string().min(1) }).strict();
const CreateGroup = z.object({ name: z.string().min(1), description: z.string().max(1000).optional(), members: z.array(z.string().min(1)).max(10_000).optional() }).strict();
const ObjectRef = z.object({ kind: z.enum(OBJECT_KINDS), id: z.string().min(1).max(512) });
const GrantBody = ObjectRef.extend({ principalType: z.enum(PRINCIPAL_TYPES), principal: z.string().min(1).optional(), level: z.enum(PERMISSION_LEVELS) }).strict();
const GrantRef = ObjectRef.extend({ principalType: z.enum(PRINCIPAL_TYPES), principal: z.string().min(1).optional() });
const EffectiveQuery = z.object({ kind: z.enum([...OBJECT_KINDS, 'server']), id: z.string().min(1).max(512).optional(), user: z.string().min(1).optional() });
const GrantsOfQuery = z.object({ principalType: z.enum(['user', 'group']), principal: z.string().min(1) });
const RedactQuery = z.object({ redactPii: z.enum(['true', 'false']).optional() });
const AuditQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).optional(), beforeSeq: z.coerce.number().int().min(1).optional(), newestFirst: z.enum(['true', 'false']).optional(), actor: z.string().min(1).optional(), action: z.string().min(1).optional(), object: z.string().min(1).optional(),
  since: z.coerce.number().int().optional(), until: z.coerce.number().int().optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  format: z.enum(['jsonl', 'csv']).default('jsonl'), redactPii: z.enum(['true', 'false']).optional(),
});
const Prune = z.object({ retentionDays: z.number().int().min(1) }).strict();
/** A checkpoint as the sink wrote it (JSON), e.g. the copy a webhook receiver kept. */
const VerifyQuery = z.object({
  checkpoint: z.string().max(10_000).optional().transform((text, ctx) => {
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const c = parseCheckpoint((value as { checkpoint?: unknown } | undefined)?.checkpoint ?? value);
    if (!c) ctx.addIssue({ code: 'custom', message: 'a checkpoint as JSON: {seq, head, at, keyId, signature}' });
    return c;
  }),
});

const UsernameParam = z.object({ username: z.string().min(1) });
const TokenIdParam = z.object({ tokenId: z.string().min(1) });
const GroupParam = z.object({ name: z.string().min(1) });
const MemberParams = GroupParam.extend({ username: z.string().min(1) });

const defined = <T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };

const whoamiSchema: RouteSchema = { summary: 'Who the caller is (with auth off: the anonymous admin)', tags: ['auth'], response: { 200: WhoamiOut } };

/** With auth off the UI still asks who it is: nobody in particular, and nothing is hidden. */
export const openWhoami: Route = {
  method: 'GET', path: '/auth/whoami', schema: whoamiSchema,
  handler: async ({ actor }) => ({ user: actor.userId, isAdmin: actor.isAdmin, authenticated: actor.authenticated, authEnabled: false }),
};

export function governanceRoutesV1(g: Governance): Route[] {
  return [
    {
      method: 'GET', path: '/auth/whoami', schema: whoamiSchema,
      handler: async ({ actor, request }) => {
        const cookie = request.headers.authorization ? undefined : sessionCookieOf(request);
        const csrfToken = cookie ? (await g.service.authenticateSession(cookie)).csrfToken : undefined;
        const role = (actor as { role?: string }).role;
        return { user: actor.userId, role, isAdmin: actor.isAdmin, authenticated: actor.authenticated, authEnabled: true, ...(csrfToken ? { csrfToken } : {}) };
      },
    },
    {
      method: 'POST', path: '/auth/login',
      schema: { summary: 'Sign in: sets the HttpOnly session cookie and returns the CSRF token changes must carry', tags: ['auth'], body: Login, response: { 200: SignedInOut, ...errorReplies(400, 401) } },
      handler: async ({ body, request, reply }) => {
        const input = parse(Login, body);
        request.signInAttempt = input.username;
        const session = await g.service.createSession(input.username, input.password, request.ip);
        // The sign-in itself is audited under the user it signed in.
        request.actor = session.actor;
        setSessionCookie(request, reply, session.sessionId);
        return { user: session.actor.userId, role: session.actor.role, isAdmin: session.actor.isAdmin, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
      },
    },
    {
      method: 'GET', path: '/auth/methods',
      schema: { summary: 'How to sign in: password, and single sign-on when configured', tags: ['auth'], response: { 200: AuthMethods } },
      handler: async () => ({ password: true, sso: g.oidc ? { issuer: g.oidc.issuer, loginUrl: `${FLOW_PATH}/login` } : null }),
    },
    {
      method: 'GET', path: '/auth/oidc/login',
      schema: { summary: 'Single sign-on for the web UI: redirects to the identity provider (authorization code with PKCE)', tags: ['auth'], querystring: OidcLoginQuery,
        response: { 302: media({ 'text/plain': z.string() }, "to the identity provider's authorization endpoint (Location)") },
      },
      handler: async ({ query, request, reply }) => {
        const { url, flow } = await ssoOf(g).startWebLogin(`${request.protocol}://${request.host}`, localPath(parse(OidcLoginQuery, query).returnTo));
        void reply.header('set-cookie', flowCookie(request.protocol === 'https', flow)).header('cache-control', 'no-store');
        return sent(reply.redirect(url, 302));
      },
    },
    {
      method: 'GET', path: '/auth/oidc/callback',
      schema: { summary: "The identity provider's way back: checks its answer, signs the user in (provisioned on first sign-in), and answers a page that moves on to the UI", tags: ['auth'],
        response: { 200: HtmlReport, 302: media({ 'text/plain': z.string() }, 'back to the sign-in page when the sign-in failed, with the reason in the fragment') },
      },
      handler: async ({ request, reply }) => {
        const oidc = ssoOf(g);
        const flow = readFlow(cookieOf(request, FLOW_COOKIE));
        void reply.header('set-cookie', flowCookie(request.protocol === 'https', undefined)).header('cache-control', 'no-store');
        request.signInAttempt = 'single sign-on';
        try {
          if (!flow) throw new DomainError('UNAUTHENTICATED', 'This sign-in was not started here, or took more than ten minutes; start it again');
          const actor = await oidc.finishWebLogin(request.url.slice(request.url.indexOf('?') + 1 || request.url.length), flow);
          const session = await g.service.openSession(actor);
          request.actor = actor;
          noteChange({ object: `user:${actor.userId}`, after: { session: 'opened' } });
          setSessionCookie(request, reply, session.sessionId);
          // Not a 302: a redirect chain that began at the provider is cross-site all the way, so the browser would
          // not send the SameSite=Strict session cookie on it and the UI would open signed out. A page of our own
          // that moves on is a same-site navigation, which carries it.
          const target = esc(flow.returnTo);
          return sent(reply.type('text/html; charset=utf-8').send(
            `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}"><title>Signed in</title></head>`
            + `<body><p>Signed in. <a href="${target}">Continue</a></p></body></html>`,
          ));
        } catch (err) {
          if (!isDomainError(err)) throw err;
          // Back to the sign-in page, which shows why (the fragment never reaches a server).
          request.refusal = { code: err.code, reason: err.message };
          return sent(reply.redirect(`/#sso-error=${encodeURIComponent(err.message)}`, 302));
        }
      },
    },
    {
      method: 'POST', path: '/auth/oidc/device',
      schema: { summary: 'Single sign-on for the CLI: starts a device authorization at the identity provider', tags: ['auth'], response: { 200: DeviceStarted } },
      handler: async () => ssoOf(g).startDevice(),
    },
    {
      method: 'POST', path: '/auth/oidc/device/token',
      schema: { summary: 'Polls a device authorization; once confirmed, signs the user in and returns an API token', tags: ['auth'], body: DeviceToken, response: { 200: DevicePolled } },
      handler: async ({ body, request }) => {
        const oidc = ssoOf(g);
        request.signInAttempt = 'single sign-on (device)';
        const polled = await oidc.pollDevice(parse(DeviceToken, body).deviceCode);
        if (polled.status !== 'signed_in') return { status: polled.status };
        // Audited, as the password sign-in is, under the user it signed in.
        request.actor = polled.actor;
        const { token, record } = await g.service.createToken(polled.actor, { name: 'cli (single sign-on)', ttlSeconds: SSO_TOKEN_TTL_SECONDS });
        return { status: 'signed_in', user: polled.actor.userId, role: polled.actor.role, token, tokenId: record.tokenId, expiresAt: record.expiresAt! };
      },
    },
    {
      method: 'POST', path: '/auth/logout',
      schema: { summary: 'Sign out: ends the session and clears its cookie', tags: ['auth'], response: { 200: Empty } },
      handler: async ({ request, reply }) => {
        const cookie = sessionCookieOf(request);
        if (cookie) {
          // Audited under the user signing out, when the session was still good.
          const session = await g.service.authenticateSession(cookie).catch(() => undefined);
          if (session) request.actor = session.actor;
          await g.service.endSession(cookie);
        }
        setSessionCookie(request, reply, undefined);
        return {};
      },
    },
    {
      method: 'POST', path: '/users',
      schema: { summary: 'Create a user (admins)', body: CreateUser, response: { 201: z.object({ user: UserOut }), ...errorReplies(400, 403, 409) } },
      handler: async ({ actor, body, reply }) => {
        const user = await g.service.createUser(actor, parse(CreateUser, body));
        void reply.status(201);
        return { user };
      },
    },
    {
      method: 'GET', path: '/users',
      schema: { summary: 'List users (admins); redactPii=true masks emails and email-like names', querystring: RedactQuery, response: { 200: z.object({ users: z.array(UserOut) }), ...errorReplies(403) } },
      handler: async ({ actor, query }) => {
        const redact = parse(RedactQuery, query).redactPii === 'true';
        const users = await g.service.listUsers(actor);
        return { users: redact ? users.map((u) => ({ ...u, username: redactEmails(u.username), email: u.email === null ? null : '[redacted]' })) : users };
      },
    },
    {
      method: 'GET', path: '/users/:username',
      schema: { summary: 'Get a user (yourself, or anyone for admins)', params: UsernameParam, response: { 200: z.object({ user: UserOut }), ...errorReplies(403, 404) } },
      handler: async ({ actor, params }) => ({ user: await g.service.getUser(actor, parse(UsernameParam, params).username) }),
    },
    {
      method: 'PATCH', path: '/users/:username',
      schema: {
        summary: 'Change a user: your own email or password (with currentPassword), or anything as an admin',
        params: UsernameParam, body: UpdateUser, response: { 200: z.object({ user: UserOut }), ...errorReplies(400, 403, 404) },
      },
      handler: async ({ actor, params, body }) => ({ user: await g.service.updateUser(actor, parse(UsernameParam, params).username, parse(UpdateUser, body)) }),
    },
    {
      method: 'DELETE', path: '/users/:username',
      schema: { summary: 'Delete a user (admins; not themselves)', params: UsernameParam, response: { 200: Empty, ...errorReplies(400, 403, 404) } },
      handler: async ({ actor, params }) => {
        await g.service.deleteUser(actor, parse(UsernameParam, params).username);
        return {};
      },
    },
    {
      method: 'POST', path: '/tokens',
      schema: { summary: 'Create an API token (for yourself, or for anyone as an admin); the secret is in this reply only', body: CreateToken, response: { 201: CreatedTokenOut, ...errorReplies(400, 403) } },
      handler: async ({ actor, body, reply }) => {
        const token = await g.service.createToken(actor, parse(CreateToken, body));
        void reply.status(201);
        return token;
      },
    },
    {
      method: 'GET', path: '/tokens',
      schema: { summary: 'List tokens: your own, or everyone\'s for admins (never their secrets)', response: { 200: z.object({ tokens: z.array(TokenRecordOut) }) } },
      handler: async ({ actor }) => ({ tokens: await g.service.listTokens(actor) }),
    },
    {
      method: 'DELETE', path: '/tokens/:tokenId',
      schema: { summary: 'Revoke a token', params: TokenIdParam, response: { 200: Empty, ...errorReplies(404) } },
      handler: async ({ actor, params }) => {
        await g.service.revokeToken(actor, parse(TokenIdParam, params).tokenId);
        return {};
      },
    },
    {
      method: 'POST', path: '/groups',
      schema: { summary: 'Create a group, optionally with members (admins)', body: CreateGroup, response: { 201: z.object({ group: GroupOut }), ...errorReplies(400, 403, 409) } },
      handler: async ({ actor, body, reply }) => {
        const group = await g.service.createGroup(actor, parse(CreateGroup, body));
        void reply.status(201);
        return { group };
      },
    },
    { method: 'GET', path: '/groups', schema: { summary: 'List groups', response: { 200: z.object({ groups: z.array(GroupOut) }) } }, handler: async ({ actor }) => ({ groups: await g.service.listGroups(actor) }) },
    {
      method: 'GET', path: '/groups/:name',
      schema: { summary: 'Get a group with its members', params: GroupParam, response: { 200: z.object({ group: GroupOut }), ...errorReplies(404) } },
      handler: async ({ actor, params }) => ({ group: await g.service.getGroup(actor, parse(GroupParam, params).name) }),
    },
    {
      method: 'DELETE', path: '/groups/:name',
      schema: { summary: 'Delete a group (admins)', params: GroupParam, response: { 200: Empty, ...errorReplies(403, 404) } },
      handler: async ({ actor, params }) => {
        await g.service.deleteGroup(actor, parse(GroupParam, params).name);
        return {};
      },
    },
    {
      method: 'PUT', path: '/groups/:name/members/:username',
      schema: { summary: 'Add a member to a group (admins)', params: MemberParams, response: { 200: z.object({ group: GroupOut }), ...errorReplies(403, 404) } },
      handler: async ({ actor, params }) => {
        const p = parse(MemberParams, params);
        return { group: await g.service.addMember(actor, p.name, p.username) };
      },
    },
    {
      method: 'DELETE', path: '/groups/:name/members/:username',
      schema: { summary: 'Remove a member from a group (admins)', params: MemberParams, response: { 200: z.object({ group: GroupOut }), ...errorReplies(403, 404) } },
      handler: async ({ actor, params }) => {
        const p = parse(MemberParams, params);
        return { group: await g.service.removeMember(actor, p.name, p.username) };
      },
    },
    {
      method: 'GET', path: '/permissions',
      schema: { summary: 'The grants on an object (needs READ on it)', querystring: ObjectRef, response: { 200: z.object({ grants: z.array(GrantOut) }), ...errorReplies(400, 404) } },
      handler: async ({ actor, query }) => {
        const q = parse(ObjectRef, query);
        return { grants: await g.service.listGrants(actor, q.kind, q.id) };
      },
    },
    {
      method: 'PUT', path: '/permissions',
      schema: { summary: 'Grant a level on an object to a user, a group or everyone (needs MANAGE on it)', body: GrantBody, response: { 200: z.object({ grant: GrantOut }), ...errorReplies(400, 403, 404) } },
      handler: async ({ actor, body }) => ({ grant: await g.service.setGrant(actor, defined(parse(GrantBody, body)) as z.infer<typeof GrantBody>) }),
    },
    {
      method: 'DELETE', path: '/permissions',
      schema: { summary: 'Remove a grant (needs MANAGE on the object)', querystring: GrantRef, response: { 200: Empty, ...errorReplies(400, 403, 404) } },
      handler: async ({ actor, query }) => {
        await g.service.deleteGrant(actor, defined(parse(GrantRef, query)) as z.infer<typeof GrantRef>);
        return {};
      },
    },
    {
      method: 'GET', path: '/permissions/effective',
      schema: {
        summary: "A user's effective level on an object or the server (yours, or anyone's for admins)",
        querystring: EffectiveQuery, response: { 200: EffectiveLevelOut, ...errorReplies(400, 403, 404) },
      },
      handler: async ({ actor, query }) => {
        const q = parse(EffectiveQuery, query);
        return { kind: q.kind, id: q.id ?? null, user: q.user ?? actor.userId, level: await g.service.effectiveLevel(actor, q.kind, q.id, q.user) };
      },
    },
    {
      method: 'GET', path: '/permissions/of',
      schema: { summary: "The grants a user or group holds (your own, or anyone's for admins)", querystring: GrantsOfQuery, response: { 200: z.object({ grants: z.array(GrantOut) }), ...errorReplies(400, 403) } },
      handler: async ({ actor, query }) => {
        const q = parse(GrantsOfQuery, query);
        return { grants: await g.service.grantsOf(actor, q.principalType, q.principal) };
      },
    },
    {
      method: 'GET', path: '/audit',
      schema: { summary: 'Read the audit log, filtered (admins)', querystring: AuditQuery, response: { 200: z.object({ entries: z.array(AuditEntryOut) }), ...errorReplies(400, 403) } },
      handler: async ({ actor, query }) => {
        requireAdmin(actor, 'read the audit log');
        const { format: _format, redactPii, newestFirst, ...filter } = parse(AuditQuery, query);
        const entries = await g.audit.list({ ...(defined(filter) as typeof filter), newestFirst: newestFirst === 'true' });
        return { entries: redactPii === 'true' ? entries.map((e) => exportEntry(e, true)) : entries };
      },
    },
    {
      method: 'GET', path: '/audit/export',
      schema: {
        summary: 'Export the audit log as JSON lines or CSV, streamed in pages (admins)', querystring: AuditQuery,
        response: {
          200: {
            description: 'one entry per line (JSON lines), or CSV with a header row',
            content: { 'application/x-ndjson': { schema: z.string() }, 'text/csv': { schema: z.string() } },
          },
          ...errorReplies(400, 403),
        },
      },
      handler: async ({ actor, query, reply }) => {
        requireAdmin(actor, 'export the audit log');
        const { format, redactPii, limit: _limit, newestFirst: _order, ...filter } = parse(AuditQuery, query);
        const parts: string[] = [];
        let afterSeq = filter.afterSeq;
        for (let first = true; ; first = false) {
          const page = await g.audit.list(defined({ ...filter, afterSeq, limit: 5000 }) as typeof filter & { limit: number });
          if (page.length === 0) break;
          const text = formatAuditExport(page, format, redactPii === 'true');
          parts.push(format === 'csv' && !first ? text.slice(text.indexOf('\n') + 1) : text);
          afterSeq = page[page.length - 1]!.seq;
        }
        if (parts.length === 0) parts.push(formatAuditExport([], format, false));
        void reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
        return sent(reply.send(parts.join('')));
      },
    },
    {
      method: 'GET', path: '/audit/verify',
      schema: { summary: 'Verify the hash chain, optionally against a checkpoint kept elsewhere (admins)', querystring: VerifyQuery, response: { 200: VerifyOut, ...errorReplies(400, 403) } },
      handler: async ({ actor, query }) => {
        requireAdmin(actor, 'verify the audit log');
        return g.audit.verify(parse(VerifyQuery, query).checkpoint);
      },
    },
    {
      method: 'POST', path: '/audit/prune',
      schema: { summary: 'Drop entries older than the retention period, leaving a checkpoint in the chain (admins)', body: Prune, response: { 200: z.object({ deleted: z.number().int() }), ...errorReplies(400, 403) } },
      handler: async ({ actor, body }) => {
        requireAdmin(actor, 'prune the audit log');
        return { deleted: await g.audit.prune(parse(Prune, body).retentionDays) };
      },
    },
  ];
}
