import { z } from 'zod';
import { DomainError } from '../../core/errors.js';
import { ROLES } from '../../domain/governance/types.js';
import type { Governance } from '../governance-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../surface.js';

const CreateUser = z.object({ username: z.string().min(1), password: z.string().min(1), role: z.enum(ROLES).default('member') });
const CreateToken = z.object({ name: z.string().min(1).max(256), ttlSeconds: z.number().int().positive().optional(), username: z.string().min(1).optional() });
const AuditQuery = z.object({ afterSeq: z.coerce.number().int().min(0).optional(), actor: z.string().min(1).optional(), since: z.coerce.number().int().optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) });

function requireAdmin(actor: { isAdmin: boolean; authenticated: boolean }): void {
  if (!actor.isAdmin) throw new DomainError(actor.authenticated ? 'PERMISSION_DENIED' : 'UNAUTHENTICATED', 'Only admins read the audit log');
}

export function governanceRoutesV1(g: Governance): Route[] {
  return [
    { method: 'GET', path: '/auth/whoami', handler: async ({ actor }) => ({ user: actor.userId, isAdmin: actor.isAdmin, authenticated: actor.authenticated }) },
    { method: 'POST', path: '/users', handler: async ({ actor, body }) => ({ user: await g.service.createUser(actor, parse(CreateUser, body)) }) },
    { method: 'GET', path: '/users', handler: async ({ actor }) => ({ users: await g.service.listUsers(actor) }) },
    { method: 'POST', path: '/tokens', handler: async ({ actor, body }) => g.service.createToken(actor, parse(CreateToken, body)) },
    { method: 'GET', path: '/tokens', handler: async ({ actor }) => ({ tokens: await g.service.listTokens(actor) }) },
    {
      method: 'DELETE', path: '/tokens/:tokenId',
      handler: async ({ actor, params }) => {
        await g.service.revokeToken(actor, params.tokenId ?? '');
        return {};
      },
    },
    {
      method: 'GET', path: '/audit',
      handler: async ({ actor, query }) => {
        requireAdmin(actor);
        const q = parse(AuditQuery, query);
        return { entries: await g.audit.list({ limit: q.limit, ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}), ...(q.actor ? { actor: q.actor } : {}), ...(q.since !== undefined ? { since: q.since } : {}) }) };
      },
    },
    {
      method: 'GET', path: '/audit/verify',
      handler: async ({ actor }) => {
        requireAdmin(actor);
        return g.audit.verify();
      },
    },
  ];
}
