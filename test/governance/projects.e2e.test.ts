/**
 * Projects (workspaces) as an attacker and as a team would use them, on a server whose workspace default is
 * generous (EDIT): the default project keeps today's behaviour, while a project's experiments, runs, models,
 * datasets, monitors and deployments are invisible to non-members (the same 404 an unknown id gets) and open to
 * members as far as their role goes.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN, basicAuth, startAuthApp } from '../support/auth-app.js';

const asAdmin = basicAuth(TEST_ADMIN.user, TEST_ADMIN.password);
const as = (u: string) => basicAuth(u, `${u}-password`);
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';
const A = '/api/2.0/mlflow-artifacts';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const UNKNOWN = 'f'.repeat(32);

let app: FastifyInstance;
let close: () => Promise<void>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary response shapes
async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, auth?: string, payload?: unknown): Promise<{ status: number; body: any }> {
  const res = await app.inject({ method, url, headers: auth ? { authorization: auth } : {}, ...(payload !== undefined ? { payload: payload as object } : {}) });
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

interface Work {
  readonly exp: string;
  readonly run: string;
  readonly model: string;
  readonly dataset: string;
  readonly monitor: string;
  readonly deployment: string;
  readonly artifact: string;
}

/** One object of every kind in project `vision`, made by alice (its admin). */
async function visionWork(): Promise<Work> {
  const alice = as('alice');
  // An MLflow client puts the experiment in the project with a tag at creation.
  const exp = (await ok('POST', `${M}/experiments/create`, alice, { name: 'detector', tags: [{ key: 'openexpert.project', value: 'vision' }] })).experiment_id as string;
  const run = (await ok('POST', `${M}/runs/create`, alice, { experiment_id: exp, start_time: 1 })).run.info.run_id as string;
  await ok('POST', `${M}/runs/log-batch`, alice, { run_id: run, metrics: [{ key: 'map', value: 0.61, timestamp: 1, step: 0 }] });
  const artifact = `${exp}/${run}/artifacts/notes.txt`;
  expect((await app.inject({ method: 'PUT', url: `${A}/artifacts/${artifact}`, headers: { authorization: alice, 'content-type': 'application/octet-stream' }, payload: 'boxes' })).statusCode).toBe(200);
  const model = 'detector-model';
  await ok('POST', `${V1}/models`, alice, { name: model, project: 'vision' });
  await ok('POST', `${V1}/models/${model}/versions`, alice, { source: `mlflow-artifacts:/${exp}/${run}/artifacts/model`, runId: run });
  await ok('POST', `${M}/registered-models/alias`, alice, { name: model, alias: 'live', version: '1' });
  const dataset = 'street-images';
  await ok('POST', `${V1}/datasets`, alice, { name: dataset, project: 'vision', files: [{ path: 'd.csv', content: b64('id,x\n1,2\n2,3\n') }] });
  const monitor = (await ok('POST', `${V1}/monitors`, alice, { name: 'detector-drift', project: 'vision' })).monitorId as string;
  const deployment = 'detector-live';
  await ok('POST', `${V1}/deployments`, alice, { name: deployment, project: 'vision', model, alias: 'live', allowUnready: true, runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' } });
  return { exp, run, model, dataset, monitor, deployment, artifact };
}

/** Reading each object, and the same request for an id nobody has: [label, request for w, request for unknown]. */
const READS = (w: Work): [string, string, string][] => [
  ['experiment (MLflow)', `${M}/experiments/get?experiment_id=${w.exp}`, `${M}/experiments/get?experiment_id=987654`],
  ['experiment (native)', `${V1}/experiments/${w.exp}`, `${V1}/experiments/987654`],
  ['run (MLflow)', `${M}/runs/get?run_id=${w.run}`, `${M}/runs/get?run_id=${UNKNOWN}`],
  ['run (native)', `${V1}/runs/${w.run}`, `${V1}/runs/${UNKNOWN}`],
  ['model (MLflow)', `${M}/registered-models/get?name=${w.model}`, `${M}/registered-models/get?name=no-such-model`],
  ['model (native)', `${V1}/models/${w.model}`, `${V1}/models/no-such-model`],
  ['model version', `${M}/model-versions/get?name=${w.model}&version=1`, `${M}/model-versions/get?name=no-such-model&version=1`],
  ['dataset', `${V1}/datasets/${w.dataset}/versions`, `${V1}/datasets/no-such-data/versions`],
  ['monitor', `${V1}/monitors/${w.monitor}`, `${V1}/monitors/${UNKNOWN}`],
  ['deployment', `${V1}/deployments/${w.deployment}`, `${V1}/deployments/no-such-deployment`],
  ['project', `${V1}/projects/vision`, `${V1}/projects/no-such-project`],
];

/** An error body with the id taken out, so a hidden object's answer can be compared with an unknown one's. */
const shape = (res: { status: number; body: { error_code?: string; error?: { code?: string } } }) => ({ status: res.status, code: res.body.error_code ?? res.body.error?.code });

let w: Work;

beforeAll(async () => {
  const server = await startAuthApp({ defaultPermission: 'EDIT' });
  app = server.app;
  close = server.close;
  for (const username of ['alice', 'bob', 'carol']) await ok('POST', `${V1}/users`, asAdmin, { username, password: `${username}-password`, role: 'member' });
  await ok('POST', `${V1}/groups`, asAdmin, { name: 'labelers', members: ['carol'] });
  await ok('POST', `${V1}/projects`, as('alice'), { name: 'vision', description: 'Object detection' });
  await ok('POST', `${V1}/projects`, as('bob'), { name: 'nlp' });
  w = await visionWork();
}, 120_000);
afterAll(async () => {
  await close();
});

describe('projects', () => {
  it("answers a member of another project on vision's experiment, run, model, dataset, monitor and deployment exactly as on unknown ids", async () => {
    for (const [label, url, unknown] of READS(w)) {
      const hidden = await call('GET', url, as('bob'));
      expect({ label, ...shape(hidden) }).toEqual({ label, status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
      expect({ label, ...shape(hidden) }).toEqual({ label, ...shape(await call('GET', unknown, as('bob'))) });
      // Alice, its admin, reads every one.
      expect({ label, status: (await call('GET', url, as('alice'))).status }).toEqual({ label, status: 200 });
    }
    expect((await call('GET', `${A}/artifacts/${w.artifact}`, as('bob'))).status).toBe(404);
    // Touching them is refused the same way, and nothing changes.
    expect(shape(await call('POST', `${M}/runs/log-metric`, as('bob'), { run_id: w.run, key: 'map', value: 0.99, timestamp: 2, step: 1 }))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(shape(await call('DELETE', `${V1}/deployments/${w.deployment}`, as('bob')))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(shape(await call('POST', `${V1}/datasets`, as('bob'), { name: 'sneaky', project: 'vision', files: [{ path: 'a.csv', content: b64('id\n1\n') }] }))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    const metrics = (await ok('GET', `${M}/runs/get?run_id=${w.run}`, as('alice'))).run.data.metrics as { value: number }[];
    expect(metrics.map((m) => m.value)).toEqual([0.61]);
    // Each refusal is audited under bob, the project's own included (told it does not exist, as for its objects).
    const refused = ((await ok('GET', `${V1}/audit?actor=bob&action=access.denied&limit=1000`, asAdmin)).entries as { summary: string; detail: string }[]);
    const summaries = refused.map((e) => e.summary);
    for (const s of [`GET ${V1}/projects/vision`, `GET ${M}/runs/get`, `DELETE ${V1}/deployments/${w.deployment}`, `POST ${V1}/datasets`]) expect(summaries).toContain(s);
    expect(JSON.parse(refused.find((e) => e.summary === `GET ${V1}/projects/vision`)!.detail)).toEqual({ code: 'RESOURCE_DOES_NOT_EXIST', reason: "Project 'vision' does not exist" });
  });

  it('leaves project objects out of lists for outsiders, and narrows lists to a project for members', async () => {
    const LISTS: [string, string][] = [
      [`${V1}/experiments`, '"detector"'], [`${M}/experiments/search?max_results=1000`, '"detector"'], [`${V1}/models`, `"${w.model}"`],
      [`${V1}/datasets`, `"${w.dataset}"`], [`${V1}/monitors`, `"${w.monitor}"`], [`${V1}/deployments`, `"${w.deployment}"`],
    ];
    for (const [url, marker] of LISTS) {
      const outsider = await call('GET', url, as('bob'));
      expect({ url, status: outsider.status, shows: JSON.stringify(outsider.body).includes(marker) }).toEqual({ url, status: 200, shows: false });
      expect({ url, shows: JSON.stringify((await ok('GET', url, as('alice')))).includes(marker) }).toEqual({ url, shows: true });
    }
    // ?project= narrows to exactly vision's objects.
    const names = async (url: string, key: string) => ((await ok('GET', url, as('alice'))).items as Record<string, string>[]).map((i) => i[key]);
    await ok('POST', `${V1}/experiments`, as('alice'), { name: 'alice-scratch' });
    expect(await names(`${V1}/experiments?project=vision`, 'name')).toEqual(['detector']);
    expect(await names(`${V1}/experiments?project=default`, 'name')).toEqual(expect.arrayContaining(['alice-scratch', 'Default']));
    expect(await names(`${V1}/experiments?project=default`, 'name')).not.toContain('detector');
    expect(await names(`${V1}/models?project=vision`, 'name')).toEqual([w.model]);
    expect(await names(`${V1}/datasets?project=vision`, 'name')).toEqual([w.dataset]);
    expect(await names(`${V1}/monitors?project=vision`, 'monitorId')).toEqual([w.monitor]);
    expect(await names(`${V1}/deployments?project=vision`, 'name')).toEqual([w.deployment]);
    expect((await ok('GET', `${V1}/projects/vision/objects`, as('alice'))).items).toEqual([
      { kind: 'experiment', id: w.exp }, { kind: 'registered_model', id: w.model }, { kind: 'dataset', id: w.dataset }, { kind: 'monitor', id: w.monitor }, { kind: 'deployment', id: w.deployment },
    ]);
    // An outsider asking for the project's list is told the project does not exist.
    expect(shape(await call('GET', `${V1}/experiments?project=vision`, as('bob')))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect((await ok('GET', `${V1}/projects`, as('bob'))).items.map((p: { name: string }) => p.name)).toEqual(['default', 'nlp']);
    // MLflow clients filter on the tag.
    const tagged = await ok('POST', `${M}/experiments/search`, as('alice'), { filter: "tags.`openexpert.project` = 'vision'", max_results: 100 });
    expect(tagged.experiments.map((e: { name: string }) => e.name)).toEqual(['detector']);
  });

  it('gives members what their role allows: viewers read, editors change, admins manage members; groups count', async () => {
    await ok('PUT', `${V1}/projects/vision/members/user/bob`, as('alice'), { role: 'viewer' });
    expect((await call('GET', `${M}/runs/get?run_id=${w.run}`, as('bob'))).status).toBe(200);
    expect(shape(await call('POST', `${M}/runs/log-metric`, as('bob'), { run_id: w.run, key: 'map', value: 0.99, timestamp: 2, step: 1 }))).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
    expect(shape(await call('POST', `${V1}/experiments`, as('bob'), { name: 'bob-in-vision', project: 'vision' }))).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
    expect(shape(await call('PUT', `${V1}/projects/vision/members/user/carol`, as('bob'), { role: 'admin' }))).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
    // carol through her group, as editor: she writes to the run and creates in the project.
    await ok('PUT', `${V1}/projects/vision/members/group/labelers`, as('alice'), { role: 'editor' });
    await ok('POST', `${M}/runs/log-metric`, as('carol'), { run_id: w.run, key: 'map', value: 0.64, timestamp: 2, step: 1 });
    const made = await ok('POST', `${V1}/experiments`, as('carol'), { name: 'carol-labels', project: 'vision' });
    expect(made.tags).toEqual([{ key: 'openexpert.project', value: 'vision' }]);
    expect(shape(await call('DELETE', `${V1}/deployments/${w.deployment}`, as('carol')))).toEqual({ status: 403, code: 'PERMISSION_DENIED' });
    // Taken out again, bob is back to not knowing the project exists.
    await ok('DELETE', `${V1}/projects/vision/members/user/bob`, as('alice'));
    expect(shape(await call('GET', `${V1}/runs/${w.run}`, as('bob')))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(shape(await call('GET', `${V1}/projects/vision`, as('bob')))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('keeps the default project as before, refuses moving an experiment by its tag, and deletes only empty projects', async () => {
    // bob's experiment in the default project: the workspace default (EDIT) lets alice change it, as without projects.
    const exp = (await ok('POST', `${M}/experiments/create`, as('bob'), { name: 'bob-default' })).experiment_id as string;
    await ok('POST', `${M}/experiments/set-experiment-tag`, as('alice'), { experiment_id: exp, key: 'reviewed', value: 'yes' });
    const moved = await call('POST', `${M}/experiments/set-experiment-tag`, as('alice'), { experiment_id: w.exp, key: 'openexpert.project', value: 'nlp' });
    expect(shape(moved)).toEqual({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
    expect(moved.body.message).toContain("'vision'");
    expect(shape(await call('POST', `${M}/experiments/create`, as('alice'), { name: 'elsewhere', tags: [{ key: 'openexpert.project', value: 'nlp' }] }))).toEqual({ status: 404, code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(shape(await call('POST', `${V1}/projects`, as('alice'), { name: 'Bad Name' }))).toEqual({ status: 400, code: 'INVALID_PARAMETER_VALUE' });
    expect(shape(await call('DELETE', `${V1}/projects/vision`, as('alice')))).toEqual({ status: 409, code: 'INVALID_STATE' });
    await ok('POST', `${V1}/projects`, as('alice'), { name: 'scratch' });
    await ok('DELETE', `${V1}/projects/scratch`, as('alice'));
    expect((await call('GET', `${V1}/projects/scratch`, asAdmin)).status).toBe(404);
  });
});
