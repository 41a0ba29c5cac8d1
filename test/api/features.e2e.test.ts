import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { linearModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';

/**
 * The feature store with the modules around it, over HTTP: a training set registered as a dataset version with
 * lineage from the source version through the view to the runs that use it, and skew checks over the feature
 * vectors a deployment logged with its predictions.
 */
const V1 = '/api/v1';
const M = '/api/2.0/mlflow';
const MLMODEL = `flavors:
  onnx:
    model_file: model.onnx
    onnx_version: 1.17.0
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "y"}]'
`;

// Users 1–8, two rows each: on Jan 1 spend = 10·u, on Jan 3 spend = 10·u + 5. User 9 has no rows.
const USERS = 8;
const EVENTS = [
  'user_id,event_timestamp,user_spend_sum_7d',
  ...Array.from({ length: USERS }, (_, i) => i + 1).flatMap((u) => [`${u},2024-01-01T00:00:00Z,${10 * u}`, `${u},2024-01-03T00:00:00Z,${10 * u + 5}`]),
].join('\n');
/** The offline value at a time after Jan 3, by hand: the Jan 3 row (the view has no TTL). */
const latestSpend = (u: number) => (u <= USERS ? 10 * u + 5 : null);

describe('feature store with datasets, lineage and serving', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    const source = await api.post(`${V1}/datasets`, { name: 'user-events', files: [{ path: 'events.csv', content: Buffer.from(EVENTS).toString('base64') }] });
    expect(source.status).toBeLessThan(300);
    const applied = await api.post(`${V1}/features/apply`, { definitions: {
      entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
      feature_views: [{ name: 'user_stats', entity: 'user', source: { dataset: 'user-events@1' }, ttl: '0', schema: [{ name: 'user_spend_sum_7d', dtype: 'float64' }] }],
    } });
    expect(applied.status).toBe(200);
  });
  afterAll(async () => server?.close());

  it('registers a training set as a dataset version, linked source version → view → training set → run', async () => {
    const entities = 'user_id,event_timestamp,label\n1,2024-01-02T00:00:00Z,0\n2,2024-01-04T00:00:00Z,1\n9,2024-01-04T00:00:00Z,0\n1,2023-12-31T00:00:00Z,1\n';
    const res = await fetch(`${server.url}${V1}/features/historical?features=user_stats:user_spend_sum_7d&format=parquet&dataset=user-train`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: entities });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-dataset-version')).toBe('user-train@1');
    expect(res.headers.get('x-training-set')).toBe('user-train@1');
    const parquet = new Uint8Array(await res.arrayBuffer());
    const version = (await api.get(`${V1}/datasets/user-train/versions/1`)).body;
    // The registered file is the one the caller got, byte for byte, with its four rows.
    expect(version).toMatchObject({ name: 'user-train', version: 1, rowCount: 4, files: [{ path: 'training-set.parquet', size: parquet.byteLength }] });

    // JSON rows too: the values are the point-in-time ones (Jan 2 sees Jan 1's 10; Jan 4 sees Jan 3's 25; none before Jan 1 or for user 9).
    const json = await api.post(`${V1}/features/historical`, { features: ['user_stats:user_spend_sum_7d'], entities: entities.trim().split('\n').slice(1).map((l) => {
      const [u, t, label] = l.split(',');
      return { user_id: Number(u), event_timestamp: t!, label: Number(label) };
    }), dataset: 'user-train' });
    expect(json.status).toBe(200);
    expect(json.body.dataset).toMatchObject({ name: 'user-train', version: 2 });
    expect(json.body.rows.map((r: Record<string, unknown>) => [r.user_id, r.user_spend_sum_7d ?? null])).toEqual([[1, 10], [2, 25], [9, null], [1, null]]);

    // A run that trains on it says so with the dataset_version tag, as any run using a dataset version does.
    const exp = (await api.post(`${M}/experiments/create`, { name: 'churn-features' })).body.experiment_id as string;
    const run = (await api.post(`${M}/runs/create`, { experiment_id: exp, tags: [{ key: 'dataset_version', value: 'user-train@1' }] })).body.run.info.run_id as string;

    const down = await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('user-events@1')}`, { direction: 'downstream', depth: 5 });
    expect(down.status).toBe(200);
    const edges = (down.body.edges as { from: { kind: string; id: string }; to: { kind: string; id: string }; relation: string }[]).map((e) => `${e.from.kind} ${e.relation} ${e.to.kind}`);
    expect(edges).toEqual(expect.arrayContaining([
      'dataset_version consumed feature_view', 'feature_view produced dataset_version', 'dataset_version derived_from dataset_version', 'dataset_version consumed run',
    ]));
    expect(down.body.nodes.map((n: { label: string }) => n.label)).toEqual(expect.arrayContaining(['user-events@1', 'user-train@1', 'user-train@2']));
    expect(down.body.nodes.find((n: { kind: string }) => n.kind === 'run').id).toBe(run);

    // Without a dataset, JSON rows come back and nothing is registered (a JSON request has no query string to read one from).
    const plain = await api.post(`${V1}/features/historical`, { features: ['user_stats:user_spend_sum_7d'], entities: [{ user_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }] });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect(plain.body.rows.map((r: Record<string, unknown>) => r.user_spend_sum_7d)).toEqual([10]);
    expect(plain.body.dataset).toBeUndefined();

    const refused = await api.post(`${V1}/features/historical`, { features: ['user_stats:user_spend_sum_7d'], entities: [{ user_id: 1, event_timestamp: '2024-01-02T00:00:00Z' }], dataset: 'bad@name' });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("'dataset'");
  });

  it('logs the feature vectors a deployment used, and finds the injected mismatches against the offline values', async () => {
    const put = (p: string, body: Uint8Array | string) => fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, { method: 'PUT', body });
    await put('models/spend/v1/MLmodel', MLMODEL);
    await put('models/spend/v1/model.onnx', linearModel([[2]], [0]));
    expect((await api.post(`${M}/registered-models/create`, { name: 'spend' })).status).toBe(200);
    expect((await api.post(`${M}/model-versions/create`, { name: 'spend', source: 'mlflow-artifacts:/models/spend/v1' })).status).toBe(200);
    expect((await api.post(`${M}/registered-models/alias`, { name: 'spend', alias: 'live', version: '1' })).status).toBe(200);
    const deployed = await api.post(`${V1}/deployments`, { model: 'spend', alias: 'live', logging: { sampleRate: 1 } });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);

    // 24 requests for users 1–8 and 9; every 5th sends spend + 1 (a stale cache, say); request 7 (user 8) sends no value at all.
    const sent: { user: number; value: number | null }[] = [];
    for (let i = 0; i < 24; i++) {
      const user = (i % 9) + 1;
      const right = latestSpend(user);
      const value = i === 7 ? null : right === null ? null : i % 5 === 0 ? right + 1 : right;
      sent.push({ user, value });
      const r = await api.post('/v2/models/spend/infer', {
        inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [value ?? 0] }],
        parameters: { feature_vector: { entity: { user_id: user }, values: { user_spend_sum_7d: value } } },
      });
      expect(r.status).toBe(200);
    }
    const wrongValue = sent.filter((s, i) => i % 5 === 0 && i !== 7 && latestSpend(s.user) !== null).length;
    const nullMismatches = sent.filter((s) => (s.value === null) !== (latestSpend(s.user) === null)).length;
    expect(nullMismatches).toBe(1);

    // Predictions are written off the request path: wait until all 24 are in.
    let logged: { featureVector?: unknown }[] = [];
    for (let tries = 0; tries < 200 && logged.length < 24; tries++) {
      logged = (await api.get(`${V1}/deployments/spend/predictions`, { limit: 100 })).body.items;
      if (logged.length < 24) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logged).toHaveLength(24);
    expect(logged.every((p) => p.featureVector !== undefined)).toBe(true);

    const report = await api.post(`${V1}/features/skew/logged`, { deployment: 'spend' });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ deployment: 'spend', rows: 24 });
    expect(report.body.features).toHaveLength(1);
    expect(report.body.features[0]).toMatchObject({ feature: 'user_spend_sum_7d', rows: 24, mismatches: wrongValue + nullMismatches, nullMismatches });
    expect(report.body.features[0].mismatchRate).toBeCloseTo((wrongValue + nullMismatches) / 24, 12);
    // It is kept as the view's latest report.
    expect((await api.get(`${V1}/features/views/user_stats`)).body.lastSkewReport).toMatchObject({ rows: 24 });

    const bad = await api.post('/v2/models/spend/infer', { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1] }], parameters: { feature_vector: { entity: {}, values: {} } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('parameters.feature_vector.entity');
    const none = await api.post(`${V1}/features/skew/logged`, { deployment: 'spend', since: Date.now() + 3_600_000 });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toContain('has logged no feature vectors');
  });
});
