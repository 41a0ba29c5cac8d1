import { Option, type Command } from 'commander';
import { clientUrl } from '../config/config.js';
import { HttpClient } from '../sdk/http.js';
import type { AuditEntry, TokenRecord, User } from '../domain/governance/types.js';
import { formatTime, printJson, printTable } from './output.js';

interface Auth {
  url?: string;
  token?: string;
  user?: string;
  password?: string;
  json?: boolean;
}

/** Bearer token when given, else basic auth from --user/--password; the SDK's HttpClient does retries and errors. */
function api(opts: Auth) {
  const http = new HttpClient(clientUrl(opts.url), opts.token, fetch);
  const headers: Record<string, string> =
    !opts.token && opts.user ? { authorization: `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}` } : {};
  return <T>(method: string, path: string, body?: unknown) => http.request<T>(method, path, { headers, ...(body !== undefined ? { body } : {}) });
}

function withAuth(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL (default $OPENEXPERT_URL or http://127.0.0.1:5000)')
    .addOption(new Option('--token <token>', 'API token').env('OPENEXPERT_TOKEN'))
    .addOption(new Option('--user <name>', 'username for basic auth').env('OPENEXPERT_USER'))
    .addOption(new Option('--password <password>', 'password for basic auth').env('OPENEXPERT_PASSWORD'))
    .option('--json', 'print JSON');
}

const auditColumns = [
  { header: 'SEQ', value: (e: AuditEntry) => e.seq },
  { header: 'TIME', value: (e: AuditEntry) => formatTime(e.at) },
  { header: 'ACTOR', value: (e: AuditEntry) => e.actor },
  { header: 'ACTION', value: (e: AuditEntry) => e.action },
  { header: 'STATUS', value: (e: AuditEntry) => e.status },
  { header: 'IP', value: (e: AuditEntry) => e.sourceIp },
  { header: 'BODY KEYS', value: (e: AuditEntry) => e.summary },
];

async function allAudit(opts: Auth & { actor?: string; since?: string }): Promise<AuditEntry[]> {
  const call = api(opts);
  const out: AuditEntry[] = [];
  for (let after = 0; ; ) {
    const q = new URLSearchParams({ afterSeq: String(after), limit: '1000', ...(opts.actor ? { actor: opts.actor } : {}), ...(opts.since ? { since: String(Date.parse(opts.since)) } : {}) });
    const { entries } = await call<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?${q.toString()}`);
    out.push(...entries);
    const last = entries.at(-1);
    if (!last || entries.length < 1000) return out;
    after = last.seq;
  }
}

export function registerGovernanceCommands(program: Command): void {
  const users = program.command('users').description('Local user accounts (auth on; admins only)');
  withAuth(users.command('list').description('List users')).action(async (opts: Auth) => {
    const { users: rows } = await api(opts)<{ users: User[] }>('GET', '/api/v1/users');
    if (opts.json) return printJson(rows);
    printTable(rows, [{ header: 'USERNAME', value: (u) => u.username }, { header: 'ROLE', value: (u) => u.role }, { header: 'CREATED', value: (u) => formatTime(u.createdAt) }]);
  });
  withAuth(users.command('create <username>').description('Create a user; the password is read from $OPENEXPERT_NEW_PASSWORD'))
    .addOption(new Option('--role <role>', 'workspace role').choices(['viewer', 'member', 'maintainer', 'admin']).default('member'))
    .addOption(new Option('--new-password <password>', 'the new user\'s password').env('OPENEXPERT_NEW_PASSWORD').makeOptionMandatory())
    .action(async (username: string, opts: Auth & { role: string; newPassword: string }) => {
      const { user } = await api(opts)<{ user: User }>('POST', '/api/v1/users', { username, password: opts.newPassword, role: opts.role });
      if (opts.json) return printJson(user);
      console.log(`Created ${user.role} '${user.username}'`);
    });

  const tokens = program.command('tokens').description('API tokens (shown once at creation)');
  withAuth(tokens.command('create <name>').description('Create a token for yourself (or --for a user, admins only)'))
    .option('--ttl <seconds>', 'expires after this many seconds', (v) => Number(v))
    .option('--for <username>', 'owner of the token')
    .action(async (name: string, opts: Auth & { ttl?: number; for?: string }) => {
      const created = await api(opts)<{ token: string; record: TokenRecord }>('POST', '/api/v1/tokens', { name, ...(opts.ttl !== undefined ? { ttlSeconds: opts.ttl } : {}), ...(opts.for ? { username: opts.for } : {}) });
      if (opts.json) return printJson(created);
      console.log(`Token ${created.record.tokenId} (store it now; it is not shown again):\n${created.token}`);
    });
  withAuth(tokens.command('list').description('List tokens (yours, or all for admins)')).action(async (opts: Auth) => {
    const { tokens: rows } = await api(opts)<{ tokens: TokenRecord[] }>('GET', '/api/v1/tokens');
    if (opts.json) return printJson(rows);
    printTable(rows, [
      { header: 'ID', value: (t) => t.tokenId }, { header: 'USER', value: (t) => t.username }, { header: 'NAME', value: (t) => t.name },
      { header: 'EXPIRES', value: (t) => formatTime(t.expiresAt) }, { header: 'REVOKED', value: (t) => formatTime(t.revokedAt) },
    ]);
  });
  withAuth(tokens.command('revoke <tokenId>').description('Revoke a token')).action(async (tokenId: string, opts: Auth) => {
    await api(opts)('DELETE', `/api/v1/tokens/${encodeURIComponent(tokenId)}`);
    console.log(`Revoked ${tokenId}`);
  });

  const audit = program.command('audit').description('The hash-chained audit log of state changes (admins only)');
  withAuth(audit.command('list').description('List audit entries'))
    .option('--actor <username>', 'only this actor')
    .option('--since <iso-time>', 'only entries at or after this time')
    .action(async (opts: Auth & { actor?: string; since?: string }) => {
      const rows = await allAudit(opts);
      if (opts.json) return printJson(rows);
      printTable(rows, auditColumns);
    });
  withAuth(audit.command('export').description('Print audit entries as JSON lines, hashes included, for offline verification'))
    .option('--actor <username>', 'only this actor')
    .option('--since <iso-time>', 'only entries at or after this time')
    .action(async (opts: Auth & { actor?: string; since?: string }) => {
      for (const e of await allAudit(opts)) console.log(JSON.stringify(e));
    });
  withAuth(audit.command('verify').description('Recompute the hash chain and report the first tampered entry')).action(async (opts: Auth) => {
    const result = await api(opts)<{ ok: boolean; checked: number; firstBadSeq?: number; reason?: string }>('GET', '/api/v1/audit/verify');
    if (opts.json) printJson(result);
    else console.log(result.ok ? `OK: ${result.checked} entries verified` : `TAMPERED at entry ${result.firstBadSeq}: ${result.reason} (${result.checked} entries verified before it)`);
    if (!result.ok) process.exitCode = 2;
  });
}
