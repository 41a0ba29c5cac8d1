import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient, type JsonResponse } from '../support/http.js';
import { linearModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';

/**
 * A deployment that fetches its own features: requests carry only join keys (Open Inference Protocol and MLflow's
 * /invocations formats), the server reads the vector from the online store (SQLite, then Redis), an ONNX model scores
 * it, the vector is logged with the prediction, and the skew check over the log finds the stale values it scored.
 */
const V1 = '/api/v1';
const M = '/api/2.0/mlflow';
const MLMODEL = `flavors:
  onnx:
    model_file: model.onnx
    onnx_version: 1.17.0
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "y"}]'
`;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// User 1 and 2 have rows an hour old; user 3 only one 10 days old, past the 7-day TTL; user 4 none.
const EVENTS = [
  'user_id,event_timestamp,user_spend_sum_7d,user_orders_count_7d',
  `1,${at(20 * DAY)},40,2`, `1,${at(HOUR)},120,4`, `2,${at(HOUR)},30,1`, `3,${at(10 * DAY)},15,1`,
].join('\n');
const FEATURES = { user_spend_sum_7d: { 1: 120, 2: 30, 3: 15 }, user_orders_count_7d: { 1: 4, 2: 1, 3: 1 } } as const;
/** The model: y = 2·spend + 3·orders + 1, worked out by hand per user. */
const score = (u: 1 | 2 | 3) => 2 * FEATURES.user_spend_sum_7d[u] + 3 * FEATURES.user_orders_count_7d[u] + 1;

const STORES = [
  { name: 'SQLite', flags: {} },
  { name: 'Redis', flags: { onlineStore: 'redis://127.0.0.1:6379/13' } },
];

describe.each(STORES)('a deployment that fetches its features from the $name online store', ({ flags }) => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const view = `scoring_stats_${Date.now()}`;
  const patch = async (body: unknown) => {
    const res = await fetch(`${server.url}${V1}/deployments/scorer`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as JsonResponse['body'] };
  };
  const invocations = async (body: unknown) => {
    const res = await fetch(`${server.url}/serve/scorer/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as JsonResponse['body'], warning: res.headers.get('x-openexpert-feature-warning') };
  };

  beforeAll(async () => {
    server = await startTestServer(flags);
    api = jsonClient(server.url);
    const source = await api.post(`${V1}/datasets`, { name: 'scoring-events', files: [{ path: 'events.csv', content: Buffer.from(EVENTS).toString('base64') }] });
    expect(source.status).toBeLessThan(300);
    const applied = await api.post(`${V1}/features/apply`, { definitions: {
      entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
      feature_views: [{
        name: view, entity: 'user', source: { dataset: 'scoring-events@1' }, ttl: '7d',
        schema: [{ name: 'user_spend_sum_7d', dtype: 'float64' }, { name: 'user_orders_count_7d', dtype: 'int64' }],
      }],
    } });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    const loaded = await api.post(`${V1}/features/materialize`, { start: at(30 * DAY) });
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);

    const put = (p: string, body: Uint8Array | string) => fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, { method: 'PUT', body });
    await put('models/scorer/v1/MLmodel', MLMODEL);
    await put('models/scorer/v1/model.onnx', linearModel([[2, 3]], [1]));
    expect((await api.post(`${M}/registered-models/create`, { name: 'scorer' })).status).toBe(200);
    expect((await api.post(`${M}/model-versions/create`, { name: 'scorer', source: 'mlflow-artifacts:/models/scorer/v1' })).status).toBe(200);
    expect((await api.post(`${M}/registered-models/alias`, { name: 'scorer', alias: 'live', version: '1' })).status).toBe(200);
  }, 120_000);
  afterAll(async () => server?.close());

  it('is refused a feature that does not exist, or join keys the features do not have', async () => {
    const unknown = await api.post(`${V1}/deployments`, { model: 'scorer', alias: 'live', features: { features: [`${view}:user_age_years_lifetime`] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('user_age_years_lifetime');
    const keys = await api.post(`${V1}/deployments`, { model: 'scorer', alias: 'live', features: { features: [`${view}:user_spend_sum_7d`], entityKeys: ['customer_id'] } });
    expect(keys.status).toBe(400);
    expect(keys.body.error.message).toContain("'features.entityKeys'");
    expect(keys.body.error.message).toContain('customer_id');
    const bad = await api.post(`${V1}/deployments`, { model: 'scorer', alias: 'live', features: { features: [], onStale: 'maybe' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('features.');
    expect((await api.get(`${V1}/deployments/scorer`)).status).toBe(404);
  });

  it('scores requests that carry only join keys, over /v2 infer and every /invocations format, and logs the vectors', async () => {
    const deployed = await api.post(`${V1}/deployments`, {
      model: 'scorer', alias: 'live', logging: { sampleRate: 1 },
      features: { features: [`${view}:user_spend_sum_7d`, 'user_orders_count_7d'] },
    });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    expect(deployed.body.features).toEqual({ features: [`${view}:user_spend_sum_7d`, 'user_orders_count_7d'], entityKeys: ['user_id'], onStale: 'refuse' });

    const oip = await api.post('/v2/models/scorer/infer', { inputs: [{ name: 'user_id', shape: [2], datatype: 'INT64', data: [1, 2] }] });
    expect(oip.status, JSON.stringify(oip.body)).toBe(200);
    expect(oip.body.outputs[0]).toMatchObject({ name: 'y', shape: [2, 1], data: [score(1), score(2)] });

    expect((await invocations({ dataframe_split: { columns: ['user_id'], data: [[1], [2]] } })).body).toEqual({ predictions: [[score(1)], [score(2)]] });
    expect((await invocations({ dataframe_records: [{ user_id: 2 }] })).body).toEqual({ predictions: [[score(2)]] });
    expect((await invocations({ instances: [1, 2] })).body).toEqual({ predictions: [[score(1)], [score(2)]] });
    expect((await invocations({ instances: [{ user_id: 1 }] })).body).toEqual({ predictions: [[score(1)]] });
    expect((await invocations({ inputs: { user_id: [2, 1] } })).body).toEqual({ predictions: [[score(2)], [score(1)]] });

    // The model's own inputs are not what this deployment takes: the error says what it does take.
    const raw = await api.post('/v2/models/scorer/infer', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    expect(raw.status).toBe(400);
    expect(raw.body.error).toContain('user_id');
    const split = await invocations({ dataframe_split: { columns: ['user_spend_sum_7d'], data: [[1]] } });
    expect(split.status).toBe(400);
    expect(split.body).toMatchObject({ error_code: 'BAD_REQUEST' });
    expect(split.body.message).toContain('user_id');
    const vector = await api.post('/v2/models/scorer/infer', {
      inputs: [{ name: 'user_id', shape: [1], datatype: 'INT64', data: [1] }], parameters: { feature_vector: { entity: { user_id: 1 }, values: { user_spend_sum_7d: 1 } } },
    });
    expect(vector.status).toBe(400);
    expect(vector.body.error).toContain('parameters.feature_vector');

    // Nothing materialized for user 4; user 3's only value is past the TTL: refused, naming the feature and entity.
    const missing = await invocations({ dataframe_records: [{ user_id: 4 }] });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/user_spend_sum_7d.*user_id=4.*NOT_FOUND/);
    const stale = await api.post('/v2/models/scorer/infer', { inputs: [{ name: 'user_id', shape: [1], datatype: 'INT64', data: [3] }] });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatch(/user_spend_sum_7d.*user_id=3.*OUTSIDE_MAX_AGE/);

    // Every answered request is in the log with the vectors it was scored with: 1 + 2 + … rows, as sent.
    const expected = [[1, 2], [1, 2], [2], [1, 2], [1], [2, 1]];
    let logged: { featureVector?: { entity: Record<string, unknown>; values: Record<string, unknown> }; featureVectors?: { entity: Record<string, unknown> }[] }[] = [];
    for (let tries = 0; tries < 300 && logged.length < expected.length; tries++) {
      logged = (await api.get(`${V1}/deployments/scorer/predictions`, { limit: 100 })).body.items;
      if (logged.length < expected.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logged).toHaveLength(expected.length);
    const users = logged.map((p) => (p.featureVectors ?? [p.featureVector!]).map((v) => v.entity.user_id));
    expect(users.map((u) => [...u].sort()).sort()).toEqual(expected.map((u) => [...u].sort()).sort());
    const one = logged.find((p) => p.featureVector?.entity.user_id === 1)!;
    expect(one.featureVector!.values).toEqual({ user_spend_sum_7d: 120, user_orders_count_7d: 4 });

    // The log agrees with the offline values: no skew.
    const report = await api.post(`${V1}/features/skew/logged`, { deployment: 'scorer' });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.rows).toBe(expected.flat().length);
    expect(report.body.features.map((f: { feature: string; mismatches: number }) => [f.feature, f.mismatches])).toEqual([['user_spend_sum_7d', 0], ['user_orders_count_7d', 0]]);
  }, 120_000);

  it('scores stale values with a warning header when told to, and the skew check counts them', async () => {
    const warned = await patch({ features: { features: [`${view}:user_spend_sum_7d`, `${view}:user_orders_count_7d`], onStale: 'warn' } });
    expect(warned.status, JSON.stringify(warned.body)).toBe(200);
    expect(warned.body.features.onStale).toBe('warn');
    const since = Date.now();
    const stale = await invocations({ dataframe_split: { columns: ['user_id'], data: [[3], [1]] } });
    expect(stale.status, JSON.stringify(stale.body)).toBe(200);
    expect(stale.body).toEqual({ predictions: [[score(3)], [score(1)]] });
    expect(stale.warning).toContain('user_spend_sum_7d: 1 value(s) older than the view');
    expect(stale.warning).toContain('user_orders_count_7d');
    const fresh = await invocations({ instances: [2] });
    expect(fresh.warning).toBeNull();

    let logged: unknown[] = [];
    for (let tries = 0; tries < 300 && logged.length < 2; tries++) {
      logged = (await api.get(`${V1}/deployments/scorer/predictions`, { limit: 100, since })).body.items;
      if (logged.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    // Offline, user 3 has no value within the TTL: the two values the model was given stale are null mismatches.
    const report = await api.post(`${V1}/features/skew/logged`, { deployment: 'scorer', since });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.rows).toBe(3);
    for (const f of report.body.features) expect(f).toMatchObject({ rows: 3, mismatches: 1, nullMismatches: 1 });

    // Without a feature list the deployment takes the model's inputs again.
    const plain = await patch({ features: null });
    expect(plain.status).toBe(200);
    expect(plain.body.features).toBeUndefined();
    const direct = await api.post('/v2/models/scorer/infer', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] });
    expect(direct.status, JSON.stringify(direct.body)).toBe(200);
    expect(direct.body.outputs[0].data).toEqual([6]);
  }, 120_000);
});
