import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildServer } from '../../src/main.js';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';

const ADMIN = TEST_ADMIN;
const basic = basicAuth;
const asAdmin = basic(ADMIN.user, ADMIN.password);
const as = (u: string) => basic(u, `${u}-password`);
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';

let app: FastifyInstance;
let close: () => Promise<void>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, auth?: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await app.inject({ method, url, headers: { ...(auth ? { authorization: auth } : {}), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const text = res.body;
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body, headers: res.headers };
}

beforeAll(async () => {
  const server = await startAuthApp();
  app = server.app;
  close = server.close;
  for (const [username, role, email] of [['ann', 'member', 'ann@example.com'], ['bob', 'member', ''], ['cat', 'member', ''], ['lee', 'member', ''], ['vic', 'viewer', '']] as const) {
    expect((await call('POST', `${V1}/users`, asAdmin, { username, password: `${username}-password`, role, ...(email ? { email } : {}) })).status).toBe(201);
  }
});
afterAll(async () => {
  await close();
});

describe('per-object permissions through the MLflow API', () => {
  it('makes the creator the manager, lets others read by default, and hides what an owner closes from searches', async () => {
    const mine = (await call('POST', `${M}/experiments/create`, as('ann'), { name: 'ann-private' })).body.experiment_id as string;
    const open = (await call('POST', `${M}/experiments/create`, as('ann'), { name: 'ann-open' })).body.experiment_id as string;
    expect((await call('GET', `${V1}/permissions/effective?kind=experiment&id=${mine}`, as('ann'))).body.level).toBe('MANAGE');
    expect((await call('GET', `${V1}/permissions/effective?kind=experiment&id=${mine}`, as('bob'))).body.level).toBe('READ');
    // Bob may read but not write until granted.
    const run = await call('POST', `${M}/runs/create`, as('bob'), { experiment_id: mine });
    expect(run.status).toBe(403);
    expect(run.body).toEqual({ error_code: 'PERMISSION_DENIED', message: `User 'bob' lacks EDIT permission on experiment '${mine}'` });
    expect((await call('PUT', `${V1}/permissions`, as('bob'), { kind: 'experiment', id: mine, principalType: 'user', principal: 'bob', level: 'EDIT' })).status).toBe(403);
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'experiment', id: mine, principalType: 'user', principal: 'bob', level: 'EDIT' })).status).toBe(200);
    expect((await call('POST', `${M}/runs/create`, as('bob'), { experiment_id: mine })).status).toBe(200);
    // Ann closes her experiment to everyone but bob.
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'experiment', id: mine, principalType: 'everyone', level: 'NO_PERMISSIONS' })).status).toBe(200);
    const names = async (who: string) => ((await call('GET', `${M}/experiments/search?max_results=1000`, as(who))).body.experiments as { name: string }[]).map((e) => e.name);
    expect(await names('cat')).toContain('ann-open');
    expect(await names('cat')).not.toContain('ann-private');
    expect(await names('bob')).toContain('ann-private');
    expect(await names('ann')).toContain('ann-private');
    const denied = await call('GET', `${M}/experiments/get?experiment_id=${mine}`, as('cat'));
    // Hidden is answered as unknown: the same 404 an id nobody used gets, naming only what the caller asked for.
    const unknown = await call('GET', `${M}/experiments/get?experiment_id=987654321`, as('cat'));
    expect([denied.status, denied.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect(denied.body.message).toBe(unknown.body.message.replace('987654321', mine));
    expect(JSON.stringify(denied.body)).not.toContain('ann-private');
    expect((await call('POST', `${M}/runs/search`, as('cat'), { experiment_ids: [mine] })).status).toBe(404);
    expect(open).not.toBe(mine);
  });

  it('filters registered models and versions, and honours group grants', async () => {
    expect((await call('POST', `${M}/registered-models/create`, as('ann'), { name: 'secret-model' })).status).toBe(200);
    expect((await call('POST', `${M}/registered-models/create`, as('ann'), { name: 'shared-model' })).status).toBe(200);
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'secret-model', principalType: 'everyone', level: 'NO_PERMISSIONS' })).status).toBe(200);
    const models = async (who: string) => ((await call('GET', `${M}/registered-models/search?max_results=100`, as(who))).body.registered_models as { name: string }[] | undefined ?? []).map((m) => m.name);
    expect(await models('cat')).toEqual(['shared-model']);
    expect((await call('POST', `${V1}/groups`, asAdmin, { name: 'insiders', members: ['cat'] })).status).toBe(201);
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'secret-model', principalType: 'group', principal: 'insiders', level: 'READ' })).status).toBe(200);
    expect(await models('cat')).toEqual(['secret-model', 'shared-model']);
    expect((await call('DELETE', `${V1}/groups/insiders/members/cat`, asAdmin)).status).toBe(200);
    expect(await models('cat')).toEqual(['shared-model']);
    // A viewer never writes, even with a grant.
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'shared-model', principalType: 'user', principal: 'vic', level: 'MANAGE' })).status).toBe(200);
    expect((await call('POST', `${M}/registered-models/set-tag`, as('vic'), { name: 'shared-model', key: 'k', value: 'v' })).status).toBe(403);
    // Grants on unknown objects and for unknown principals are refused, naming what is missing.
    const unknown = await call('PUT', `${V1}/permissions`, asAdmin, { kind: 'registered_model', id: 'nope', principalType: 'user', principal: 'cat', level: 'READ' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("registered_model 'nope'");
    const badLevel = await call('PUT', `${V1}/permissions`, asAdmin, { kind: 'registered_model', id: 'shared-model', principalType: 'user', principal: 'cat', level: 'OWNER' });
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.error.message).toContain('level');
    // Renaming keeps the grants.
    expect((await call('POST', `${M}/registered-models/rename`, as('ann'), { name: 'secret-model', new_name: 'secret-model-2' })).status).toBe(200);
    expect((await call('GET', `${V1}/permissions/effective?kind=registered_model&id=secret-model-2`, as('ann'))).body.level).toBe('MANAGE');
    expect((await call('GET', `${M}/registered-models/get?name=secret-model-2`, as('cat'))).status).toBe(404);
  });
});

describe('web sessions', () => {
  it('signs in with an HttpOnly SameSite cookie, needs the CSRF token for changes, and signs out', async () => {
    const wrong = await call('POST', `${V1}/auth/login`, undefined, { username: 'lee', password: 'nope-nope' });
    expect(wrong.status).toBe(401);
    const login = await call('POST', `${V1}/auth/login`, undefined, { username: 'lee', password: 'lee-password' });
    expect(login.status).toBe(200);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^oe_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    const csrf = login.body.csrfToken as string;
    const who = await call('GET', `${V1}/auth/whoami`, undefined, undefined, { cookie: session });
    expect(who.body).toMatchObject({ user: 'lee', role: 'member', authenticated: true, csrfToken: csrf });
    const noToken = await call('POST', `${M}/experiments/create`, undefined, { name: 'via-cookie' }, { cookie: session });
    expect(noToken.status).toBe(403);
    expect(noToken.body.message).toContain('CSRF');
    expect((await call('POST', `${M}/experiments/create`, undefined, { name: 'via-cookie' }, { cookie: session, 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await call('POST', `${M}/experiments/create`, undefined, { name: 'via-cookie' }, { cookie: session, 'x-csrf-token': csrf })).status).toBe(200);
    // A password change signs the user out of every session.
    const other = String((await call('POST', `${V1}/auth/login`, undefined, { username: 'lee', password: 'lee-password' })).headers['set-cookie']).split(';')[0]!;
    expect((await call('PATCH', `${V1}/users/lee`, as('lee'), { password: 'lee-password-2', currentPassword: 'lee-password' })).status).toBe(200);
    expect((await call('GET', `${V1}/auth/whoami`, undefined, undefined, { cookie: other })).status).toBe(401);
    expect((await call('PATCH', `${V1}/users/lee`, basic('lee', 'lee-password-2'), { password: 'lee-password', currentPassword: 'lee-password-2' })).status).toBe(200);
    const out = await call('POST', `${V1}/auth/logout`, undefined, {}, { cookie: session });
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await call('GET', `${V1}/auth/whoami`, undefined, undefined, { cookie: session })).status).toBe(401);
  });
});

describe('run authors', () => {
  it('are who signed in, whatever user_id or mlflow.user the client sends', async () => {
    const exp = (await call('POST', `${M}/experiments/create`, as('lee'), { name: 'authorship' })).body.experiment_id as string;
    const run = await call('POST', `${M}/runs/create`, as('lee'), { experiment_id: exp, user_id: 'bob', tags: [{ key: 'mlflow.user', value: 'bob' }] });
    expect(run.status).toBe(200);
    expect(run.body.run.info.user_id).toBe('lee');
    expect(run.body.run.data.tags).toContainEqual({ key: 'mlflow.user', value: 'lee' });
  });
});

describe('group-scoped approvals', () => {
  it('counts only members of the named group, never the requester or the run author', async () => {
    const exp = (await call('POST', `${M}/experiments/create`, as('ann'), { name: 'approvals' })).body.experiment_id as string;
    // Ann trains the model; bob requests the promotion; cat (not a reviewer) and ann (the author) approve first.
    const run = (await call('POST', `${M}/runs/create`, as('ann'), { experiment_id: exp, tags: [{ key: 'mlflow.user', value: 'ann' }] })).body.run.info.run_id as string;
    expect((await call('POST', `${M}/registered-models/create`, as('ann'), { name: 'gated' })).status).toBe(200);
    expect((await call('POST', `${M}/model-versions/create`, as('ann'), { name: 'gated', source: `mlflow-artifacts:/${exp}/${run}/artifacts/model`, run_id: run })).status).toBe(200);
    for (const u of ['bob', 'cat', 'lee']) expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'gated', principalType: 'user', principal: u, level: 'EDIT' })).status).toBe(200);
    expect((await call('POST', `${V1}/groups`, asAdmin, { name: 'reviewers', members: ['lee', 'ann'] })).status).toBe(201);
    const policy = { stages: {}, aliases: { champion: { checks: [{ type: 'approvals', required: 1, group: 'reviewers' }] } } };
    expect((await call('PUT', `${V1}/models/gated/policy`, as('ann'), policy)).status).toBe(200);
    const request = await call('POST', `${V1}/promotion-requests`, as('bob'), { name: 'gated', version: 1, target: 'champion' });
    expect(request.status).toBe(201);
    const id = request.body.id as number;
    const cat = await call('POST', `${V1}/promotion-requests/${id}/approve`, as('cat'), {});
    expect(cat.status).toBe(200);
    expect(cat.body.state).toBe('pending');
    const ann = await call('POST', `${V1}/promotion-requests/${id}/approve`, as('ann'), {});
    expect(ann.body.state).toBe('pending');
    const check = ann.body.checks.find((c: { type: string }) => c.type === 'approvals');
    expect(check).toMatchObject({ passed: false, evidence: { approvers: [], runAuthor: 'ann', group: 'reviewers', notInGroup: ['cat'] } });
    const lee = await call('POST', `${V1}/promotion-requests/${id}/approve`, as('lee'), {});
    expect(lee.body.state).toBe('completed');
    expect((await call('GET', `${M}/registered-models/alias?name=gated&alias=champion`, as('cat'))).body.model_version.version).toBe('1');
  });
});

describe('approvals by people who may no longer approve', () => {
  it('stop counting once the approver loses EDIT on the model, and count again when it is given back', async () => {
    const exp = (await call('POST', `${M}/experiments/create`, as('ann'), { name: 'revocable' })).body.experiment_id as string;
    const run = (await call('POST', `${M}/runs/create`, as('ann'), { experiment_id: exp })).body.run.info.run_id as string;
    expect((await call('POST', `${M}/registered-models/create`, as('ann'), { name: 'revocable' })).status).toBe(200);
    expect((await call('POST', `${M}/model-versions/create`, as('ann'), { name: 'revocable', source: `mlflow-artifacts:/${exp}/${run}/artifacts/model`, run_id: run })).status).toBe(200);
    for (const u of ['bob', 'cat']) expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'revocable', principalType: 'user', principal: u, level: 'EDIT' })).status).toBe(200);
    const policy = { stages: {}, aliases: { champion: { checks: [{ type: 'approvals', required: 2 }] } } };
    expect((await call('PUT', `${V1}/models/revocable/policy`, as('ann'), policy)).status).toBe(200);
    const id = (await call('POST', `${V1}/promotion-requests`, as('ann'), { name: 'revocable', version: 1, target: 'champion' })).body.id as number;
    expect((await call('POST', `${V1}/promotion-requests/${id}/approve`, as('bob'), {})).body.state).toBe('pending');
    const approvalsCheck = async () => ((await call('GET', `${V1}/models/revocable/versions/1/checks?target=champion`, as('ann'))).body.checks as { type: string; passed: boolean; evidence: Record<string, unknown> }[]).find((c) => c.type === 'approvals')!;
    expect((await approvalsCheck()).evidence.approvers).toEqual(['bob']);
    // Bob's access is taken away: his approval no longer counts, and says why.
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'revocable', principalType: 'user', principal: 'bob', level: 'READ' })).status).toBe(200);
    expect(await approvalsCheck()).toMatchObject({ passed: false, evidence: { approvers: [], noLongerAuthorized: ['bob'] } });
    // With it back, bob's and cat's approvals complete the request.
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'registered_model', id: 'revocable', principalType: 'user', principal: 'bob', level: 'EDIT' })).status).toBe(200);
    expect((await call('POST', `${V1}/promotion-requests/${id}/approve`, as('cat'), {})).body.state).toBe('completed');
  });
});

describe('audit of changes and sign-ins', () => {
  it('records the object with before/after, failed sign-ins, and redacts e-mail on export', async () => {
    const exp = (await call('POST', `${M}/experiments/create`, as('ann'), { name: 'audited' })).body.experiment_id as string;
    expect((await call('PUT', `${V1}/permissions`, as('ann'), { kind: 'experiment', id: exp, principalType: 'user', principal: 'cat', level: 'EDIT' })).status).toBe(200);
    expect((await call('GET', `${V1}/auth/whoami`, basic('ann', 'not-her-password'))).status).toBe(401);
    const entries = (await call('GET', `${V1}/audit?object=experiment:${exp}`, asAdmin)).body.entries as { action: string; actor: string; detail: string }[];
    const grantEntry = entries.find((e) => e.action === 'PUT /api/v1/permissions')!;
    expect(grantEntry.actor).toBe('ann');
    expect(JSON.parse(grantEntry.detail)).toEqual([{ object: `experiment:${exp}`, before: { 'user:cat': null }, after: { 'user:cat': 'EDIT' } }]);
    const failed = (await call('GET', `${V1}/audit?action=auth.failed&actor=ann`, asAdmin)).body.entries as { summary: string; detail: string }[];
    expect(failed.length).toBeGreaterThan(0);
    expect(JSON.stringify(failed)).not.toContain('not-her-password');
    // ann's e-mail was recorded when the admin created her; the export can hide it.
    const plain = (await call('GET', `${V1}/audit/export?format=jsonl&action=/api/v1/users`, asAdmin)).body as string;
    expect(plain).toContain('ann@example.com');
    const redacted = await call('GET', `${V1}/audit/export?format=csv&redactPii=true&action=/api/v1/users`, asAdmin);
    expect(redacted.headers['content-type']).toContain('text/csv');
    expect(redacted.body).not.toContain('ann@example.com');
    expect(redacted.body).toMatch(/\[email:[0-9a-f]{10}\]/);
    expect(String(redacted.body).split('\n')[0]).toBe('seq,at,actor,action,status,object,requestId,sourceIp,summary,detail,prevHash,hash');
    const users = (await call('GET', `${V1}/users?redactPii=true`, asAdmin)).body.users as { username: string; email: string | null }[];
    expect(users.find((u) => u.username === 'ann')?.email).toBe('[redacted]');
    expect((await call('GET', `${V1}/audit/verify`, asAdmin)).body.ok).toBe(true);
    // The latest entries first, paged backwards.
    const all = ((await call('GET', `${V1}/audit?limit=10000`, asAdmin)).body.entries as { seq: number }[]).map((e) => e.seq);
    const newest = ((await call('GET', `${V1}/audit?newestFirst=true&limit=3`, asAdmin)).body.entries as { seq: number }[]).map((e) => e.seq);
    expect(newest).toEqual(all.slice(-3).reverse());
    const older = ((await call('GET', `${V1}/audit?newestFirst=true&limit=3&beforeSeq=${newest[2]}`, asAdmin)).body.entries as { seq: number }[]).map((e) => e.seq);
    expect(older).toEqual(all.slice(-6, -3).reverse());
  });
});

describe("MLflow's basic-auth client requests", () => {
  it('manage users and experiment/registered-model permissions as AuthServiceClient sends them', async () => {
    const created = await call('POST', `${M}/users/create`, asAdmin, { username: 'newuser', password: 'newpassword' });
    expect(created.status).toBe(200);
    expect(created.body.user).toEqual({ id: 'newuser', username: 'newuser', is_admin: false, experiment_permissions: [], registered_model_permissions: [], scorer_permissions: [] });
    expect((await call('POST', `${M}/users/create`, asAdmin, { username: 'newuser', password: 'newpassword' })).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const exp = (await call('POST', `${M}/experiments/create`, asAdmin, { name: 'mlflow-auth' })).body.experiment_id as string;
    const ep = await call('POST', `${M}/experiments/permissions/create`, asAdmin, { experiment_id: exp, username: 'newuser', permission: 'READ' });
    expect(ep.body).toEqual({ experiment_permission: { experiment_id: exp, user_id: 'newuser', permission: 'READ' } });
    expect((await call('POST', `${M}/experiments/permissions/create`, asAdmin, { experiment_id: exp, username: 'newuser', permission: 'EDIT' })).body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    expect((await call('PATCH', `${M}/experiments/permissions/update`, asAdmin, { experiment_id: exp, username: 'newuser', permission: 'EDIT' })).status).toBe(200);
    expect((await call('GET', `${M}/experiments/permissions/get?experiment_id=${exp}&username=newuser`, asAdmin)).body.experiment_permission.permission).toBe('EDIT');
    const bad = await call('PATCH', `${M}/experiments/permissions/update`, asAdmin, { experiment_id: exp, username: 'newuser', permission: 'OWNER' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('permission');
    // The grant works for the MLflow client signing in as the new user.
    const newuser = basic('newuser', 'newpassword');
    expect((await call('POST', `${M}/runs/create`, newuser, { experiment_id: exp })).status).toBe(200);
    expect((await call('POST', `${M}/registered-models/create`, asAdmin, { name: 'auth-model' })).status).toBe(200);
    expect((await call('POST', `${M}/registered-models/permissions/create`, asAdmin, { name: 'auth-model', username: 'newuser', permission: 'MANAGE' })).status).toBe(200);
    const current = await call('GET', `${M}/users/current`, newuser);
    expect(current.body.user).toMatchObject({
      username: 'newuser', is_admin: false,
      experiment_permissions: [{ experiment_id: exp, user_id: 'newuser', permission: 'EDIT' }],
      registered_model_permissions: [{ name: 'auth-model', user_id: 'newuser', permission: 'MANAGE' }],
    });
    expect((await call('GET', `${M}/users/list`, newuser)).status).toBe(403);
    // Self-service password change needs the current password, as MLflow's does.
    expect((await call('PATCH', `${M}/users/update-password`, newuser, { username: 'newuser', password: 'changed-password' })).status).toBe(400);
    expect((await call('PATCH', `${M}/users/update-password`, newuser, { username: 'newuser', password: 'changed-password', current_password: 'newpassword' })).status).toBe(200);
    expect((await call('GET', `${M}/users/current`, newuser)).status).toBe(401);
    const changed = basic('newuser', 'changed-password');
    expect((await call('PATCH', `${M}/users/update-admin`, asAdmin, { username: 'newuser', is_admin: true })).status).toBe(200);
    expect((await call('GET', `${M}/users/list`, changed)).body.users).toContainEqual({ id: 'newuser', username: 'newuser', is_admin: true });
    expect((await call('DELETE', `${M}/experiments/permissions/delete`, asAdmin, { experiment_id: exp, username: 'newuser' })).status).toBe(200);
    expect((await call('GET', `${M}/experiments/permissions/get?experiment_id=${exp}&username=newuser`, asAdmin)).status).toBe(404);
    expect((await call('DELETE', `${M}/users/delete`, asAdmin, { username: 'newuser' })).status).toBe(200);
    expect((await call('GET', `${M}/users/current`, changed)).status).toBe(401);
  });
});

describe('token scopes', () => {
  it('cap what a token may do below what its user may, and never mint a broader token', async () => {
    const exp = (await call('POST', `${M}/experiments/create`, as('lee'), { name: 'scoped' })).body.experiment_id as string;
    const created = await call('POST', `${V1}/tokens`, as('lee'), { name: 'dashboards', scopes: ['read'] });
    expect(created.status).toBe(201);
    const readOnly = created.body;
    expect(readOnly.record.scopes).toEqual(['read']);
    const bearer = `Bearer ${readOnly.token as string}`;
    expect((await call('GET', `${M}/experiments/get?experiment_id=${exp}`, bearer)).status).toBe(200);
    const write = await call('POST', `${M}/runs/create`, bearer, { experiment_id: exp });
    expect(write.status).toBe(403);
    expect(write.body.message).toBe("This token's scope (READ) does not allow EDIT (user 'lee')");
    expect((await call('GET', `${V1}/permissions/effective?kind=experiment&id=${exp}`, bearer)).body.level).toBe('READ');
    expect((await call('POST', `${V1}/tokens`, bearer, { name: 'broader', scopes: ['edit'] })).status).toBe(403);
    const edit = (await call('POST', `${V1}/tokens`, as('lee'), { name: 'ci', scopes: ['edit'] })).body.token as string;
    expect((await call('POST', `${M}/runs/create`, `Bearer ${edit}`, { experiment_id: exp })).status).toBe(200);
    expect((await call('POST', `${M}/experiments/delete`, `Bearer ${edit}`, { experiment_id: exp })).status).toBe(403);
    // An admin's token without the admin scope has no admin powers.
    const adminRead = (await call('POST', `${V1}/tokens`, asAdmin, { name: 'ro', scopes: ['read'] })).body.token as string;
    expect((await call('GET', `${V1}/users`, `Bearer ${adminRead}`)).status).toBe(403);
    expect((await call('POST', `${M}/experiments/create`, `Bearer ${adminRead}`, { name: 'nope' })).status).toBe(403);
    expect((await call('GET', `${M}/experiments/get?experiment_id=${exp}`, `Bearer ${adminRead}`)).status).toBe(200);
    const bad = await call('POST', `${V1}/tokens`, as('lee'), { name: 'x', scopes: ['root'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('scopes');
  });
});

describe('behind a reverse proxy (--trust-proxy)', () => {
  it('marks session cookies Secure over HTTPS and audits and rate-limits the forwarded client address', async () => {
    const proxied = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-proxy-'));
    const server = await buildServer(loadConfig({ home: proxied, port: 0, logLevel: 'silent', auth: true, trustProxy: true }, { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password }));
    try {
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };
      const login = await server.app.inject({ method: 'POST', url: `${V1}/auth/login`, headers: forwarded, payload: { username: ADMIN.user, password: ADMIN.password } });
      expect(login.statusCode).toBe(200);
      expect(String(login.headers['set-cookie'])).toContain('; Secure');
      const audit = await server.app.inject({ method: 'GET', url: `${V1}/audit?action=/auth/login`, headers: { authorization: asAdmin } });
      expect((JSON.parse(audit.body) as { entries: { sourceIp: string }[] }).entries.at(-1)?.sourceIp).toBe('203.0.113.7');
      // Five failures from one forwarded address lock that address out, not the proxy's.
      expect((await server.app.inject({ method: 'POST', url: `${V1}/users`, headers: { authorization: asAdmin }, payload: { username: 'pat', password: 'pat-password' } })).statusCode).toBe(201);
      for (let i = 0; i < 5; i++) {
        await server.app.inject({ method: 'GET', url: `${V1}/auth/whoami`, headers: { ...forwarded, authorization: basic('pat', `wrong-${i}`) } });
      }
      expect((await server.app.inject({ method: 'GET', url: `${V1}/auth/whoami`, headers: { ...forwarded, authorization: basic('pat', 'pat-password') } })).statusCode).toBe(401);
      expect((await server.app.inject({ method: 'GET', url: `${V1}/auth/whoami`, headers: { 'x-forwarded-for': '198.51.100.2', authorization: basic('pat', 'pat-password') } })).statusCode).toBe(200);
    } finally {
      await server.close();
      fs.rmSync(proxied, { recursive: true, force: true });
    }
  });
});
