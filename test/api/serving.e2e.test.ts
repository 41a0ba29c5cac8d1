import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { linearModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';

/**
 * Serving over HTTP, from registration to rollback: model files go up through the MLflow artifact
 * proxy, versions are registered and aliased through the MLflow registry API, and predictions come
 * back through Open Inference Protocol v2 and MLflow's `/invocations`.
 */
const MLMODEL = `flavors:
  onnx:
    model_file: model.onnx
    onnx_version: 1.17.0
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "y"}]'
`;

// Version 1: y = x·W1ᵀ + b1; version 2 doubles every weight and bias.
const W1 = [[1, 2, 3], [0.5, -1, 0]];
const B1 = [0.1, -0.2];

describe('serving over HTTP', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;

  const upload = async (path: string, body: Uint8Array | string) => {
    const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: 'PUT', body });
    expect(res.status).toBe(200);
  };
  const register = async (version: number, weights: number[][], bias: number[]) => {
    await upload(`models/churn/v${version}/MLmodel`, MLMODEL);
    await upload(`models/churn/v${version}/model.onnx`, linearModel(weights, bias));
    const r = await api.post('/api/2.0/mlflow/model-versions/create', { name: 'churn', source: `mlflow-artifacts:/models/churn/v${version}` });
    expect(r.status).toBe(200);
    expect(r.body.model_version.version).toBe(String(version));
  };
  const setAlias = async (version: number) => {
    expect((await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'churn', alias: 'live', version: String(version) })).status).toBe(200);
  };
  const infer = (body: unknown, headers: Record<string, string> = {}, path = '/v2/models/churn/infer') => api.post(path, body, headers);
  const rows = { name: 'x', shape: [2, 3], datatype: 'FP32', data: [1, 1, 1, 2, 0, 1] };

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    expect((await api.post('/api/2.0/mlflow/registered-models/create', { name: 'churn' })).status).toBe(200);
    await register(1, W1, B1);
    await register(2, W1.map((r) => r.map((v) => 2 * v)), B1.map((v) => 2 * v));
    await setAlias(1);
    const monitor = await api.post('/api/v1/monitors', {
      name: 'churn-monitor', modelName: 'churn', window: 'hour',
      config: { features: ['a', 'b', 'c'].map((name) => ({ name, type: 'numeric' })), predictionColumn: 'score', idColumn: 'id' },
      reference: { columns: { a: [0, 1, 2, 3, 4, 5], b: [1, 0, 1, 0, 1, 0], c: [2, 2, 3, 3, 4, 4], score: [1, 2, 3, 4, 5, 6] } },
    });
    expect(monitor.status).toBe(201);
  });
  afterAll(async () => server?.close());

  it('deploys the version an alias points at and answers OIP v2 with hand-computed values', async () => {
    const created = await api.post('/api/v1/deployments', { model: 'churn', alias: 'live', logging: { sampleRate: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'churn', target: 'live', stable: { version: '1' }, status: 'stable', endpoints: { v2: '/v2/models/churn/infer' } });

    const r = await infer({ id: 'req-1', inputs: [rows] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ model_name: 'churn', model_version: '1', id: 'req-1', outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 2] }] });
    // [1,1,1]: 1+2+3+0.1 = 6.1, 0.5−1−0.2 = −0.7; [2,0,1]: 2+3+0.1 = 5.1, 1−0.2 = 0.8
    const expected = [6.1, -0.7, 5.1, 0.8];
    (r.body.outputs[0].data as number[]).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(r.body.parameters.prediction_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers every MLflow /invocations format the same way', async () => {
    const bodies = [
      { inputs: [[1, 1, 1], [2, 0, 1]] },
      { instances: [[1, 1, 1], [2, 0, 1]] },
      { inputs: { x: [[1, 1, 1], [2, 0, 1]] } },
      { dataframe_split: { columns: ['a', 'b', 'c'], data: [[1, 1, 1], [2, 0, 1]] } },
      { dataframe_records: [{ a: 1, b: 1, c: 1 }, { a: 2, b: 0, c: 1 }] },
    ];
    for (const body of bodies) {
      const r = await api.post('/serve/churn/invocations', body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect((r.body.predictions as number[][]).flat().map((v) => Math.round(v * 1e5) / 1e5)).toEqual([6.1, -0.7, 5.1, 0.8]);
    }
  });

  it('rejects malformed tensors with 400 naming the field, in each protocol\'s error shape', async () => {
    const cases: [unknown, string][] = [
      [{ inputs: [{ ...rows, shape: [2, 2], data: [1, 2, 3, 4] }] }, "'inputs[0].shape'"],
      [{ inputs: [{ ...rows, data: [1, 1, 1, 2, 0] }] }, "'inputs[0].data'"],
      [{ inputs: [{ ...rows, data: [1, 1, 'x', 2, 0, 1] }] }, "'inputs[0].data[2]'"],
      // 1e40 is beyond float32's largest finite value (about 3.4e38): not silently infinity.
      [{ inputs: [{ ...rows, data: [1, 1, 1, 2, 1e40, 1] }] }, "'inputs[0].data[4]'"],
      [{ inputs: [{ ...rows, datatype: 'FP64' }] }, "'inputs[0].datatype'"],
      [{ inputs: [{ ...rows, datatype: 'COMPLEX' }] }, "'inputs.0.datatype'"],
      [{ inputs: [{ ...rows, name: 'features' }] }, "no input 'features'"],
      [{ inputs: [] }, "'inputs'"],
      [{ inputs: [rows], outputs: [{ name: 'proba' }] }, "'outputs[0].name'"],
    ];
    for (const [body, field] of cases) {
      const r = await infer(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(r.body.error).toContain(field);
    }
    expect((await infer('{"inputs": [', { 'content-type': 'application/json' })).status).toBe(400);
    const missing = await infer({ inputs: [rows] }, {}, '/v2/models/nope/infer');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("Deployment 'nope'");

    const scoring = await api.post('/serve/churn/invocations', { inputs: [[1, 2]] });
    expect(scoring.status).toBe(400);
    expect(scoring.body).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect((await api.post('/serve/churn/invocations', { columns: [] })).body.message).toContain('exactly one of the keys');
    const overflow = await api.post('/serve/churn/invocations', { inputs: [[1, -1e39, 2]] });
    expect(overflow.status).toBe(400);
    expect(overflow.body.message).toContain('within ±3.4028234663852886e+38');
  });

  it('serves OIP metadata, readiness and health', async () => {
    expect((await api.get('/v2/health/live')).body).toEqual({ live: true });
    expect((await api.get('/v2/health/ready')).status).toBe(200);
    expect((await api.get('/v2')).body).toMatchObject({ name: 'openexpert' });
    expect((await api.get('/v2/models/churn')).body).toEqual({
      name: 'churn', versions: ['1'], platform: 'onnxruntime',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    });
    expect((await api.get('/v2/models/churn/ready')).body).toEqual({ name: 'churn', ready: true });
    expect((await api.get('/v2/models/nope/ready')).status).toBe(404);
    expect((await api.get('/serve/churn/ping')).status).toBe(200);
  });

  it('rolls out only a version holding the target, routes by flag and URL, promotes, and rolls back', async () => {
    const refused = await api.post('/api/v1/deployments/churn/rollouts', { version: 2, strategy: 'canary', steps: [50, 100], interval: '1h' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("does not hold 'live'");

    await setAlias(2);
    const started = await api.post('/api/v1/deployments/churn/rollouts', { alias: 'live', strategy: 'canary', steps: [50, 100], interval: '1h' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ status: 'progressing', candidateWeight: 50, rollout: { candidate: { version: '2' }, intervalMs: 3_600_000 } });
    expect((await api.post('/api/v1/deployments/churn/rollouts', { alias: 'live' })).status).toBe(409);

    const flagged = await infer({ inputs: [rows] }, { 'x-openexpert-model': 'candidate' });
    expect(flagged.body.model_version).toBe('2');
    expect(flagged.body.outputs[0].data[0]).toBeCloseTo(12.2, 5);
    expect((await infer({ inputs: [rows] }, {}, '/v2/models/churn/versions/1/infer')).body.model_version).toBe('1');
    expect((await infer({ inputs: [rows] }, {}, '/v2/models/churn/versions/7/infer')).status).toBe(404);

    expect((await api.post('/api/v1/deployments/churn/pause', {})).body.status).toBe('paused');
    const promoted = await api.post('/api/v1/deployments/churn/promote', { reason: 'looks good' });
    expect(promoted.body).toMatchObject({ status: 'stable', stable: { version: '2' }, previous: { version: '1' } });

    const runbook = await fetch(`${server.url}/api/v1/deployments/churn/runbook`);
    expect(runbook.headers.get('content-type')).toContain('text/markdown');
    const text = await runbook.text();
    expect(text).toContain('version 2 (onnxruntime, supervised process), 100% of traffic');
    expect(text).toContain('openexpert deployments rollback churn');

    const back = await api.post('/api/v1/deployments/churn/rollback', { reason: 'incident 42' });
    expect(back.body.stable.version).toBe('1');
    const events = (await api.get('/api/v1/deployments/churn/events')).body.items.map((e: { kind: string }) => e.kind);
    expect(events).toEqual(['rolled_back', 'promoted', 'paused', 'rollout_started', 'created']);
    expect((await api.post('/api/v1/deployments/churn/rollback', {})).status).toBe(409);

    // The lineage graph shows which versions served here and how, as edges the platform recorded.
    const edgesTo = async (version: string) => {
      const g = (await api.get(`/api/v1/lineage/model_version/${encodeURIComponent(`churn/${version}`)}`, { direction: 'downstream' })).body;
      return (g.edges as { to: { kind: string; id: string }; relation: string; origin: string }[])
        .filter((e) => e.to.kind === 'deployment' && e.to.id === 'churn').map((e) => `${e.relation}:${e.origin}`).sort();
    };
    expect(await edgesTo('1')).toEqual(['deployed_as:platform', 'restored_in:platform']);
    expect(await edgesTo('2')).toEqual(['promoted_in:platform', 'rolled_back_from:platform', 'rollout_candidate_of:platform']);
  });

  it('logs predictions with their id, hands them to the model\'s monitor, and exports Prometheus series per deployment and version', async () => {
    const r = await infer({ inputs: [rows] });
    const id = r.body.parameters.prediction_id as string;
    let logged;
    for (let i = 0; i < 50 && logged?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      logged = await api.get(`/api/v1/deployments/churn/predictions/${id}`);
    }
    expect(logged?.body).toMatchObject({ predictionId: id, version: '1', inputs: { x: { shape: [2, 3], data: [1, 1, 1, 2, 0, 1] } } });

    // The model's monitor received the logged rows: features a, b, c from x, the score from y, the prediction id.
    let windows;
    for (let i = 0; i < 50 && !(windows?.body.items?.[0]?.rows >= 2); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      windows = await api.get('/api/v1/monitors/churn-monitor/windows');
    }
    expect(windows?.body.items[0].rows).toBeGreaterThanOrEqual(2);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/openexpert_serving_requests_total\{deployment="churn",version="1",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/openexpert_serving_inference_duration_seconds_bucket\{le="0.005",deployment="churn",version="2"\} \d+/);
    expect(metrics).toContain('openexpert_serving_batch_size_bucket');
  });

  it('serves through an external model server (v2 and MLflow scoring), and answers 503 when it is down', async () => {
    // This server's own endpoints stand in for a KServe v2 server and an MLflow scoring server.
    for (const [name, runtime] of [
      ['via-v2', { kind: 'external', url: server.url, protocol: 'v2', remoteModel: 'churn' }],
      ['via-mlflow', { kind: 'external', url: `${server.url}/serve/churn`, protocol: 'mlflow' }],
    ] as const) {
      expect((await api.post('/api/v1/deployments', { name, model: 'churn', alias: 'live', runtime })).status).toBe(201);
      const r = await infer({ inputs: [rows] }, {}, `/v2/models/${name}/infer`);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      // live points at version 2 now (weights doubled), but deployment 'churn' serves version 1 again after the rollback.
      expect((r.body.outputs[0].data as number[]).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([6.1, -0.7, 5.1, 0.8]);
    }
    const unreachable = { name: 'down', model: 'churn', alias: 'live', runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' } };
    const refused = await api.post('/api/v1/deployments', unreachable);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('model server is not ready');
    expect(refused.body.error.message).toContain('allowUnready');
    expect((await api.get('/api/v1/deployments/down')).status).toBe(404);
    expect((await api.post('/api/v1/deployments', { ...unreachable, allowUnready: true })).status).toBe(201);
    const down = await infer({ inputs: [rows] }, {}, '/v2/models/down/infer');
    expect(down.status).toBe(503);
    expect(down.body.error).toContain('did not answer');
    const ready = await api.get('/v2/models/down/ready');
    expect(ready.status).toBe(400);
    expect(ready.body.reason).toContain('did not answer');
    expect((await api.get('/v2/models/via-v2/ready')).status).toBe(200);
  });

  it('a model that never answers fails the request with 503 naming the deployment after its timeout; the default is 30 s', async () => {
    // A model server that takes requests and never answers them.
    const hanging = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
      const created = await api.post('/api/v1/deployments', {
        name: 'stuck', model: 'churn', alias: 'live', allowUnready: true, runtime: { kind: 'external', url, protocol: 'v2' }, batching: { timeoutMs: 300 },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.batching.timeoutMs).toBe(300);
      const started = performance.now();
      const r = await infer({ inputs: [rows] }, {}, '/v2/models/stuck/infer');
      expect(r.status).toBe(503);
      expect(r.body.error).toContain("deployment 'stuck'");
      expect(r.body.error).toContain('within 300 ms');
      // Well before the external runtime's own 10 s limit.
      expect(performance.now() - started).toBeLessThan(8_000);
      expect((await api.get('/api/v1/deployments/churn')).body.batching.timeoutMs).toBe(30_000);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });

  it('PATCH changes only the fields it names, as a JSON merge patch: null removes a sticky header, a bad value changes nothing', async () => {
    const created = await api.post('/api/v1/deployments', {
      name: 'patched', model: 'churn', alias: 'live', allowUnready: true, runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' },
      batching: { maxBatchSize: 64, workers: 2, timeoutMs: 5000 }, routing: { stickyHeader: 'X-User' }, logging: { sampleRate: 0.5 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const patch = (body: unknown) => api.call('PATCH', '/api/v1/deployments/patched', body);

    const timeout = await patch({ batching: { timeoutMs: 7000 } });
    expect(timeout.status, JSON.stringify(timeout.body)).toBe(200);
    expect(timeout.body.batching).toEqual({ maxBatchSize: 64, maxWaitMs: 2, workers: 2, timeoutMs: 7000 });
    expect(timeout.body.routing).toEqual({ stickyHeader: 'x-user', flagHeader: 'x-openexpert-model' });
    expect(timeout.body.logging).toEqual({ sampleRate: 0.5 });

    const unstick = await patch({ routing: { stickyHeader: null, flagHeader: 'X-Pin' } });
    expect(unstick.body.routing).toEqual({ flagHeader: 'x-pin' });
    expect(unstick.body.batching).toEqual({ maxBatchSize: 64, maxWaitMs: 2, workers: 2, timeoutMs: 7000 });

    const bad = await patch({ batching: { workers: 99 }, logging: { sampleRate: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('workers');
    const after = (await api.get('/api/v1/deployments/patched')).body;
    expect(after.batching).toEqual({ maxBatchSize: 64, maxWaitMs: 2, workers: 2, timeoutMs: 7000 });
    expect(after.logging).toEqual({ sampleRate: 0.5 });
    expect((await api.call('DELETE', '/api/v1/deployments/patched')).status).toBe(200);
  });

  it('validates deployment requests and names the field', async () => {
    const bad = await api.post('/api/v1/deployments', { model: 'churn', alias: 'live', version: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("exactly one of 'version', 'alias' or 'stage'");
    expect((await api.post('/api/v1/deployments/churn/rollouts', { alias: 'live', interval: 'soon' })).body.error.message).toContain("'interval'");
    expect((await api.post('/api/v1/deployments/churn/rollouts', { alias: 'live', steps: [50, 20] })).body.error.message).toContain("'steps'");
    expect((await api.post('/api/v1/deployments', { model: 'churn', alias: 'live' })).status).toBe(409);
    expect((await api.get('/api/v1/deployments/missing')).status).toBe(404);
  });
});
