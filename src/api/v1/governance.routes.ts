import { z } from 'zod';
import { OBJECT_KINDS, PERMISSION_LEVELS } from '../../domain/access/access.js';
import { exportEntry, formatAuditExport, redactEmails } from '../../domain/governance/audit-log.js';
import { parseCheckpoint } from '../../domain/governance/audit-keys.js';
import { requireAdmin } from '../../domain/governance/governance.service.js';
import { PRINCIPAL_TYPES, ROLES, TOKEN_SCOPES } from '../../domain/governance/types.js';
import { sessionCookieOf, setSessionCookie, type Governance } from '../governance-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../surface.js';

const CreateUser = z.object({ username: z.string().min(1), password: z.string().min(1), role: z.enum(ROLES).default('member'), email: z.string().optional() }).strict();
const UpdateUser = z.object({ role: z.enum(ROLES).optional(), email: z.string().nullable().optional(), password: z.string().min(1).optional(), currentPassword: z.string().optional() }).strict();
const CreateToken = z.object({
  name: z.string().min(1).max(256), ttlSeconds: z.number().int().positive().optional(), username: z.string().min(1).optional(),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).max(TOKEN_SCOPES.length).optional(),
}).strict();
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

const defined = <T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };

/** With auth off the UI still asks who it is: nobody in particular, and nothing is hidden. */
export const openWhoami: Route = {
  method: 'GET', path: '/auth/whoami',
  handler: async ({ actor }) => ({ user: actor.userId, isAdmin: actor.isAdmin, authenticated: actor.authenticated, authEnabled: false }),
};

export function governanceRoutesV1(g: Governance): Route[] {
  return [
    {
      method: 'GET', path: '/auth/whoami',
      handler: async ({ actor, request }) => {
        const cookie = request.headers.authorization ? undefined : sessionCookieOf(request);
        const csrfToken = cookie ? (await g.service.authenticateSession(cookie)).csrfToken : undefined;
        const role = (actor as { role?: string }).role;
        return { user: actor.userId, role, isAdmin: actor.isAdmin, authenticated: actor.authenticated, authEnabled: true, ...(csrfToken ? { csrfToken } : {}) };
      },
    },
    {
      method: 'POST', path: '/auth/login',
      handler: async ({ body, request, reply }) => {
        const input = parse(Login, body);
        const session = await g.service.createSession(input.username, input.password, request.ip);
        // The sign-in itself is audited under the user it signed in.
        request.actor = session.actor;
        setSessionCookie(request, reply, session.sessionId);
        return { user: session.actor.userId, role: session.actor.role, isAdmin: session.actor.isAdmin, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
      },
    },
    {
      method: 'POST', path: '/auth/logout',
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
    { method: 'POST', path: '/users', handler: async ({ actor, body }) => ({ user: await g.service.createUser(actor, parse(CreateUser, body)) }) },
    {
      method: 'GET', path: '/users',
      handler: async ({ actor, query }) => {
        const redact = parse(RedactQuery, query).redactPii === 'true';
        const users = await g.service.listUsers(actor);
        return { users: redact ? users.map((u) => ({ ...u, username: redactEmails(u.username), email: u.email === null ? null : '[redacted]' })) : users };
      },
    },
    { method: 'GET', path: '/users/:username', handler: async ({ actor, params }) => ({ user: await g.service.getUser(actor, params.username ?? '') }) },
    { method: 'PATCH', path: '/users/:username', handler: async ({ actor, params, body }) => ({ user: await g.service.updateUser(actor, params.username ?? '', parse(UpdateUser, body)) }) },
    {
      method: 'DELETE', path: '/users/:username',
      handler: async ({ actor, params }) => {
        await g.service.deleteUser(actor, params.username ?? '');
        return {};
      },
    },
    { method: 'POST', path: '/tokens', handler: async ({ actor, body }) => g.service.createToken(actor, parse(CreateToken, body)) },
    { method: 'GET', path: '/tokens', handler: async ({ actor }) => ({ tokens: await g.service.listTokens(actor) }) },
    {
      method: 'DELETE', path: '/tokens/:tokenId',
      handler: async ({ actor, params }) => {
        await g.service.revokeToken(actor, params.tokenId ?? '');
        return {};
      },
    },
    { method: 'POST', path: '/groups', handler: async ({ actor, body }) => ({ group: await g.service.createGroup(actor, parse(CreateGroup, body)) }) },
    { method: 'GET', path: '/groups', handler: async ({ actor }) => ({ groups: await g.service.listGroups(actor) }) },
    { method: 'GET', path: '/groups/:name', handler: async ({ actor, params }) => ({ group: await g.service.getGroup(actor, params.name ?? '') }) },
    {
      method: 'DELETE', path: '/groups/:name',
      handler: async ({ actor, params }) => {
        await g.service.deleteGroup(actor, params.name ?? '');
        return {};
      },
    },
    { method: 'PUT', path: '/groups/:name/members/:username', handler: async ({ actor, params }) => ({ group: await g.service.addMember(actor, params.name ?? '', params.username ?? '') }) },
    { method: 'DELETE', path: '/groups/:name/members/:username', handler: async ({ actor, params }) => ({ group: await g.service.removeMember(actor, params.name ?? '', params.username ?? '') }) },
    {
      method: 'GET', path: '/permissions',
      handler: async ({ actor, query }) => {
        const q = parse(ObjectRef, query);
        return { grants: await g.service.listGrants(actor, q.kind, q.id) };
      },
    },
    { method: 'PUT', path: '/permissions', handler: async ({ actor, body }) => ({ grant: await g.service.setGrant(actor, defined(parse(GrantBody, body)) as z.infer<typeof GrantBody>) }) },
    {
      method: 'DELETE', path: '/permissions',
      handler: async ({ actor, query }) => {
        await g.service.deleteGrant(actor, defined(parse(GrantRef, query)) as z.infer<typeof GrantRef>);
        return {};
      },
    },
    {
      method: 'GET', path: '/permissions/effective',
      handler: async ({ actor, query }) => {
        const q = parse(EffectiveQuery, query);
        return { kind: q.kind, id: q.id ?? null, user: q.user ?? actor.userId, level: await g.service.effectiveLevel(actor, q.kind, q.id, q.user) };
      },
    },
    {
      method: 'GET', path: '/permissions/of',
      handler: async ({ actor, query }) => {
        const q = parse(GrantsOfQuery, query);
        return { grants: await g.service.grantsOf(actor, q.principalType, q.principal) };
      },
    },
    {
      method: 'GET', path: '/audit',
      handler: async ({ actor, query }) => {
        requireAdmin(actor, 'read the audit log');
        const { format: _format, redactPii, newestFirst, ...filter } = parse(AuditQuery, query);
        const entries = await g.audit.list({ ...(defined(filter) as typeof filter), newestFirst: newestFirst === 'true' });
        return { entries: redactPii === 'true' ? entries.map((e) => exportEntry(e, true)) : entries };
      },
    },
    {
      method: 'GET', path: '/audit/export',
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
        return reply.send(parts.join(''));
      },
    },
    {
      method: 'GET', path: '/audit/verify',
      handler: async ({ actor, query }) => {
        requireAdmin(actor, 'verify the audit log');
        return g.audit.verify(parse(VerifyQuery, query).checkpoint);
      },
    },
    {
      method: 'POST', path: '/audit/prune',
      handler: async ({ actor, body }) => {
        requireAdmin(actor, 'prune the audit log');
        return { deleted: await g.audit.prune(parse(Prune, body).retentionDays) };
      },
    },
  ];
}
