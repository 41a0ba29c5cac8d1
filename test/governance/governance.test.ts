import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_PATHS } from '../../src/api/governance-auth.js';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';

const ADMIN = TEST_ADMIN;
const basic = basicAuth;

let app: FastifyInstance;
let close: () => Promise<void>;
let home: string;
const routes: { method: string; url: string }[] = [];

// Tests inspect arbitrary response shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, auth?: string, payload?: unknown): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method, url, ...(auth ? { headers: { authorization: auth } } : {}), ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as unknown) : {} };
}
const asAdmin = basic(ADMIN.user, ADMIN.password);

beforeAll(async () => {
  const server = await startAuthApp({}, (method, url) => routes.push({ method, url }));
  app = server.app;
  home = server.home;
  close = server.close;
  for (const [username, role] of [['vera', 'viewer'], ['mia', 'member']] as const) {
    expect((await call('POST', '/api/v1/users', asAdmin, { username, password: `${username}-password`, role })).status).toBe(201);
  }
});
afterAll(async () => {
  await close();
});

describe('authorization matrix over the route table', () => {
  it('answers 401 UNAUTHENTICATED to anonymous callers on every route except the documented public ones', async () => {
    const api = routes.filter((r) => /^\/(api|ajax-api|v2|serve|metrics)(\/|$)/.test(r.url));
    expect(api.length).toBeGreaterThan(50);
    for (const r of api) {
      const url = r.url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*/g, 'x');
      const res = await app.inject({ method: r.method as 'GET', url, payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {} });
      if (PUBLIC_PATHS.has(r.url)) expect(res.statusCode, `${r.method} ${r.url}`).not.toBe(401);
      else expect({ route: `${r.method} ${r.url}`, status: res.statusCode }).toEqual({ route: `${r.method} ${r.url}`, status: 401 });
    }
  });

  it('keeps probes and the UI reachable without credentials', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/version' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it('challenges API clients for basic auth but not the web UI, whose calls are marked', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/v1/auth/whoami' });
    expect(api.headers['www-authenticate']).toBe('Basic realm="openexpert"');
    // A challenge would make the browser open its own password dialog over the sign-in page.
    const ui = await app.inject({ method: 'GET', url: '/api/v1/auth/whoami', headers: { 'x-requested-with': 'XMLHttpRequest' } });
    expect(ui.statusCode).toBe(401);
    expect(ui.headers['www-authenticate']).toBeUndefined();
  });

  it('lets a viewer read but not write, a member write, and only an admin manage users', async () => {
    const viewer = basic('vera', 'vera-password');
    const member = basic('mia', 'mia-password');
    const created = await call('POST', '/api/2.0/mlflow/experiments/create', member, { name: 'by-member' });
    expect(created.status).toBe(200);
    const denied = await call('POST', '/api/2.0/mlflow/experiments/create', viewer, { name: 'by-viewer' });
    expect(denied.status).toBe(403);
    expect(denied.body.error_code).toBe('PERMISSION_DENIED');
    const read = await call('GET', `/api/2.0/mlflow/experiments/get?experiment_id=${created.body.experiment_id}`, viewer);
    expect(read.status).toBe(200);
    expect((await call('GET', '/api/v1/users', member)).status).toBe(403);
    expect((await call('POST', '/api/v1/users', member, { username: 'eve', password: 'eve-password', role: 'admin' })).status).toBe(403);
  });
});

describe('MLflow tracking sequence with basic and bearer auth', () => {
  it('creates an experiment, a run, logs a batch and reads it back', async () => {
    const token = (await call('POST', '/api/v1/tokens', basic('mia', 'mia-password'), { name: 'ci' })).body.token as string;
    for (const auth of [basic('mia', 'mia-password'), `Bearer ${token}`]) {
      const exp = await call('POST', '/api/2.0/mlflow/experiments/create', auth, { name: `seq-${auth.slice(0, 6)}` });
      expect(exp.status).toBe(200);
      const run = await call('POST', '/api/2.0/mlflow/runs/create', auth, { experiment_id: exp.body.experiment_id, start_time: 1 });
      const runId = (run.body as { run: { info: { run_id: string } } }).run.info.run_id;
      const batch = await call('POST', '/api/2.0/mlflow/runs/log-batch', auth, { run_id: runId, metrics: [{ key: 'loss', value: 0.5, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.1' }] });
      expect(batch.status).toBe(200);
      const got = await call('GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`, auth);
      expect((got.body as { run: { data: { metrics: { value: number }[] } } }).run.data.metrics[0]?.value).toBe(0.5);
    }
  });
});

describe('API tokens', () => {
  it('are shown once, work until revoked, and never work after', async () => {
    const member = basic('mia', 'mia-password');
    const created = await call('POST', '/api/v1/tokens', member, { name: 'laptop' });
    const secret = created.body.token as string;
    expect(secret).toMatch(/^oe_/);
    const listed = await call('GET', '/api/v1/tokens', member);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect((await call('GET', '/api/v1/auth/whoami', `Bearer ${secret}`)).body).toMatchObject({ user: 'mia', authenticated: true });
    // MLflow clients configured with a username/password pair may carry the token as the password.
    expect((await call('GET', '/api/v1/auth/whoami', basic('mia', secret))).status).toBe(200);
    const tokenId = (created.body as { record: { tokenId: string } }).record.tokenId;
    expect((await call('DELETE', `/api/v1/tokens/${tokenId}`, member)).status).toBe(200);
    const after = await call('GET', '/api/v1/auth/whoami', `Bearer ${secret}`);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Invalid credentials' } });
    expect((await call('GET', '/api/2.0/mlflow/experiments/search?max_results=1', 'Bearer oe_not-a-token')).body.error_code).toBe('UNAUTHENTICATED');
  });

  it('stop working at their expiry', async () => {
    const created = await call('POST', '/api/v1/tokens', basic('mia', 'mia-password'), { name: 'short', ttlSeconds: 1 });
    const secret = created.body.token as string;
    expect((await call('GET', '/api/v1/auth/whoami', `Bearer ${secret}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call('GET', '/api/v1/auth/whoami', `Bearer ${secret}`)).status).toBe(401);
  });

  it('are stored only as a sha256 digest', () => {
    const db = new BetterSqlite3(path.join(home, 'openexpert.db'), { readonly: true });
    const rows = db.prepare('select token_hash from gov_tokens').all() as { token_hash: string }[];
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('sign-in rate limit', () => {
  it('refuses even the right password after five failures from the same address', async () => {
    await call('POST', '/api/v1/users', asAdmin, { username: 'bob', password: 'bob-password', role: 'member' });
    for (let i = 0; i < 5; i++) expect((await call('GET', '/api/v1/auth/whoami', basic('bob', `wrong-${i}`))).status).toBe(401);
    const locked = await call('GET', '/api/v1/auth/whoami', basic('bob', 'bob-password'));
    expect(locked.status).toBe(401);
    expect(locked.body.error).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(JSON.stringify(locked.body)).not.toContain('bob-password');
  });
});

describe('audit log', () => {
  const verify = async () => (await call('GET', '/api/v1/audit/verify', asAdmin)).body as { ok: boolean; firstBadSeq?: number; checked: number };

  it('records state changes with redacted secrets and verifies', async () => {
    const entries = (await call('GET', '/api/v1/audit?actor=root', asAdmin)).body.entries as { action: string; summary: string }[];
    const userCreate = entries.find((e) => e.action === 'POST /api/v1/users');
    expect(userCreate?.summary).toBe('password=[redacted],role,username');
    const all = JSON.stringify((await call('GET', '/api/v1/audit', asAdmin)).body);
    expect(all).not.toContain('mia-password');
    const v = await verify();
    expect(v.ok).toBe(true);
    expect(v.checked).toBeGreaterThan(3);
  });

  function tamper(statement: string): void {
    const db = new BetterSqlite3(path.join(home, 'openexpert.db'));
    db.prepare(statement).run();
    db.close();
  }

  it('finds a modified, a deleted and a reordered entry', async () => {
    for (let i = 0; i < 6; i++) await call('POST', '/api/2.0/mlflow/experiments/create', asAdmin, { name: `audit-${i}` });
    expect((await verify()).ok).toBe(true);
    const db = new BetterSqlite3(path.join(home, 'openexpert.db'));
    const seqs = (db.prepare('select seq from gov_audit_log order by seq').all() as { seq: number }[]).map((r) => r.seq);
    const snapshot = db.prepare('select * from gov_audit_log').all();
    db.close();
    const [, , s3 = 0, s4 = 0, s5 = 0] = seqs;

    tamper(`update gov_audit_log set actor = 'someone-else' where seq = ${s4}`);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: s4 });
    restore(snapshot);

    tamper(`delete from gov_audit_log where seq = ${s3}`);
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: s3 });
    restore(snapshot);

    // Swap the contents of two rows while keeping seq and hashes where they were.
    const db2 = new BetterSqlite3(path.join(home, 'openexpert.db'));
    db2.exec(`update gov_audit_log set seq = -1 where seq = ${s4}; update gov_audit_log set seq = ${s4} where seq = ${s5}; update gov_audit_log set seq = ${s5} where seq = -1;`);
    db2.close();
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: s4 });
    restore(snapshot);
    expect((await verify()).ok).toBe(true);
  });

  function restore(rows: unknown[]): void {
    const db = new BetterSqlite3(path.join(home, 'openexpert.db'));
    db.exec('delete from gov_audit_log');
    const insert = db.prepare('insert into gov_audit_log (seq, at, actor, action, status, request_id, source_ip, summary, object, detail, prev_hash, hash) values (@seq, @at, @actor, @action, @status, @request_id, @source_ip, @summary, @object, @detail, @prev_hash, @hash)');
    for (const r of rows) insert.run(r);
    db.close();
  }
});
