import { z } from 'zod';
import { OBJECT_KINDS, PERMISSION_LEVELS } from '../../domain/access/access.js';
import type { VerifyResult } from '../../domain/governance/audit-log.js';
import { PRINCIPAL_TYPES, ROLES, TOKEN_SCOPES, type AuditEntry, type Grant, type Group, type TokenRecord, type User } from '../../domain/governance/types.js';
import { described } from './replies.js';

const Millis = z.number().describe('milliseconds since the epoch');

export const UserOut = described<User>()(z.object({
  username: z.string(),
  role: z.enum(ROLES),
  email: z.string().nullable().describe("'[redacted]' when listed with redactPii=true"),
  createdAt: Millis,
}).meta({ id: 'User' }));

export const TokenRecordOut = described<TokenRecord>()(z.object({
  tokenId: z.string(),
  username: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(TOKEN_SCOPES)),
  expiresAt: Millis.nullable(),
  revokedAt: Millis.nullable(),
  createdAt: Millis,
}).meta({ id: 'Token' }));

export const CreatedTokenOut = z.object({
  token: z.string().describe('the secret, shown this once: send it as `Authorization: Bearer <token>`'),
  record: TokenRecordOut,
});

export const GroupOut = described<Group>()(z.object({
  name: z.string(), description: z.string(), members: z.array(z.string()), createdAt: Millis,
}).meta({ id: 'Group' }));

export const GrantOut = described<Grant>()(z.object({
  kind: z.enum(OBJECT_KINDS),
  id: z.string(),
  principalType: z.enum(PRINCIPAL_TYPES),
  principal: z.string().describe("a username, a group name, or '*' for everyone"),
  level: z.enum(PERMISSION_LEVELS),
  grantedBy: z.string(),
  grantedAt: Millis,
}).meta({ id: 'Grant' }));

export const EffectiveLevelOut = z.object({
  kind: z.enum([...OBJECT_KINDS, 'server']), id: z.string().nullable(), user: z.string(), level: z.enum(PERMISSION_LEVELS),
});

export const AuditEntryOut = described<AuditEntry>()(z.object({
  seq: z.number().int(),
  at: Millis,
  actor: z.string(),
  action: z.string(),
  status: z.number().int().describe('the HTTP status the request got'),
  requestId: z.string(),
  sourceIp: z.string(),
  summary: z.string(),
  object: z.string().describe("the object acted on as 'kind:id', or empty"),
  detail: z.string().describe('before/after summary as JSON (secrets never reach it)'),
  prevHash: z.string(),
  hash: z.string(),
  keyId: z.string().describe("the signing key's id, '' for the keyless (sha256) chain"),
}).meta({ id: 'AuditEntry' }));

export const VerifyOut = described<VerifyResult>()(z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBadSeq: z.number().int().optional(),
  reason: z.string().optional(),
  keyed: z.boolean().optional(),
  checkpoint: z.object({ seq: z.number().int(), at: Millis, source: z.string() }).optional(),
  unanchored: z.number().int().optional(),
}).meta({ id: 'AuditVerification' }));

export const WhoamiOut = z.object({
  user: z.string(),
  role: z.enum(ROLES).optional().describe('absent when auth is off'),
  isAdmin: z.boolean(),
  authenticated: z.boolean(),
  authEnabled: z.boolean(),
  csrfToken: z.string().optional().describe('for a web session: send it as X-CSRF-Token on changes'),
}).meta({ id: 'Whoami' });

export const SignedInOut = z.object({
  user: z.string(), role: z.enum(ROLES), isAdmin: z.boolean(), csrfToken: z.string(), expiresAt: Millis,
});
