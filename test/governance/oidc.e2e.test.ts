import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/core/net.js';
import { TEST_ADMIN, basicAuth } from '../support/auth-app.js';
import { cliArgv, runCli } from '../support/cli.js';
import { actAtProvider, CookieJar, OIDC_CLIENT, startTestProvider, type TestProvider } from '../support/oidc.js';
import { startTestServer } from '../support/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const asAdmin = { authorization: basicAuth(TEST_ADMIN.user, TEST_ADMIN.password) };

/**
 * Where the callback sends the browser: a refusal redirects (302 to the sign-in page); a sign-in answers a page of
 * ours that moves on by itself (meta refresh), since a redirect chain begun at the provider would not carry the
 * SameSite=Strict session cookie.
 */
async function landing(back: Response): Promise<string> {
  const location = back.headers.get('location');
  if (location !== null) return location;
  const m = /<meta http-equiv="refresh" content="0;url=([^"]*)">/.exec(await back.text());
  return m ? m[1]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>') : '';
}

describe('single sign-on against a real OpenID Provider (oidc-provider)', () => {
  let provider: TestProvider;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let url: string;
  let credentials: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    provider = await startTestProvider([`${url}/api/v1/auth/oidc/callback`]);
    server = await startTestServer(
      { port, auth: true, oidcIssuer: provider.issuer, oidcClientId: OIDC_CLIENT.id, oidcGroupMap: 'ml-reviewers=reviewers,ml-admins=platform' },
      { OPENEXPERT_ADMIN_USERNAME: TEST_ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: TEST_ADMIN.password, OPENEXPERT_OIDC_CLIENT_SECRET: OIDC_CLIENT.secret },
    );
    credentials = path.join(server.home, 'cli', 'credentials.json');
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await provider?.close();
  });

  const api = async (method: string, p: string, headers: Record<string, string> = {}, body?: unknown) => {
    const res = await fetch(url + p, { method, redirect: 'manual', headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as Record<string, unknown> & { [k: string]: never } };
  };

  /** The web sign-in as a browser does it: our login route, the provider's pages, our callback; returns where it lands and the jar. */
  async function webSignIn(login: string, returnTo = '/models') {
    const jar = new CookieJar();
    const start = new URL(`${url}/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
    const res = await fetch(start, { redirect: 'manual' });
    jar.take(start, res);
    expect(res.status).toBe(302);
    const toProvider = new URL(res.headers.get('location')!);
    expect(toProvider.origin).toBe(provider.issuer);
    expect(toProvider.searchParams.get('code_challenge_method')).toBe('S256');
    expect(toProvider.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const { redirect } = await actAtProvider(toProvider.href, login, jar, (u) => u.origin === url);
    expect(redirect!.pathname).toBe('/api/v1/auth/oidc/callback');
    const back = await fetch(redirect!, { redirect: 'manual', headers: { cookie: jar.header(redirect!) } });
    jar.take(redirect!, back);
    return { status: back.status, location: await landing(back), jar, callback: redirect! };
  }

  const session = (jar: CookieJar) => ({ cookie: jar.header(new URL(url)), 'x-requested-with': 'XMLHttpRequest' });

  it('tells the UI that single sign-on is on, without a session', async () => {
    const res = await api('GET', '/api/v1/auth/methods');
    expect(res.json).toEqual({ password: true, sso: { issuer: provider.issuer, loginUrl: '/api/v1/auth/oidc/login' } });
  });

  it('signs a new user in by code + PKCE, provisions them with the mapped groups, and opens a web session', async () => {
    provider.groups.set('alice', ['ml-reviewers', 'unmapped-team']);
    const signed = await webSignIn('alice');
    expect({ status: signed.status, location: signed.location }).toEqual({ status: 200, location: '/models' });
    expect(signed.jar.get(new URL(url), 'oe_session')).toBeTruthy();
    const who = await api('GET', '/api/v1/auth/whoami', session(signed.jar));
    expect(who.json).toMatchObject({ user: 'alice', role: 'member', authenticated: true, authEnabled: true });
    expect(typeof who.json.csrfToken).toBe('string');
    const user = await api('GET', '/api/v1/users/alice', asAdmin);
    expect(user.json).toMatchObject({ user: { username: 'alice', role: 'member', email: 'alice@example.com' } });
    const reviewers = await api('GET', '/api/v1/groups/reviewers', asAdmin);
    expect(reviewers.json).toMatchObject({ group: { name: 'reviewers', members: ['alice'] } });
    // Only mapped groups exist on this side.
    expect((await api('GET', '/api/v1/groups/unmapped-team', asAdmin)).status).toBe(404);
    // A provisioned user has no password: the form refuses whatever is tried.
    expect((await api('POST', '/api/v1/auth/login', {}, { username: 'alice', password: 'alice' })).status).toBe(401);
    // The sign-in and the provisioning are in the audit log under alice.
    const audit = await api('GET', '/api/v1/audit?actor=alice', asAdmin);
    const entries = (audit.json.entries as unknown as { action: string; object: string; detail: string }[]);
    expect(entries.some((e) => e.action === 'GET /api/v1/auth/oidc/callback' && e.detail.includes('provisionedBy'))).toBe(true);
  });

  it('follows the provider on the next sign-in: a group it no longer lists is left, one it adds is joined', async () => {
    provider.groups.set('alice', ['ml-admins']);
    const signed = await webSignIn('alice', '/experiments?x=1');
    expect(signed.location).toBe('/experiments?x=1');
    expect((await api('GET', '/api/v1/groups/reviewers', asAdmin)).json).toMatchObject({ group: { members: [] } });
    expect((await api('GET', '/api/v1/groups/platform', asAdmin)).json).toMatchObject({ group: { members: ['alice'] } });
  });

  it('never takes over a local account, refuses a replayed or forged answer, and audits each failure', async () => {
    // The provider says "root": a local admin of that name exists and is not linked, so the sign-in is refused.
    const clash = await webSignIn('root');
    expect(clash.status).toBe(302);
    expect(decodeURIComponent(clash.location)).toMatch(/^\/#sso-error=A user 'root' already exists and is not linked/);
    expect(clash.jar.get(new URL(url), 'oe_session')).toBeUndefined();
    // The same answer again (the flow cookie is gone once used): refused.
    const replay = await fetch(clash.callback, { redirect: 'manual' });
    expect(decodeURIComponent(replay.headers.get('location')!)).toContain('was not started here');
    // A code with another flow's state: refused by the state check.
    const other = await webSignIn('bob');
    const jar = new CookieJar();
    const start = new URL(`${url}/api/v1/auth/oidc/login`);
    jar.take(start, await fetch(start, { redirect: 'manual' }));
    const forged = await fetch(other.callback, { redirect: 'manual', headers: { cookie: jar.header(start) } });
    expect(decodeURIComponent(forged.headers.get('location')!)).toMatch(/sso-error=.*state/i);
    const failures = await api('GET', '/api/v1/audit?action=auth.failed', asAdmin);
    const reasons = (failures.json.entries as unknown as { actor: string; summary: string }[]).filter((e) => e.actor === 'single sign-on').map((e) => e.summary);
    expect(reasons.some((r) => r.includes("A user 'root' already exists"))).toBe(true);
    expect(reasons.some((r) => r.includes('was not started here'))).toBe(true);
    expect(reasons.some((r) => /state/i.test(r))).toBe(true);
    // Local users still sign in with their password.
    expect((await api('POST', '/api/v1/auth/login', {}, { username: TEST_ADMIN.user, password: TEST_ADMIN.password })).status).toBe(200);
  });

  it('refuses a return address on another site (no open redirect)', async () => {
    for (const returnTo of ['https://evil.example/x', '//evil.example/x', '/\\evil.example']) {
      const jar = new CookieJar();
      const start = new URL(`${url}/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
      const res = await fetch(start, { redirect: 'manual' });
      jar.take(start, res);
      const { redirect } = await actAtProvider(res.headers.get('location')!, 'carol', jar, (u) => u.origin === url);
      const back = await fetch(redirect!, { redirect: 'manual', headers: { cookie: jar.header(redirect!) } });
      expect({ returnTo, location: await landing(back) }).toEqual({ returnTo, location: '/' });
    }
  });

  it('signs the CLI in by the device flow over the API: pending until confirmed, then an API token', async () => {
    provider.groups.set('dora', ['ml-reviewers']);
    const started = await api('POST', '/api/v1/auth/oidc/device', {}, {});
    expect(started.status).toBe(200);
    const { deviceCode, userCode, verificationUriComplete } = started.json as unknown as { deviceCode: string; userCode: string; verificationUriComplete: string };
    expect(userCode).toMatch(/^[A-Z]{4}-?[A-Z]{4}$/);
    expect((await api('POST', '/api/v1/auth/oidc/device/token', {}, { deviceCode })).json).toEqual({ status: 'pending' });
    const { page } = await actAtProvider(verificationUriComplete, 'dora', new CookieJar());
    expect(page).toMatch(/Sign-in Success/i);
    const polled = await api('POST', '/api/v1/auth/oidc/device/token', {}, { deviceCode });
    expect(polled.json).toMatchObject({ status: 'signed_in', user: 'dora', role: 'member' });
    const bearer = { authorization: `Bearer ${polled.json.token as unknown as string}` };
    expect((await api('GET', '/api/v1/auth/whoami', bearer)).json).toMatchObject({ user: 'dora', authenticated: true });
    expect((await api('GET', '/api/v1/groups/reviewers', asAdmin)).json).toMatchObject({ group: { members: ['dora'] } });
    // The device code is spent: polling again is refused, and audited.
    expect((await api('POST', '/api/v1/auth/oidc/device/token', {}, { deviceCode })).status).toBe(401);
    expect((await api('POST', '/api/v1/auth/oidc/device/token', {}, {})).status).toBe(400);
  });

  it('`openexpert login --sso` prints the address and code, waits, and keeps the token that later commands use', async () => {
    provider.groups.set('erin', []);
    const env = { ...process.env, OPENEXPERT_CREDENTIALS_FILE: credentials, OPENEXPERT_URL: url, OPENEXPERT_TOKEN: '', OPENEXPERT_USER: '', OPENEXPERT_PASSWORD: '' };
    const [node, ...cli] = cliArgv();
    const child = spawn(node!, [...cli, 'login', '--sso'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
    const deadline = Date.now() + 60_000;
    while (!/open (\S+)\s+and confirm the code (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const [, address, code] = /open (\S+)\s+and confirm the code (\S+)/.exec(out) ?? [];
    expect(address, out).toContain(`${provider.issuer}/device`);
    expect(new URL(address!).searchParams.get('user_code')).toBe(code);
    await actAtProvider(address!, 'erin', new CookieJar());
    expect(await exited, out).toBe(0);
    expect(out).toMatch(new RegExp(`Signed in to ${url} as erin; token \\w+ kept in ${credentials.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(fs.statSync(credentials).mode & 0o777).toBe(0o600);
    // Later commands sign in with the kept token.
    const tokens = await runCli(['tokens', 'list', '--json'], env);
    expect(tokens.code, tokens.stderr).toBe(0);
    expect(JSON.parse(tokens.stdout)).toEqual([expect.objectContaining({ username: 'erin', name: 'cli (single sign-on)' })]);
    const logout = await runCli(['logout'], env);
    expect(logout.stdout).toContain(`Signed out of ${url}`);
    const after = await runCli(['tokens', 'list', '--json'], env);
    expect(after.code).not.toBe(0);
  }, 120_000);
});

describe('single sign-on settings', () => {
  it('refuses an issuer over plain HTTP off this machine, SSO without auth, and a group map it cannot apply', async () => {
    const { loadConfig } = await import('../../src/config/config.js');
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-oidc-config-'));
    try {
      const base = { home, auth: true, oidcClientId: 'x' };
      expect(() => loadConfig({ ...base, oidcIssuer: 'http://idp.example.com' }, {})).toThrow(/must be https/);
      expect(() => loadConfig({ ...base, auth: false, oidcIssuer: 'https://idp.example.com' }, {})).toThrow(/needs auth on/);
      expect(() => loadConfig({ ...base, oidcIssuer: 'https://idp.example.com', oidcGroupMap: 'admins=bad name' }, {})).toThrow(/oidcGroupMap/);
      expect(() => loadConfig({ home, auth: true, oidcIssuer: 'https://idp.example.com' }, {})).toThrow(/client id/);
      expect(loadConfig({ ...base, oidcIssuer: 'https://idp.example.com', oidcGroupMap: 'a=b, c=d' }, {}).oidc?.groupMap).toEqual(new Map([['a', 'b'], ['c', 'd']]));
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
