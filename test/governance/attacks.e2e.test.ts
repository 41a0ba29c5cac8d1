/**
 * Attacks on governance, each as the issue reproduces it on a server started with `--auth --default-permission
 * NO_PERMISSIONS`: what the attacker tries, and what must happen instead.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildServer } from '../../src/main.js';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';

const asAdmin = basicAuth(TEST_ADMIN.user, TEST_ADMIN.password);
const as = (u: string) => basicAuth(u, `${u}-password`);
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const SUITE = { name: 'shape', expectations: [{ expectation_type: 'expect_column_to_exist', kwargs: { column: 'id' } }] };

let app: FastifyInstance;
let close: () => Promise<void>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, auth?: string, payload?: unknown, from = '127.0.0.1'): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method, url, remoteAddress: from, headers: auth ? { authorization: auth } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
  let body: unknown = res.body;
  try {
    body = res.body ? JSON.parse(res.body) : {};
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, body };
}

async function ok<T = any>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, auth: string, payload?: unknown): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await call(method, url, auth, payload);
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as T;
}

beforeAll(async () => {
  const server = await startAuthApp({ defaultPermission: 'NO_PERMISSIONS' });
  app = server.app;
  close = server.close;
  for (const username of ['alice', 'bob']) await ok('POST', `${V1}/users`, asAdmin, { username, password: `${username}-password`, role: 'member' });
}, 60_000);
afterAll(async () => {
  await close();
});

/** Alice's objects: a validated dataset, an experiment with a run, and a model version registered from that run. */
async function alicesWork(tag: string): Promise<{ exp: string; run: string; model: string; dataset: string }> {
  const alice = as('alice');
  const dataset = `alice-data-${tag}`;
  await ok('POST', `${V1}/datasets`, alice, { name: dataset, files: [{ path: 'd.csv', content: b64('id,x\n1,2\n2,3\n') }] });
  expect((await ok('POST', `${V1}/datasets/${dataset}/versions/1/validations`, alice, { suite: SUITE })).result.success).toBe(true);
  const exp = (await ok('POST', `${M}/experiments/create`, alice, { name: `alice-exp-${tag}` })).experiment_id as string;
  const run = (await ok('POST', `${M}/runs/create`, alice, { experiment_id: exp })).run.info.run_id as string;
  const model = `alice-model-${tag}`;
  await ok('POST', `${V1}/models`, alice, { name: model });
  await ok('POST', `${V1}/models/${model}/versions`, alice, { source: `runs:/${run}/model`, runId: run });
  return { exp, run, model, dataset };
}

const upstreamOf = async (run: string) => (await ok('GET', `${V1}/lineage/run/${run}?direction=upstream`, as('alice'))).edges as { from: { kind: string; id: string }; to: { id: string }; relation: string; origin: string }[];

describe('lineage forgery', () => {
  it("refuses bob's edge into alice's run, and any edge whose target he may not edit or whose source he may not read", async () => {
    const w = await alicesWork('forge');
    const forged = { edges: [{ from: { kind: 'dataset_version', id: `${w.dataset}@1` }, to: { kind: 'run', id: w.run }, relation: 'consumed' }] };
    const refused = await call('POST', `${V1}/lineage/edges`, as('bob'), forged);
    expect(refused.status).toBeGreaterThanOrEqual(403);
    expect(refused.status).toBeLessThan(405);
    expect(await upstreamOf(w.run)).toEqual([]);

    // Reading both ends is not enough: the edge's target must be editable.
    await ok('PUT', `${V1}/permissions`, as('alice'), { kind: 'experiment', id: w.exp, principalType: 'user', principal: 'bob', level: 'READ' });
    await ok('PUT', `${V1}/permissions`, as('alice'), { kind: 'dataset', id: w.dataset, principalType: 'user', principal: 'bob', level: 'READ' });
    expect((await call('POST', `${V1}/lineage/edges`, as('bob'), forged)).body.error.code).toBe('PERMISSION_DENIED');
    // Nor does a dataset version of his own whose producing run is alice's (its sources would be "consumed" by her run).
    await ok('POST', `${V1}/datasets`, as('bob'), { name: 'bob-data', files: [{ path: 'b.csv', content: b64('id\n1\n') }] });
    const derived = await call('POST', `${V1}/datasets`, as('bob'), { name: 'bob-derived', files: [{ path: 'c.csv', content: b64('id\n2\n') }], derivedFrom: ['bob-data@1'], producedBy: w.run });
    expect([derived.status, derived.body.error?.code]).toEqual([403, 'PERMISSION_DENIED']);
    expect(await upstreamOf(w.run)).toEqual([]);

    // Editing the target and reading the source is what it takes; the edge is then marked as the user's claim.
    await ok('PUT', `${V1}/permissions`, as('alice'), { kind: 'experiment', id: w.exp, principalType: 'user', principal: 'bob', level: 'EDIT' });
    await ok('POST', `${V1}/lineage/edges`, as('bob'), forged);
    expect((await upstreamOf(w.run)).map((e) => [e.from.kind, e.relation, e.origin])).toEqual([['dataset_version', 'consumed', 'user']]);
    // Without READ on the source, even an editor of the target is refused.
    await ok('PUT', `${V1}/permissions`, as('alice'), { kind: 'dataset', id: w.dataset, principalType: 'user', principal: 'bob', level: 'NO_PERMISSIONS' });
    const unreadSource = await call('POST', `${V1}/lineage/edges`, as('bob'), { edges: [{ ...forged.edges[0], relation: 'validated_by' }] });
    expect(unreadSource.status).toBeGreaterThanOrEqual(403);
    expect(unreadSource.status).toBeLessThan(405);
  });

  it('lets promotion evidence trust only the edges the platform recorded, unless the policy says otherwise', async () => {
    const w = await alicesWork('evidence');
    const checks = async () => (await ok('GET', `${V1}/models/${w.model}/versions/1/checks?target=Production`, as('alice'))).checks[0] as { passed: boolean; detail: string };
    const policy = (params: Record<string, unknown>) => ok('PUT', `${V1}/models/${w.model}/policy`, as('alice'), { stages: { Production: { checks: [{ type: 'evidence', provider: 'validation', params }] } } });
    await policy({ suite: 'shape' });
    expect(await checks()).toMatchObject({ passed: false, detail: `run ${w.run} records no input dataset version` });
    // A posted edge is a claim (even by the owner): the default policy does not count it.
    await ok('POST', `${V1}/lineage/edges`, as('alice'), { edges: [{ from: { kind: 'dataset_version', id: `${w.dataset}@1` }, to: { kind: 'run', id: w.run }, relation: 'consumed' }] });
    expect(await checks()).toMatchObject({ passed: false });
    await policy({ suite: 'shape', trustUserLineage: true });
    expect(await checks()).toMatchObject({ passed: true, detail: `${w.dataset}@1 passed validation` });
    // What the platform records itself (the run's dataset_version tag) counts without it.
    await policy({ suite: 'shape' });
    await ok('POST', `${M}/runs/set-tag`, as('alice'), { run_id: w.run, key: 'dataset_version', value: `${w.dataset}@1` });
    expect(await checks()).toMatchObject({ passed: true });
  });
});

describe('existence leaks', () => {
  it('answers an object the caller may not read exactly as an unknown one, for every kind of object', async () => {
    const w = await alicesWork('hidden');
    const alice = as('alice');
    const loggedModel = (await ok('POST', `${M}/logged-models`, alice, { experiment_id: w.exp, name: 'lm' })).model.info.model_id as string;
    await ok('POST', `${M}/runs/log-batch`, alice, { run_id: w.run, metrics: [{ key: 'acc', value: 0.9, timestamp: 1, step: 0 }] });
    await app.inject({ method: 'PUT', url: `/api/2.0/mlflow-artifacts/artifacts/${w.exp}/${w.run}/artifacts/notes.txt`, headers: { authorization: alice, 'content-type': 'application/octet-stream' }, payload: 'secret notes' });
    await ok('POST', `${M}/registered-models/alias`, alice, { name: w.model, alias: 'live', version: '1' });
    await ok('POST', `${V1}/deployments`, alice, { name: 'alice-dep', model: w.model, alias: 'live', allowUnready: true, runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' } });
    const monitor = (await ok('POST', `${V1}/monitors`, alice, { name: 'alice-mon' })).monitorId as string;
    const evaluation = (await ok('POST', `${V1}/evaluations`, alice, { runId: w.run, model: { name: w.model, version: 1 }, name: 'e', task: 'binary', label: 'y', score: 'p', data: { columns: { y: [0, 1], p: [0.2, 0.8] } } })).id as string;
    const unknownRun = 'f'.repeat(32);
    // Each pair: the hidden object and an unknown one of the same kind; the answers may differ only by the id.
    const pairs: [string, string, string, string][] = [
      ['runs/get', `${M}/runs/get?run_id=${w.run}`, `${M}/runs/get?run_id=${unknownRun}`, w.run],
      ['native run', `${V1}/runs/${w.run}`, `${V1}/runs/${unknownRun}`, w.run],
      ['metric history', `${M}/metrics/get-history?run_id=${w.run}&metric_key=acc`, `${M}/metrics/get-history?run_id=${unknownRun}&metric_key=acc`, w.run],
      ['experiment', `${M}/experiments/get?experiment_id=${w.exp}`, `${M}/experiments/get?experiment_id=987654`, w.exp],
      ['experiment by name', `${M}/experiments/get-by-name?experiment_name=alice-exp-hidden`, `${M}/experiments/get-by-name?experiment_name=nobody-exp`, 'alice-exp-hidden'],
      ['logged model', `${M}/logged-models/${loggedModel}`, `${M}/logged-models/m-${'0'.repeat(32)}`, loggedModel],
      ['artifact', `/api/2.0/mlflow-artifacts/artifacts/${w.exp}/${w.run}/artifacts/notes.txt`, `/api/2.0/mlflow-artifacts/artifacts/987654/${unknownRun}/artifacts/notes.txt`, ''],
      ['registered model', `${M}/registered-models/get?name=${w.model}`, `${M}/registered-models/get?name=nobody-model`, w.model],
      ['dataset', `${V1}/datasets/${w.dataset}/versions`, `${V1}/datasets/nobody-data/versions`, w.dataset],
      ['deployment', `${V1}/deployments/alice-dep`, `${V1}/deployments/nobody-dep`, 'alice-dep'],
      ['monitor', `${V1}/monitors/${monitor}`, `${V1}/monitors/nobody-monitor`, monitor],
      ['evaluation', `${V1}/evaluations/${evaluation}`, `${V1}/evaluations/${evaluation.slice(0, -1)}${evaluation.endsWith('0') ? '1' : '0'}`, evaluation],
    ];
    for (const [what, hiddenUrl, unknownUrl, id] of pairs) {
      const hidden = await call('GET', hiddenUrl, as('bob'));
      const unknown = await call('GET', unknownUrl, as('bob'));
      const unknownId = /[?/=]([^?/=&]+)(?:&|$|\/artifacts)/.exec(unknownUrl.replace(/\/versions$/, ''))?.[1] ?? '';
      const scrub = (body: unknown, name: string) => JSON.stringify(body).split(name).join('<id>');
      expect({ what, status: hidden.status }).toEqual({ what, status: 404 });
      expect({ what, status: unknown.status }).toEqual({ what, status: 404 });
      if (id !== '') expect({ what, body: scrub(hidden.body, id) }).toEqual({ what, body: scrub(unknown.body, unknownId) });
      expect(JSON.stringify(hidden.body)).not.toContain('PERMISSION_DENIED');
      if (what !== 'experiment') expect(JSON.stringify(hidden.body)).not.toContain(`'${w.exp}'`);
    }
  });
});

describe('existence leaks through lineage', () => {
  it("answers lineage from a hidden run or dataset version as from an unknown one, never naming it", async () => {
    const w = await alicesWork('lineage');
    await ok('POST', `${M}/runs/set-tag`, as('alice'), { run_id: w.run, key: 'dataset_version', value: `${w.dataset}@1` });
    const versionId = ((await ok('GET', `${V1}/datasets/${w.dataset}/versions/1`, as('alice'))) as { id: string }).id;
    const unknownRun = 'e'.repeat(32);
    const unknownVersion = 'd'.repeat(versionId.length);
    const pairs: [string, string, string, string, string][] = [
      ['run', `${V1}/lineage/run/${w.run}?direction=upstream`, `${V1}/lineage/run/${unknownRun}?direction=upstream`, w.run, unknownRun],
      ['dataset version by name', `${V1}/lineage/dataset_version/${w.dataset}@1`, `${V1}/lineage/dataset_version/nobody-data@1`, w.dataset, 'nobody-data'],
      ['dataset version by label', `${V1}/lineage/dataset_version/${w.dataset}@latest`, `${V1}/lineage/dataset_version/nobody-data@latest`, w.dataset, 'nobody-data'],
      ['dataset version by id', `${V1}/lineage/dataset_version/${versionId}`, `${V1}/lineage/dataset_version/${unknownVersion}`, versionId, unknownVersion],
    ];
    for (const [what, hiddenUrl, unknownUrl, id, unknownId] of pairs) {
      const hidden = await call('GET', hiddenUrl, as('bob'));
      const unknown = await call('GET', unknownUrl, as('bob'));
      expect({ what, status: hidden.status, body: JSON.stringify(hidden.body).split(id).join('<id>').split(id.slice(0, 6)).join('<id>') })
        .toEqual({ what, status: unknown.status, body: JSON.stringify(unknown.body).split(unknownId).join('<id>').split(unknownId.slice(0, 6)).join('<id>') });
    }
    // Alice sees the edge the platform recorded, named.
    expect((await ok('GET', `${V1}/lineage/run/${w.run}?direction=upstream`, as('alice'))).nodes.map((n: { label: string }) => n.label)).toContain(`${w.dataset}@1`);
    // Naming a hidden dataset version as an edge's source gets the answer an unknown one gets, whatever the target.
    const edge = (from: string) => ({ edges: [{ from: { kind: 'dataset_version', id: from }, to: { kind: 'run', id: unknownRun }, relation: 'consumed' }] });
    const viaHidden = await call('POST', `${V1}/lineage/edges`, as('bob'), edge(`${w.dataset}@1`));
    const viaUnknown = await call('POST', `${V1}/lineage/edges`, as('bob'), edge('nobody-data@1'));
    expect([viaHidden.status, JSON.stringify(viaHidden.body).split(w.dataset).join('<id>')]).toEqual([viaUnknown.status, JSON.stringify(viaUnknown.body).split('nobody-data').join('<id>')]);
  });
});

describe('denied access is audited', () => {
  it('records ten refused escalation attempts with actor, object, action and reason, and holds back a flood', async () => {
    const w = await alicesWork('denied');
    const before = (await ok('GET', `${V1}/audit?newestFirst=true&limit=1`, asAdmin)).entries[0].seq as number;
    // From an address of its own: the per-address budget is this test's alone.
    const ip = '10.9.8.7';
    const attempts = [
      () => call('PUT', `${V1}/permissions`, as('bob'), { kind: 'experiment', id: w.exp, principalType: 'user', principal: 'bob', level: 'MANAGE' }, ip),
      () => call('POST', `${M}/runs/set-tag`, as('bob'), { run_id: w.run, key: 'owner', value: 'bob' }, ip),
      () => call('PATCH', `${V1}/users/bob`, as('bob'), { role: 'admin' }, ip),
      () => call('GET', `${M}/runs/get?run_id=${w.run}`, as('bob'), undefined, ip),
      () => call('DELETE', `${V1}/models/${w.model}`, as('bob'), undefined, ip),
    ];
    for (let i = 0; i < 10; i++) expect([403, 404]).toContain((await attempts[i % attempts.length]!()).status);
    const entries = (await ok('GET', `${V1}/audit?afterSeq=${before}&action=access.denied&limit=100`, asAdmin)).entries as { actor: string; status: number; summary: string; object: string; detail: string }[];
    expect(entries).toHaveLength(10);
    expect(entries.every((e) => e.actor === 'bob')).toBe(true);
    expect(entries[0]).toMatchObject({ status: 404, summary: `PUT ${V1}/permissions` });
    expect(JSON.parse(entries[0]!.detail)).toEqual({ code: 'RESOURCE_DOES_NOT_EXIST', reason: `Experiment with id '${w.exp}' does not exist` });
    expect(entries[1]).toMatchObject({ status: 404, object: `run:${w.run}` });
    expect(entries[2]).toMatchObject({ status: 403, object: '' });
    expect(JSON.parse(entries[2]!.detail)).toEqual({ code: 'PERMISSION_DENIED', reason: 'Only admins change roles' });

    // A flood from one address: at most the per-minute budget (30 by default) is written one by one.
    const flood = await Promise.all(Array.from({ length: 60 }, () => call('GET', `${M}/runs/get?run_id=${w.run}`, as('bob'), undefined, ip)));
    expect(flood.every((r) => r.status === 404)).toBe(true);
    const all = (await ok('GET', `${V1}/audit?afterSeq=${before}&action=access.denied&limit=1000`, asAdmin)).entries as unknown[];
    // 10 attempts and 60 flooding requests: 30 a minute are written, the rest only counted (a minute boundary
    // falling inside the flood lets a second 30 through, never all 70).
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(all.length).toBeLessThan(70);
  });
});

describe('password spraying', () => {
  it('slows one address trying many accounts, whichever replica it reaches, and leaves other addresses alone', async () => {
    const sprayer = '10.66.0.1';
    const server = await startAuthApp({ signinMaxFailuresPerAddress: 10, signinMaxFailures: 5 });
    // A second replica on the same database: the count is in the database, not in a process.
    const replica = await buildServer(loadConfig({ home: server.home, port: 0, logLevel: 'silent', auth: true, signinMaxFailuresPerAddress: 10, signinMaxFailures: 5 }, {}));
    try {
      const admin = basicAuth(TEST_ADMIN.user, TEST_ADMIN.password);
      for (let i = 0; i < 30; i++) {
        await server.app.inject({ method: 'POST', url: '/api/v1/users', headers: { authorization: admin, 'content-type': 'application/json' }, payload: { username: `u${i}`, password: `u${i}-real-password` } });
      }
      const signIn = (app: typeof server.app, user: string, password: string, from: string) =>
        app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: from, headers: { 'content-type': 'application/json' }, payload: { username: user, password } });
      // One common password against 30 accounts, alternating replicas: each account sees one failure only.
      const answers: string[] = [];
      for (let i = 0; i < 30; i++) answers.push(JSON.parse((await signIn(i % 2 ? replica.app : server.app, `u${i}`, 'Summer2026!', sprayer)).body).error.message as string);
      expect(answers.slice(0, 10).every((m) => m === 'Invalid credentials')).toBe(true);
      expect(answers.slice(10).every((m) => m === 'Too many failed sign-ins; try again later')).toBe(true);
      // Slowed means slowed: even a right password from that address waits for the window to pass.
      expect((await signIn(server.app, 'u29', 'u29-real-password', sprayer)).statusCode).toBe(401);
      expect((await signIn(replica.app, 'u29', 'u29-real-password', '10.66.0.2')).statusCode).toBe(200);
    } finally {
      await replica.close();
      await server.close();
    }
  });
});
