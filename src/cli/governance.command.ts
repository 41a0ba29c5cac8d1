import fs from 'node:fs';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { clientUrl } from '../config/config.js';
import { HttpClient } from '../sdk/http.js';
import { OBJECT_KINDS, PERMISSION_LEVELS, type PermissionLevel } from '../domain/access/access.js';
import { ROLES, TOKEN_SCOPES, type AuditEntry, type Grant, type Group, type TokenRecord, type User } from '../domain/governance/types.js';
import type { VerifyResult } from '../domain/governance/audit-log.js';
import { forgetLogin, storeLogin, storedLogin } from './credentials.js';
import { formatTime, printJson, printTable } from './output.js';

/** A checkpoint file may be one JSON document or the sink's JSON lines; the newest is the last. */
const lastJsonLine = (text: string): string => {
  const trimmed = text.trim();
  try {
    JSON.parse(trimmed);
    return trimmed;
  } catch {
    return trimmed.split('\n').filter((l) => l.trim() !== '').at(-1) ?? trimmed;
  }
};

export interface Auth {
  url?: string;
  token?: string;
  /** The basic-auth username: `--user` everywhere but in `permissions`, where `--user` names a grantee and `--login` signs in. */
  user?: string;
  login?: string;
  password?: string;
  json?: boolean;
}

const enc = encodeURIComponent;

/** Bearer token when given, else basic auth from the username and --password; the SDK's HttpClient does retries and errors. */
function client(opts: Auth, username: string | undefined, fetchImpl: typeof fetch = fetch) {
  const url = clientUrl(opts.url);
  const http = new HttpClient(url, opts.token || (username ? undefined : storedLogin(url)?.token), fetchImpl);
  const headers: Record<string, string> =
    !opts.token && username ? { authorization: `Basic ${Buffer.from(`${username}:${opts.password ?? ''}`).toString('base64')}` } : {};
  return <T>(method: string, path: string, body?: unknown) => http.request<T>(method, path, { headers, ...(body !== undefined ? { body } : {}) });
}

export const api = (opts: Auth) => client(opts, opts.user);

/**
 * The audit export answers text (CSV or JSON lines), not JSON: a successful body is handed to HttpClient JSON-quoted,
 * so the export keeps the SDK's retries and error messages and comes back as the exact text the server sent.
 */
const textBody: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  return res.ok ? new Response(JSON.stringify(await res.text()), { status: res.status }) : res;
};

export function withAuth(cmd: Command, login: '--user' | '--login' = '--user'): Command {
  return cmd
    .option('--url <url>', 'server URL (default $OPENEXPERT_URL or http://127.0.0.1:5000)')
    .addOption(new Option('--token <token>', 'API token').env('OPENEXPERT_TOKEN'))
    .addOption(new Option(`${login} <name>`, 'username for basic auth').env('OPENEXPERT_USER'))
    .addOption(new Option('--password <password>', 'password for basic auth').env('OPENEXPERT_PASSWORD'))
    .option('--json', 'print JSON');
}

/** A command-line time: ISO 8601 (or anything Date.parse reads), sent to the server as epoch ms. */
function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('Not a time; use ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z.');
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('Not a positive integer.');
  return n;
}

const userColumns = [
  { header: 'USERNAME', value: (u: User) => u.username },
  { header: 'ROLE', value: (u: User) => u.role },
  { header: 'EMAIL', value: (u: User) => u.email },
  { header: 'CREATED', value: (u: User) => formatTime(u.createdAt) },
];

const fieldColumns = [{ header: 'FIELD', value: (r: [string, string]) => r[0] }, { header: 'VALUE', value: (r: [string, string]) => r[1] }];

function printUser(u: User): void {
  printTable<[string, string]>([['username', u.username], ['role', u.role], ['email', u.email ?? ''], ['created', formatTime(u.createdAt)]], fieldColumns);
}

function printGroup(g: Group): void {
  printTable<[string, string]>([['name', g.name], ['description', g.description], ['members', g.members.join(' ')], ['created', formatTime(g.createdAt)]], fieldColumns);
}

const principalOf = (g: Grant) => (g.principalType === 'everyone' ? 'everyone' : `${g.principalType}:${g.principal}`);

const auditColumns = [
  { header: 'SEQ', value: (e: AuditEntry) => e.seq },
  { header: 'TIME', value: (e: AuditEntry) => formatTime(e.at) },
  { header: 'ACTOR', value: (e: AuditEntry) => e.actor },
  { header: 'ACTION', value: (e: AuditEntry) => e.action },
  { header: 'STATUS', value: (e: AuditEntry) => e.status },
  { header: 'OBJECT', value: (e: AuditEntry) => e.object },
  { header: 'IP', value: (e: AuditEntry) => e.sourceIp },
  { header: 'BODY KEYS', value: (e: AuditEntry) => e.summary },
];

interface AuditFilterOpts {
  actor?: string;
  action?: string;
  object?: string;
  since?: number;
  until?: number;
}

function withAuditFilters(cmd: Command): Command {
  return cmd
    .option('--actor <username>', 'only this actor')
    .option('--action <text>', 'only actions containing this text, e.g. "DELETE" or "/permissions"')
    .option('--object <kind:id>', 'only this object, e.g. experiment:1')
    .option('--since <iso-time>', 'only entries at or after this time', isoTime)
    .option('--until <iso-time>', 'only entries at or before this time', isoTime);
}

function auditQuery(opts: AuditFilterOpts, extra: Record<string, string | undefined>): URLSearchParams {
  const q = new URLSearchParams();
  const all = { actor: opts.actor, action: opts.action, object: opts.object, since: opts.since?.toString(), until: opts.until?.toString(), ...extra };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) q.set(k, v);
  return q;
}

async function allAudit(opts: Auth & AuditFilterOpts): Promise<AuditEntry[]> {
  const call = api(opts);
  const out: AuditEntry[] = [];
  for (let after = 0; ; ) {
    const q = auditQuery(opts, { afterSeq: String(after), limit: '1000' });
    const { entries } = await call<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?${q.toString()}`);
    out.push(...entries);
    const last = entries.at(-1);
    if (!last || entries.length < 1000) return out;
    after = last.seq;
  }
}

type Principal = { principalType: 'user' | 'group' | 'everyone'; principal?: string };

/** Exactly one of --user, --group (and, where offered, --everyone) names whom a grant is for. */
function principalFrom(opts: { user?: string; group?: string; everyone?: boolean }, everyoneAllowed: boolean): Principal {
  const flags = everyoneAllowed ? '--user, --group or --everyone' : '--user or --group';
  const given = [opts.user !== undefined && '--user', opts.group !== undefined && '--group', opts.everyone === true && '--everyone'].filter((f): f is string => f !== false);
  if (given.length !== 1) throw new Error(`Give exactly one of ${flags}${given.length ? ` (got ${given.join(' and ')})` : ''}`);
  if (opts.user !== undefined) return { principalType: 'user', principal: opts.user };
  if (opts.group !== undefined) return { principalType: 'group', principal: opts.group };
  return { principalType: 'everyone' };
}

function withPrincipal(cmd: Command, everyone: boolean): Command {
  cmd.option('--user <username>', 'a user').option('--group <name>', 'a group');
  if (everyone) cmd.option('--everyone', 'every signed-in user');
  return cmd;
}

const kindArgument = (kinds: readonly string[] = OBJECT_KINDS) => new Argument('<kind>', 'object kind').choices(kinds);
const idHelp = 'object id: experiment id, model/dataset/deployment name, or monitor id';

export function registerGovernanceCommands(program: Command): void {
  registerLogin(program);
  registerUsers(program);
  registerTokens(program);
  registerGroups(program);
  registerPermissions(program);
  registerAudit(program);
}

interface DeviceStarted { deviceCode: string; userCode: string; verificationUri: string; verificationUriComplete?: string; expiresIn: number; interval: number }
type DevicePolled = { status: 'pending' | 'slow_down' } | { status: 'signed_in'; user: string; role: string; token: string; tokenId: string; expiresAt: number };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a token made by `login` with a password lasts (single sign-on tokens last as long as the server says). */
const LOGIN_TOKEN_DAYS = 30;

function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Sign in to a server and keep a token for later commands: with --sso through the identity provider (device code), else with --user and --password')
    .option('--url <url>', 'server URL (default $OPENEXPERT_URL or http://127.0.0.1:5000)')
    .option('--sso', 'single sign-on: open the printed address, confirm the code, and the token arrives here')
    .addOption(new Option('--user <name>', 'username for a password sign-in').env('OPENEXPERT_USER'))
    .addOption(new Option('--password <password>', 'password for a password sign-in').env('OPENEXPERT_PASSWORD'))
    .action(async (opts: { url?: string; sso?: boolean; user?: string; password?: string }) => {
      const url = clientUrl(opts.url);
      const http = new HttpClient(url, undefined, fetch);
      let login: { token: string; tokenId: string; user: string; expiresAt: number | null };
      if (opts.sso) {
        const started = await http.request<DeviceStarted>('POST', '/api/v1/auth/oidc/device', { body: {} });
        console.log(`To sign in, open ${started.verificationUriComplete ?? started.verificationUri}`);
        console.log(`and confirm the code ${started.userCode}`);
        const deadline = Date.now() + started.expiresIn * 1000;
        let interval = Math.max(1, started.interval) * 1000;
        for (;;) {
          if (Date.now() > deadline) throw new Error('The code expired before it was confirmed; run `openexpert login --sso` again');
          await sleep(interval);
          const polled = await http.request<DevicePolled>('POST', '/api/v1/auth/oidc/device/token', { body: { deviceCode: started.deviceCode } });
          if (polled.status === 'slow_down') interval += 5000;
          if (polled.status === 'signed_in') {
            login = { token: polled.token, tokenId: polled.tokenId, user: polled.user, expiresAt: polled.expiresAt };
            break;
          }
        }
      } else {
        if (!opts.user || !opts.password) throw new Error('Give --sso, or --user and --password (or $OPENEXPERT_USER and $OPENEXPERT_PASSWORD)');
        const basic = { authorization: `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}` };
        const created = await http.request<{ token: string; record: TokenRecord }>('POST', '/api/v1/tokens', { headers: basic, body: { name: 'cli (login)', ttlSeconds: LOGIN_TOKEN_DAYS * 86_400 } });
        login = { token: created.token, tokenId: created.record.tokenId, user: created.record.username, expiresAt: created.record.expiresAt };
      }
      const file = storeLogin(url, login);
      console.log(`Signed in to ${url} as ${login.user}; token ${login.tokenId} kept in ${file}${login.expiresAt ? ` until ${formatTime(login.expiresAt)}` : ''}`);
    });
  program
    .command('logout')
    .description('Revoke the token `login` kept for a server, and forget it')
    .option('--url <url>', 'server URL (default $OPENEXPERT_URL or http://127.0.0.1:5000)')
    .action(async (opts: { url?: string }) => {
      const url = clientUrl(opts.url);
      const login = storedLogin(url);
      if (login) await new HttpClient(url, login.token, fetch, { attempts: 2 }).request('DELETE', `/api/v1/tokens/${enc(login.tokenId)}`).catch(() => undefined);
      console.log(forgetLogin(url) ? `Signed out of ${url}` : `No sign-in kept for ${url}`);
    });
}

function registerUsers(program: Command): void {
  const users = program.command('users').description('Local user accounts (auth on; admins only)');
  withAuth(users.command('list').description('List users'))
    .option('--redact-pii', 'hide e-mail addresses')
    .action(async (opts: Auth & { redactPii?: boolean }) => {
      const { users: rows } = await api(opts)<{ users: User[] }>('GET', `/api/v1/users${opts.redactPii ? '?redactPii=true' : ''}`);
      if (opts.json) return printJson(rows);
      printTable(rows, userColumns);
    });
  withAuth(users.command('create <username>').description('Create a user; the password is read from $OPENEXPERT_NEW_PASSWORD'))
    .addOption(new Option('--role <role>', 'workspace role').choices(ROLES).default('member'))
    .option('--email <address>', "the user's e-mail address")
    .addOption(new Option('--new-password <password>', 'the new user\'s password').env('OPENEXPERT_NEW_PASSWORD').makeOptionMandatory())
    .action(async (username: string, opts: Auth & { role: string; email?: string; newPassword: string }) => {
      const { user } = await api(opts)<{ user: User }>('POST', '/api/v1/users', { username, password: opts.newPassword, role: opts.role, ...(opts.email !== undefined ? { email: opts.email } : {}) });
      if (opts.json) return printJson(user);
      console.log(`Created ${user.role} '${user.username}'`);
    });
  withAuth(users.command('show <username>').description('Show a user (admins, or yourself)')).action(async (username: string, opts: Auth) => {
    const { user } = await api(opts)<{ user: User }>('GET', `/api/v1/users/${enc(username)}`);
    if (opts.json) return printJson(user);
    printUser(user);
  });
  withAuth(users.command('update <username>').description("Change a user's role or e-mail (admins), or your own e-mail or password"))
    .addOption(new Option('--role <role>', 'workspace role').choices(ROLES))
    .option('--email <address>', 'e-mail address ("" clears it)')
    .option('--new-password <password>', 'a new password (not read from the environment, so a leftover $OPENEXPERT_NEW_PASSWORD resets nobody)')
    .option('--current-password <password>', 'your current password (needed to change your own password unless you are an admin)')
    .action(async (username: string, opts: Auth & { role?: string; email?: string; newPassword?: string; currentPassword?: string }) => {
      const patch = {
        ...(opts.role !== undefined ? { role: opts.role } : {}),
        ...(opts.email !== undefined ? { email: opts.email === '' ? null : opts.email } : {}),
        ...(opts.newPassword !== undefined ? { password: opts.newPassword } : {}),
        ...(opts.currentPassword !== undefined ? { currentPassword: opts.currentPassword } : {}),
      };
      if (Object.keys(patch).length === 0) throw new Error('Nothing to change: give --role, --email or --new-password');
      const { user } = await api(opts)<{ user: User }>('PATCH', `/api/v1/users/${enc(username)}`, patch);
      if (opts.json) return printJson(user);
      console.log(`Updated '${user.username}' (${[opts.role !== undefined && 'role', opts.email !== undefined && 'email', opts.newPassword !== undefined && 'password'].filter(Boolean).join(', ')})`);
    });
  withAuth(users.command('delete <username>').description('Delete a user')).action(async (username: string, opts: Auth) => {
    await api(opts)('DELETE', `/api/v1/users/${enc(username)}`);
    if (opts.json) return printJson({ deleted: username });
    console.log(`Deleted user '${username}'`);
  });
}

function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('API tokens (shown once at creation)');
  withAuth(tokens.command('create <name>').description('Create a token for yourself (or --for a user, admins only)'))
    .option('--ttl <seconds>', 'expires after this many seconds', positiveInt)
    .option('--for <username>', 'owner of the token')
    .addOption(new Option('--scope <scope...>', 'what the token may do (default: all its user may): read, use, edit or manage caps the level; admin keeps admin powers').choices(TOKEN_SCOPES))
    .action(async (name: string, opts: Auth & { ttl?: number; for?: string; scope?: string[] }) => {
      const created = await api(opts)<{ token: string; record: TokenRecord }>('POST', '/api/v1/tokens', {
        name, ...(opts.ttl !== undefined ? { ttlSeconds: opts.ttl } : {}), ...(opts.for ? { username: opts.for } : {}), ...(opts.scope ? { scopes: opts.scope } : {}),
      });
      if (opts.json) return printJson(created);
      console.log(`Token ${created.record.tokenId} (store it now; it is not shown again):\n${created.token}`);
    });
  withAuth(tokens.command('list').description('List tokens (yours, or all for admins)')).action(async (opts: Auth) => {
    const { tokens: rows } = await api(opts)<{ tokens: TokenRecord[] }>('GET', '/api/v1/tokens');
    if (opts.json) return printJson(rows);
    printTable(rows, [
      { header: 'ID', value: (t) => t.tokenId }, { header: 'USER', value: (t) => t.username }, { header: 'NAME', value: (t) => t.name },
      { header: 'SCOPES', value: (t) => t.scopes.join(',') }, { header: 'EXPIRES', value: (t) => formatTime(t.expiresAt) }, { header: 'REVOKED', value: (t) => formatTime(t.revokedAt) },
    ]);
  });
  withAuth(tokens.command('revoke <tokenId>').description('Revoke a token')).action(async (tokenId: string, opts: Auth) => {
    await api(opts)('DELETE', `/api/v1/tokens/${enc(tokenId)}`);
    console.log(`Revoked ${tokenId}`);
  });
}

function registerGroups(program: Command): void {
  const groups = program.command('groups').description('Groups of users, for grants and approvals (admins manage; everyone signed in reads)');
  withAuth(groups.command('list').description('List groups')).action(async (opts: Auth) => {
    const { groups: rows } = await api(opts)<{ groups: Group[] }>('GET', '/api/v1/groups');
    if (opts.json) return printJson(rows);
    printTable(rows, [
      { header: 'NAME', value: (g) => g.name }, { header: 'MEMBERS', value: (g) => g.members.length },
      { header: 'DESCRIPTION', value: (g) => g.description }, { header: 'CREATED', value: (g) => formatTime(g.createdAt) },
    ]);
  });
  withAuth(groups.command('show <name>').description('Show a group and its members')).action(async (name: string, opts: Auth) => {
    const { group } = await api(opts)<{ group: Group }>('GET', `/api/v1/groups/${enc(name)}`);
    if (opts.json) return printJson(group);
    printGroup(group);
  });
  withAuth(groups.command('create <name>').description('Create a group'))
    .option('--description <text>', 'what the group is for')
    .option('--member <username...>', 'initial members (repeatable)')
    .action(async (name: string, opts: Auth & { description?: string; member?: string[] }) => {
      const { group } = await api(opts)<{ group: Group }>('POST', '/api/v1/groups', { name, ...(opts.description !== undefined ? { description: opts.description } : {}), ...(opts.member ? { members: opts.member } : {}) });
      if (opts.json) return printJson(group);
      console.log(`Created group '${group.name}' with ${group.members.length} member(s)`);
    });
  withAuth(groups.command('delete <name>').description('Delete a group (its grants go with it)')).action(async (name: string, opts: Auth) => {
    await api(opts)('DELETE', `/api/v1/groups/${enc(name)}`);
    if (opts.json) return printJson({ deleted: name });
    console.log(`Deleted group '${name}'`);
  });
  withAuth(groups.command('add-member <group> <username>').description('Add a user to a group')).action(async (name: string, username: string, opts: Auth) => {
    const { group } = await api(opts)<{ group: Group }>('PUT', `/api/v1/groups/${enc(name)}/members/${enc(username)}`);
    if (opts.json) return printJson(group);
    console.log(`Added '${username}' to '${group.name}' (members: ${group.members.join(' ')})`);
  });
  withAuth(groups.command('remove-member <group> <username>').description('Remove a user from a group')).action(async (name: string, username: string, opts: Auth) => {
    const { group } = await api(opts)<{ group: Group }>('DELETE', `/api/v1/groups/${enc(name)}/members/${enc(username)}`);
    if (opts.json) return printJson(group);
    console.log(`Removed '${username}' from '${group.name}' (members: ${group.members.join(' ') || 'none'})`);
  });
}

function registerPermissions(program: Command): void {
  const permissions = program
    .command('permissions')
    .description(`Per-object permissions (levels ${PERMISSION_LEVELS.join(' < ')}); here --user names a grantee and --login signs in`);
  const call = (opts: Auth) => client(opts, opts.login);
  const grantColumns = [
    { header: 'PRINCIPAL', value: principalOf }, { header: 'LEVEL', value: (g: Grant) => g.level },
    { header: 'GRANTED BY', value: (g: Grant) => g.grantedBy }, { header: 'GRANTED', value: (g: Grant) => formatTime(g.grantedAt) },
  ];

  withAuth(permissions.command('list').description('The grants on an object').addArgument(kindArgument()).argument('<id>', idHelp), '--login')
    .action(async (kind: string, id: string, opts: Auth) => {
      const { grants } = await call(opts)<{ grants: Grant[] }>('GET', `/api/v1/permissions?${new URLSearchParams({ kind, id }).toString()}`);
      if (opts.json) return printJson(grants);
      printTable(grants, grantColumns);
    });
  withAuth(withPrincipal(permissions.command('grant').description('Grant a user, a group or everyone a level on an object (needs MANAGE)'), true)
    .addArgument(kindArgument()).argument('<id>', idHelp), '--login')
    .addOption(new Option('--level <level>', 'permission level').choices(PERMISSION_LEVELS).makeOptionMandatory())
    .action(async (kind: string, id: string, opts: Auth & { user?: string; group?: string; everyone?: boolean; level: PermissionLevel }) => {
      const principal = principalFrom(opts, true);
      const { grant } = await call(opts)<{ grant: Grant }>('PUT', '/api/v1/permissions', { kind, id, ...principal, level: opts.level });
      if (opts.json) return printJson(grant);
      console.log(`Granted ${grant.level} on ${grant.kind} '${grant.id}' to ${principalOf(grant)}`);
    });
  withAuth(withPrincipal(permissions.command('revoke').description("Remove a user's, a group's or everyone's grant on an object (needs MANAGE)"), true)
    .addArgument(kindArgument()).argument('<id>', idHelp), '--login')
    .action(async (kind: string, id: string, opts: Auth & { user?: string; group?: string; everyone?: boolean }) => {
      const principal = principalFrom(opts, true);
      await call(opts)('DELETE', `/api/v1/permissions?${new URLSearchParams({ kind, id, ...principal }).toString()}`);
      if (opts.json) return printJson({ kind, id, ...principal, revoked: true });
      console.log(`Revoked the ${principal.principalType === 'everyone' ? 'everyone' : `${principal.principalType}:${principal.principal}`} grant on ${kind} '${id}'`);
    });
  withAuth(permissions.command('show').description("A user's effective level on an object (kind `server`: the workspace level, no id)")
    .addArgument(kindArgument([...OBJECT_KINDS, 'server'])).argument('[id]', idHelp), '--login')
    .option('--for <username>', 'whose level (default: you; others need admin)')
    .action(async (kind: string, id: string | undefined, opts: Auth & { for?: string }) => {
      if (kind !== 'server' && id === undefined) throw new Error(`An <id> is required for kind '${kind}'`);
      const q = new URLSearchParams({ kind, ...(kind !== 'server' && id !== undefined ? { id } : {}), ...(opts.for !== undefined ? { user: opts.for } : {}) });
      const result = await call(opts)<{ kind: string; id: string | null; user: string; level: PermissionLevel }>('GET', `/api/v1/permissions/effective?${q.toString()}`);
      if (opts.json) return printJson(result);
      console.log(`${result.user}: ${result.level} on ${result.kind === 'server' ? 'the server' : `${result.kind} '${result.id ?? ''}'`}`);
    });
  withAuth(withPrincipal(permissions.command('of').description('Every grant a user or a group holds'), false), '--login')
    .action(async (opts: Auth & { user?: string; group?: string }) => {
      const principal = principalFrom(opts, false);
      const q = new URLSearchParams({ principalType: principal.principalType, principal: principal.principal ?? '' });
      const { grants } = await call(opts)<{ grants: Grant[] }>('GET', `/api/v1/permissions/of?${q.toString()}`);
      if (opts.json) return printJson(grants);
      printTable(grants, [
        { header: 'KIND', value: (g) => g.kind }, { header: 'ID', value: (g) => g.id }, { header: 'LEVEL', value: (g) => g.level },
        { header: 'GRANTED BY', value: (g) => g.grantedBy }, { header: 'GRANTED', value: (g) => formatTime(g.grantedAt) },
      ]);
    });
}

function registerAudit(program: Command): void {
  const audit = program.command('audit').description('The hash-chained audit log of state changes (admins only)');
  withAuth(withAuditFilters(audit.command('list').description('List audit entries'))).action(async (opts: Auth & AuditFilterOpts) => {
    const rows = await allAudit(opts);
    if (opts.json) return printJson(rows);
    printTable(rows, auditColumns);
  });
  withAuth(withAuditFilters(audit.command('export').description('Export audit entries (hashes included) as JSON lines or CSV, to stdout or --out')))
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--redact-pii', 'replace e-mail addresses by stable pseudonyms (the redacted entries no longer verify)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: Auth & AuditFilterOpts & { format: string; redactPii?: boolean; out?: string }) => {
      const q = auditQuery(opts, { format: opts.format, ...(opts.redactPii ? { redactPii: 'true' } : {}) });
      const body = await client(opts, opts.user, textBody)<string>('GET', `/api/v1/audit/export?${q.toString()}`);
      if (opts.out === undefined) return void process.stdout.write(body);
      fs.writeFileSync(opts.out, body);
      if (opts.json) return printJson({ out: opts.out, bytes: Buffer.byteLength(body) });
      console.log(`Wrote ${Buffer.byteLength(body)} bytes to ${opts.out}`);
    });
  withAuth(audit.command('verify').description("Recompute the chain (signatures with the server's audit keys) against the newest external checkpoint; report the first tampered entry (exit code 2 when tampered)"))
    .option('--checkpoint <file>', "hold the chain against this checkpoint (a webhook receiver's copy: JSON, or JSON lines whose last is used) instead of the server's sink")
    .action(async (opts: Auth & { checkpoint?: string }) => {
      const q = opts.checkpoint === undefined ? '' : `?${new URLSearchParams({ checkpoint: lastJsonLine(fs.readFileSync(opts.checkpoint, 'utf8')) }).toString()}`;
      const result = await api(opts)<VerifyResult>('GET', `/api/v1/audit/verify${q}`);
      if (opts.json) printJson(result);
      else {
        const mode = result.keyed ? 'signed (HMAC)' : 'unsigned (sha256)';
        const anchor = result.checkpoint ? `; checkpoint of ${formatTime(result.checkpoint.at)} at entry ${result.checkpoint.seq} (${result.checkpoint.source}) holds, ${result.unanchored ?? 0} newer entries not yet anchored` : '; no external checkpoint';
        console.log(result.ok ? `OK: ${result.checked} entries verified, ${mode}${anchor}` : `TAMPERED at entry ${result.firstBadSeq}: ${result.reason} (${result.checked} entries verified)`);
      }
      if (!result.ok) process.exitCode = 2;
    });
  withAuth(audit.command('prune').description('Delete entries older than the retention period, leaving a checkpoint so the chain still verifies'))
    .requiredOption('--retention-days <days>', 'keep this many days of entries', positiveInt)
    .action(async (opts: Auth & { retentionDays: number }) => {
      const result = await api(opts)<{ deleted: number }>('POST', '/api/v1/audit/prune', { retentionDays: opts.retentionDays });
      if (opts.json) return printJson(result);
      console.log(`Pruned ${result.deleted} entries older than ${opts.retentionDays} day(s)`);
    });
}
