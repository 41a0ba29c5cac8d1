import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * A retrain command set off by a monitor on a server with auth on: it is told where the server is and gets a
 * token of the monitor's creator (capped at EDIT, expiring after a day), so it can report its outcome. Before,
 * it got no credentials and every call it made was refused.
 */
const ADMIN = { user: 'root', password: 'root-password-1' };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const range = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));
const rows = (n: number, shift: number) => range(n, (i) => ({ id: `p${shift}-${i}`, age: 20 + (i % 50) + shift, plan: i % 3 === 0 ? 'pro' : 'basic', score: i % 2 }));

/** The retrain command: writes what it was given, asks who it is, and reports the outcome, as a pipeline would. */
const COMMAND = String.raw`
const fs = require('node:fs');
const env = process.env;
const call = (method, p, body) => fetch(env.OPENEXPERT_URL + '/api/v1' + p, {
  method, headers: { authorization: 'Bearer ' + env.OPENEXPERT_TOKEN, 'content-type': 'application/json' }, body: body && JSON.stringify(body),
}).then(async (r) => ({ status: r.status, body: await r.json() }));
(async () => {
  const whoami = await call('GET', '/auth/whoami');
  const outcome = await call('POST', '/retrain-requests/' + env.OPENEXPERT_RETRAIN_REQUEST + '/outcome', { status: 'completed', detail: 'retrained by ' + whoami.body.user });
  const users = await call('POST', '/users', { username: 'mallory', password: 'x-password-1' });
  fs.writeFileSync(process.argv[1], JSON.stringify({ url: env.OPENEXPERT_URL, mlflow: env.MLFLOW_TRACKING_URI, sameToken: env.MLFLOW_TRACKING_TOKEN === env.OPENEXPERT_TOKEN, whoami, outcome: outcome.status, createUser: users.status }));
})();
`;

/** A JSON client that signs every call as one user. */
function as(base: string, headers: Record<string, string>) {
  const api = jsonClient(base);
  return { get: (p: string) => api.call('GET', p, undefined, headers), post: (p: string, body: unknown) => api.call('POST', p, body, headers) };
}

describe('a retrain command on a server with auth', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let admin: ReturnType<typeof as>;
  let alice: ReturnType<typeof as>;

  beforeAll(async () => {
    server = await startTestServer({ auth: true, defaultPermission: 'EDIT' }, { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password });
    admin = as(`${server.url}/api/v1`, basic(ADMIN.user, ADMIN.password));
    expect((await admin.post('/users', { username: 'alice', password: 'alice-password-1' })).status).toBe(201);
    alice = as(`${server.url}/api/v1`, basic('alice', 'alice-password-1'));
  }, 120_000);
  afterAll(() => server?.close());

  it("acts as the monitor's creator with a day-long EDIT token, reports its outcome, and may not administer", async () => {
    expect((await alice.post('/monitors', { name: 'churn-live', reference: { rows: rows(400, 0) } })).status).toBe(201);
    const out = path.join(server.home, 'retrain-saw.json');
    // A command rule needs MANAGE on the server: the admin adds it to alice's monitor.
    const rule = await admin.post('/monitors/churn-live/alert-rules', { name: 'retrain-on-drift', figure: 'dataset_drift', op: '>=', threshold: 1, retrain: { command: [process.execPath, '-e', COMMAND, out] } });
    expect(rule.status).toBe(201);
    expect((await alice.post('/monitors/churn-live/ingest', { rows: rows(300, 30) })).body.window.figures.dataset_drift).toBe(1);

    let saw: { url: string; mlflow: string; sameToken: boolean; whoami: { status: number; body: { user: string } }; outcome: number; createUser: number } | undefined;
    for (let i = 0; i < 600 && !saw; i++) {
      if (fs.existsSync(out)) saw = JSON.parse(fs.readFileSync(out, 'utf8'));
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(saw).toMatchObject({ url: server.url, mlflow: server.url, sameToken: true, whoami: { status: 200, body: { user: 'alice' } }, outcome: 200, createUser: 403 });
    const [request] = (await alice.get('/monitors/churn-live/retrain-requests')).body.items;
    expect(request).toMatchObject({ status: 'completed', detail: 'retrained by alice' });

    const tokens = (await admin.get('/tokens')).body.tokens as { username: string; name: string; scopes: string[]; createdAt: number; expiresAt: number }[];
    const minted = tokens.find((t) => t.name === `retrain churn-live ${request.requestId}`);
    expect(minted).toMatchObject({ username: 'alice', scopes: ['edit'] });
    expect(minted!.expiresAt - minted!.createdAt).toBe(24 * 3600 * 1000);
  }, 120_000);
});
