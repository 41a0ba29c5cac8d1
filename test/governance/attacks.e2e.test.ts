/**
 * Attacks on governance, each as the issue reproduces it on a server started with `--auth --default-permission
 * NO_PERMISSIONS`: what the attacker tries, and what must happen instead.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, auth?: string, payload?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method, url, headers: { ...(auth ? { authorization: auth } : {}), ...headers }, ...(payload !== undefined ? { payload: payload as object } : {}) });
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
