import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, basicAuth } from '../support/auth-app.js';
import { emptyPgSchema } from '../support/backends.js';
import { startTestServer } from '../support/server.js';

/**
 * Two replicas with auth on, sharing one PostgreSQL schema: users, tokens and grants made through one hold on the
 * other (within the caches' few seconds), and both append to one audit chain that verifies.
 */
let schema: Awaited<ReturnType<typeof emptyPgSchema>>;
const env = { OPENEXPERT_ADMIN_USERNAME: TEST_ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: TEST_ADMIN.password };
const asAdmin = basicAuth(TEST_ADMIN.user, TEST_ADMIN.password);
let replicas: Awaited<ReturnType<typeof startTestServer>>[] = [];

async function call(replica: number, method: string, path: string, auth: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- arbitrary response shapes
  const res = await fetch(replicas[replica]!.url + path, {
    method, headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : {} };
}

/** Polls until `check` passes or the caches' longest TTL (5 s) and some slack have gone by. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < 8000; await new Promise((r) => setTimeout(r, 200))) if (await check()) return true;
  return false;
}

beforeAll(async () => {
  schema = await emptyPgSchema('auth');
  // One after the other: both would otherwise bootstrap the same admin at once.
  replicas.push(await startTestServer({ db: schema.url, auth: true }, env));
  replicas.push(await startTestServer({ db: schema.url, auth: true }, env));
}, 60_000);
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  replicas = [];
  await schema?.drop();
});

describe('auth on two replicas sharing PostgreSQL', () => {
  it('shares users, grants, token revocation and one audit chain', async () => {
    expect((await call(0, 'POST', '/api/v1/users', asAdmin, { username: 'kim', password: 'kim-password', role: 'member' })).status).toBe(201);
    const kim = basicAuth('kim', 'kim-password');
    const exp = (await call(0, 'POST', '/api/2.0/mlflow/experiments/create', asAdmin, { name: 'replicated' })).body.experiment_id as string;
    // Read through replica 1 first, so its grant cache holds the old answer.
    expect((await call(1, 'POST', '/api/2.0/mlflow/runs/create', kim, { experiment_id: exp })).status).toBe(403);
    expect((await call(0, 'PUT', '/api/v1/permissions', asAdmin, { kind: 'experiment', id: exp, principalType: 'user', principal: 'kim', level: 'EDIT' })).status).toBe(200);
    expect(await eventually(async () => (await call(1, 'POST', '/api/2.0/mlflow/runs/create', kim, { experiment_id: exp })).status === 200)).toBe(true);

    const token = (await call(1, 'POST', '/api/v1/tokens', kim, { name: 'ci' })).body as { token: string; record: { tokenId: string } };
    expect((await call(0, 'GET', '/api/v1/auth/whoami', `Bearer ${token.token}`)).body.user).toBe('kim');
    expect((await call(1, 'DELETE', `/api/v1/tokens/${token.record.tokenId}`, kim)).status).toBe(200);
    expect(await eventually(async () => (await call(0, 'GET', '/api/v1/auth/whoami', `Bearer ${token.token}`)).status === 401)).toBe(true);

    // Failed sign-ins count across replicas: three on one and two on the other lock the account out on both.
    for (let i = 0; i < 5; i++) expect((await call(i < 3 ? 0 : 1, 'GET', '/api/v1/auth/whoami', basicAuth('kim', `wrong-${i}`))).status).toBe(401);
    // Even the right password (never verified on replica 0, so not cached there).
    const locked = await call(0, 'GET', '/api/v1/auth/whoami', basicAuth('kim', 'kim-password'));
    expect(locked.body.error.message).toBe('Too many failed sign-ins; try again later');

    // Concurrent changes through both replicas chain into one log.
    await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2, 'POST', '/api/2.0/mlflow/experiments/create', asAdmin, { name: `burst-${i}` })));
    // One chain across both replicas. At least 33 entries, each written before its response: the user, the experiment,
    // the grant, kim's run, the token, its revocation, the one refused use of the revoked token, six refused sign-ins
    // and the burst; refused requests are audited too, and how many polls above were refused depends on timing.
    const verified = (await call(1, 'GET', '/api/v1/audit/verify', asAdmin)).body as { ok: boolean; checked: number; keyed: boolean };
    expect(verified).toMatchObject({ ok: true, keyed: false });
    expect(verified.checked).toBeGreaterThanOrEqual(33);
  }, 60_000);
});
