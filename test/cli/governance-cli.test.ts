import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer } from '../support/server.js';

const ADMIN = { user: 'root', password: 'root-password-1' };

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({ auth: true }, { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password });
});
afterAll(() => server.close());

/** The admin signs in from the environment, so the same call works for commands whose sign-in flag is --user and for those where it is --login. */
const cli = (args: string[]) =>
  runCli([...args, '--url', server.url], { OPENEXPERT_USER: ADMIN.user, OPENEXPERT_PASSWORD: ADMIN.password, OPENEXPERT_TOKEN: '' });

async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
  return r.stdout;
}

async function createExperiment(name: string): Promise<string> {
  const res = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` },
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { experiment_id: string }).experiment_id;
}

describe('openexpert users, groups, permissions and audit', () => {
  it('manages users and a group, grants and revokes a permission, and exports a PII-redacted, verifiable audit log', async () => {
    // Independent calls run side by side: each is a fresh Node process.
    const [exp] = await Promise.all([
      createExperiment('governed'),
      ok(['users', 'create', 'alice', '--role', 'member', '--email', 'alice@example.com', '--new-password', 'alice-password-1']),
      ok(['users', 'create', 'bob', '--role', 'member', '--new-password', 'bob-password-1']),
      ok(['users', 'create', 'carol', '--role', 'viewer', '--new-password', 'carol-password-1']),
    ]);
    // bob is a member: he reads by the default permission until his group is granted more.
    const [listed, redacted, shown, groupCreated, before, token] = await Promise.all([
      ok(['users', 'list']), ok(['users', 'list', '--redact-pii']), ok(['users', 'show', 'alice', '--json']),
      ok(['groups', 'create', 'reviewers', '--description', 'model reviewers', '--member', 'alice']),
      ok(['permissions', 'show', 'experiment', exp, '--for', 'bob']),
      ok(['tokens', 'create', 'dashboards', '--scope', 'read', '--json']),
    ]);
    // After the listings, which must still show carol.
    const deleted = await ok(['users', 'delete', 'carol']);
    expect(JSON.parse(token).record).toMatchObject({ name: 'dashboards', scopes: ['read'] });
    expect(listed).toMatch(/^alice\s+member\s+alice@example\.com\s/m);
    expect(listed).toMatch(/^carol\s+viewer\s/m);
    expect(redacted).toMatch(/^alice\s+member\s+\[redacted\]\s/m);
    expect(redacted).not.toContain('alice@example.com');
    expect(JSON.parse(shown)).toMatchObject({ username: 'alice', role: 'member', email: 'alice@example.com' });
    expect(groupCreated).toContain("Created group 'reviewers' with 1 member(s)");
    expect(before).toBe(`bob: READ on experiment '${exp}'\n`);
    expect(deleted).toContain("Deleted user 'carol'");

    expect(await ok(['groups', 'add-member', 'reviewers', 'bob'])).toContain("Added 'bob' to 'reviewers'");
    const [group, granted] = await Promise.all([
      ok(['groups', 'show', 'reviewers', '--json']),
      ok(['permissions', 'grant', 'experiment', exp, '--group', 'reviewers', '--level', 'EDIT']),
    ]);
    expect(JSON.parse(group)).toMatchObject({ name: 'reviewers', description: 'model reviewers', members: ['alice', 'bob'] });
    expect(granted).toContain(`Granted EDIT on experiment '${exp}' to group:reviewers`);

    const [afterGrant, grants, held, groups] = await Promise.all([
      ok(['permissions', 'show', 'experiment', exp, '--for', 'bob', '--json']),
      ok(['permissions', 'list', 'experiment', exp]),
      ok(['permissions', 'of', '--group', 'reviewers', '--json']),
      ok(['groups', 'list']),
    ]);
    expect(JSON.parse(afterGrant)).toEqual({ kind: 'experiment', id: exp, user: 'bob', level: 'EDIT' });
    expect(grants).toMatch(/^group:reviewers\s+EDIT\s+root\s/m);
    expect(JSON.parse(held)).toEqual([expect.objectContaining({ kind: 'experiment', id: exp, principalType: 'group', principal: 'reviewers', level: 'EDIT', grantedBy: 'root' })]);
    expect(groups).toMatch(/^reviewers\s+2\s+model reviewers\s/m);

    expect(await ok(['permissions', 'revoke', 'experiment', exp, '--group', 'reviewers'])).toContain(`Revoked the group:reviewers grant on experiment '${exp}'`);
    const out = path.join(server.home, 'audit.jsonl');
    const [afterRevoke, serverLevel, updated, csv, wrote, changes, pruned] = await Promise.all([
      ok(['permissions', 'show', 'experiment', exp, '--for', 'bob']),
      ok(['permissions', 'show', 'server', '--for', 'bob']),
      ok(['users', 'update', 'alice', '--role', 'maintainer']),
      ok(['audit', 'export', '--format', 'csv', '--redact-pii']),
      ok(['audit', 'export', '--out', out]),
      ok(['audit', 'list', '--action', '/api/v1/permissions', '--object', `experiment:${exp}`, '--json']),
      ok(['audit', 'prune', '--retention-days', '30']),
    ]);
    expect(pruned).toBe('Pruned 0 entries older than 30 day(s)\n');
    expect(afterRevoke).toBe(`bob: READ on experiment '${exp}'\n`);
    expect(serverLevel).toMatch(/^bob: \w+ on the server$/m);
    expect(updated).toContain("Updated 'alice' (role)");
    expect((JSON.parse(changes) as { action: string }[]).map((e) => e.action)).toEqual(['PUT /api/v1/permissions', 'DELETE /api/v1/permissions']);

    // The server notes the created user's role and e-mail in the entry's detail (never the password).
    expect(wrote).toMatch(/^Wrote \d+ bytes to /);
    const plain = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; object: string; detail: string });
    const created = plain.find((e) => e.action === 'POST /api/v1/users' && e.object === 'user:alice');
    expect(created?.detail).toContain('alice@example.com');
    expect(created?.detail).not.toContain('alice-password-1');
    expect(csv.split('\n')[0]).toContain('seq');
    expect(csv).toContain('user:alice');
    expect(csv).not.toContain('alice@example.com');
    expect(csv).toContain(`[email:${createHash('sha256').update('alice@example.com').digest('hex').slice(0, 10)}]`);

    const verified = await cli(['audit', 'verify']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^OK: \d+ entries verified, unsigned \(sha256\); no external checkpoint$/m);
  }, 300_000);

  it('rejects bad input with a message naming the option, and passes on the server\'s errors', async () => {
    const [level, both, none, missing, badTime] = await Promise.all([
      cli(['permissions', 'grant', 'experiment', '1', '--user', 'root', '--level', 'SUPER']),
      cli(['permissions', 'revoke', 'experiment', '1', '--user', 'root', '--group', 'reviewers']),
      cli(['permissions', 'of']),
      cli(['users', 'show', 'nobody']),
      cli(['audit', 'list', '--since', 'yesterday-ish']),
    ]);
    expect(level.code).not.toBe(0);
    expect(level.stderr).toContain("option '--level <level>' argument 'SUPER' is invalid");
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('Give exactly one of --user, --group or --everyone (got --user and --group)');
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('Give exactly one of --user or --group');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/RESOURCE_DOES_NOT_EXIST|User 'nobody' does not exist/);
    expect(badTime.code).not.toBe(0);
    expect(badTime.stderr).toContain("option '--since <iso-time>' argument 'yesterday-ish' is invalid");
  }, 180_000);
});
