import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * Promotion gates over HTTP, acting as different people through basic auth (how users are named with
 * auth off): requests, approvals by others, concurrent approvals, the MLflow API blocked by the same
 * policy, history and rollback through the native API.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:x`).toString('base64')}` });
const post = (user: string, path: string, body: unknown = {}) => api.call('POST', path, body, as(user));

async function modelWithVersions(name: string, count: number, tags: { key: string; value: string }[]): Promise<string> {
  const exp = (await api.post(`${M}/experiments/create`, { name: `exp-${name}` })).body.experiment_id as string;
  const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp, tags })).body.run.info.run_id as string;
  await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics: [{ key: 'accuracy', value: 0.93, timestamp: 1, step: 0 }] });
  expect((await post('alice', `${V1}/models`, { name })).status).toBe(201);
  for (let i = 0; i < count; i++) expect((await post('alice', `${V1}/models/${name}/versions`, { source: `runs:/${runId}/model`, runId })).status).toBe(201);
  return runId;
}

const TAGS = [
  { key: 'mlflow.source.git.commit', value: '9f2c1e' }, { key: 'mlflow.user', value: 'alice' },
  { key: 'dataset_version', value: 'v3' }, { key: 'experiment_type', value: 'baseline' },
];

describe('promotion requests over HTTP', () => {
  it('needs an approval from someone other than the requester; approving twice or self-approving changes nothing', async () => {
    await modelWithVersions('gated', 1, TAGS);
    const direct = await post('alice', `${M}/model-versions/transition-stage`, { name: 'gated', version: '1', stage: 'Production', archive_existing_versions: false });
    expect([direct.status, direct.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(direct.body.message).toContain('[approvals] 1 approval: 0 of 1 approvals from users other than alice');

    const created = await post('alice', `${V1}/promotion-requests`, { name: 'gated', version: 1, target: 'production', reason: 'ship it' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), target: 'Production', state: 'pending', requester: 'alice', reason: 'ship it' });
    const id = created.body.id as number;
    const self = await post('alice', `${V1}/promotion-requests/${id}/approve`);
    expect([self.status, self.body.error.code]).toEqual([403, 'PERMISSION_DENIED']);

    const approved = await post('bob', `${V1}/promotion-requests/${id}/approve`, { comment: 'metrics ok' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'completed', resolvedBy: 'bob', approvals: [{ userId: 'bob', comment: 'metrics ok' }] });
    const twice = await post('bob', `${V1}/promotion-requests/${id}/approve`);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'INVALID_STATE']);

    const version = await api.get(`${M}/model-versions/get`, { name: 'gated', version: '1' });
    expect(version.body.model_version.current_stage).toBe('Production');
    const history = (await api.get(`${V1}/models/gated/history`, { version: '1' })).body.items;
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ kind: 'transition', target: 'Production', fromStage: 'None', toStage: 'Production', actor: 'alice', reason: 'ship it', requestId: id });
    expect(history[0].checks.map((c: { type: string; passed: boolean }) => [c.type, c.passed])).toEqual([['required_tags', true], ['approvals', true]]);
    expect((await api.get(`${V1}/promotion-requests`, { name: 'gated' })).body.items.map((r: { id: number }) => r.id)).toEqual([id]);
  });

  it('moves exactly once when several reviewers approve at the same moment', async () => {
    await modelWithVersions('race', 1, TAGS);
    const id = (await post('alice', `${V1}/promotion-requests`, { name: 'race', version: 1, target: '@champion' })).body.id as number;
    const replies = await Promise.all(['bob', 'carol', 'dave', 'erin'].map((u) => post(u, `${V1}/promotion-requests/${id}/approve`)));
    // Each approval lands (or finds the request already completed); none is a server error.
    for (const r of replies) expect([200, 409]).toContain(r.status);
    const request = (await api.get(`${V1}/promotion-requests/${id}`)).body;
    expect(request.state).toBe('completed');
    const moves = (await api.get(`${V1}/models/race/history`)).body.items;
    expect(moves.map((h: { kind: string; target: string; version: number }) => [h.kind, h.target, h.version])).toEqual([['alias', '@champion', 1]]);
    expect((await api.get(`${M}/registered-models/alias`, { name: 'race', alias: 'champion' })).body.model_version.version).toBe('1');
  });

  it('sets a model policy through the native API, reports checks without moving, and rolls back', async () => {
    await modelWithVersions('rollme', 2, []);
    const bad = await api.call('PUT', `${V1}/models/rollme/policy`, { stages: { Production: { checks: [{ type: 'metric_threshold', metric: 'accuracy', op: '>=' }] } } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(bad.body.error.message).toContain('stages.Production.checks.0.value');
    const policy = await api.call('PUT', `${V1}/models/rollme/policy`, { stages: { Production: { checks: [{ type: 'metric_threshold', metric: 'accuracy', op: '>=', value: 0.9 }] } } });
    expect(policy.status).toBe(200);
    expect(policy.body.effective['@champion']).toEqual([{ type: 'metric_threshold', metric: 'accuracy', op: '>=', value: 0.9 }]);

    const dry = await api.get(`${V1}/models/rollme/versions/1/checks`, { target: 'Production' });
    expect(dry.body).toMatchObject({ target: 'Production', passed: true, checks: [{ type: 'metric_threshold', passed: true, detail: 'accuracy = 0.93' }] });
    for (const version of ['1', '2']) {
      expect((await post('alice', `${M}/model-versions/transition-stage`, { name: 'rollme', version, stage: 'Production', archive_existing_versions: true })).status).toBe(200);
      expect((await post('alice', `${M}/registered-models/alias`, { name: 'rollme', alias: 'champion', version })).status).toBe(200);
    }
    const rolled = await post('carol', `${V1}/models/rollme/rollback`, { reason: 'p99 latency regression' });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ from: 2, version: { version: 1, currentStage: 'Production', aliases: ['champion'] } });
    expect(rolled.body.records.map((r: { kind: string; actor: string; target: string }) => [r.kind, r.actor, r.target])).toEqual([
      ['rollback', 'carol', 'Production'], ['rollback', 'carol', 'Production'], ['rollback', 'carol', '@champion'],
    ]);
    expect((await api.get(`${M}/model-versions/get`, { name: 'rollme', version: '2' })).body.model_version.current_stage).toBe('Archived');
    const none = await post('carol', `${V1}/models/ghost/rollback`);
    expect(none.status).toBe(404);
    expect((await api.get(`${V1}/models/rollme/versions/1/checks`, { target: '@latest' })).status).toBe(400);
  });
});
