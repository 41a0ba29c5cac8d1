import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.js';
import { jsonClient } from '../support/http.js';

/**
 * The request sequences the MLflow 3 Python client sends (see shared/MLFLOW-WIRE.md), replayed verbatim,
 * with the response fields and types MLflow's REST documentation defines.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

async function setExperiment(name: string): Promise<string> {
  const missing = await api.get(`${M}/experiments/get-by-name`, { experiment_name: name });
  if (missing.status === 200) return missing.body.experiment.experiment_id as string;
  expect(missing.status).toBe(404);
  expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  const created = await api.post(`${M}/experiments/create`, { name });
  expect(created.status).toBe(200);
  expect(Object.keys(created.body)).toEqual(['experiment_id']);
  const got = await api.get(`${M}/experiments/get`, { experiment_id: created.body.experiment_id });
  expect(got.status).toBe(200);
  return got.body.experiment.experiment_id as string;
}

async function startRun(experimentId: string, runName?: string, startTime = Date.now()) {
  const res = await api.post(`${M}/runs/create`, {
    experiment_id: experimentId,
    user_id: 'alice',
    start_time: startTime,
    tags: [
      { key: 'mlflow.user', value: 'alice' },
      { key: 'mlflow.source.name', value: 'train.py' },
      { key: 'mlflow.source.type', value: 'LOCAL' },
      ...(runName ? [{ key: 'mlflow.runName', value: runName }] : []),
    ],
    ...(runName ? { run_name: runName } : {}),
  });
  expect(res.status).toBe(200);
  return res.body.run.info.run_id as string;
}

describe('MLflow client flow: set_experiment → start_run → log → end_run', () => {
  it('serves the Default experiment with id 0 from the start', async () => {
    const res = await api.get(`${M}/experiments/get`, { experiment_id: '0' });
    expect(res.status).toBe(200);
    expect(res.body.experiment).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
  });

  it('creates an experiment the way set_experiment does, with MLflow field types', async () => {
    const id = await setExperiment('churn-model');
    const { body } = await api.get(`${M}/experiments/get-by-name`, { experiment_name: 'churn-model' });
    expect(body.experiment).toEqual({
      experiment_id: id,
      name: 'churn-model',
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
    });
    expect(await setExperiment('churn-model')).toBe(id);
  });

  it('runs a whole tracked training run and reads it back', async () => {
    const exp = await setExperiment('flow');
    const t0 = 1_700_000_000_000;
    const runId = await startRun(exp, 'baseline', t0);
    expect(runId).toMatch(/^[0-9a-f]{32}$/);

    // log_params, log_metrics with step and timestamp, set_tags: all through log-batch; the client repeats run_id.
    expect((await api.post(`${M}/runs/log-batch`, { run_id: runId, params: [{ key: 'lr', value: '0.01' }, { key: 'depth', value: '6' }], metrics: [], tags: [] })).status).toBe(200);
    for (let step = 0; step < 3; step++) {
      const res = await api.post(`${M}/runs/log-batch`, {
        run_id: runId,
        metrics: [
          { key: 'loss', value: 1 / (step + 1), timestamp: t0 + step, step, run_id: runId },
          { key: 'acc', value: 0.5 + step / 10, timestamp: t0 + step, step, run_id: runId },
        ],
        params: [],
        tags: [],
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    }
    expect((await api.post(`${M}/runs/log-batch`, { run_id: runId, tags: [{ key: 'team', value: 'growth' }] })).status).toBe(200);
    expect((await api.post(`${M}/runs/log-metric`, { run_id: runId, run_uuid: runId, key: 'auc', value: 0.91, timestamp: t0, step: 0 })).status).toBe(200);
    expect((await api.post(`${M}/runs/log-parameter`, { run_id: runId, run_uuid: runId, key: 'seed', value: '42' })).status).toBe(200);
    expect((await api.post(`${M}/runs/set-tag`, { run_id: runId, run_uuid: runId, key: 'stage', value: 'dev' })).status).toBe(200);

    const ended = await api.post(`${M}/runs/update`, { run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: t0 + 60_000 });
    expect(ended.status).toBe(200);
    expect(ended.body.run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: t0 + 60_000 });

    const { body } = await api.get(`${M}/runs/get`, { run_id: runId, run_uuid: runId });
    expect(body.run.info).toEqual({
      run_id: runId, run_uuid: runId, run_name: 'baseline', experiment_id: exp, user_id: 'alice', status: 'FINISHED',
      start_time: t0, end_time: t0 + 60_000, artifact_uri: `mlflow-artifacts:/${exp}/${runId}/artifacts`, lifecycle_stage: 'active',
    });
    expect(body.run.data.metrics).toEqual(expect.arrayContaining([
      { key: 'loss', value: 1 / 3, timestamp: t0 + 2, step: 2 },
      { key: 'acc', value: 0.7, timestamp: t0 + 2, step: 2 },
      { key: 'auc', value: 0.91, timestamp: t0, step: 0 },
    ]));
    expect(body.run.data.params).toEqual(expect.arrayContaining([{ key: 'lr', value: '0.01' }, { key: 'depth', value: '6' }, { key: 'seed', value: '42' }]));
    expect(body.run.data.tags).toEqual(expect.arrayContaining([
      { key: 'mlflow.runName', value: 'baseline' }, { key: 'team', value: 'growth' }, { key: 'stage', value: 'dev' }, { key: 'mlflow.user', value: 'alice' },
    ]));
    expect(body.run.inputs).toEqual({});

    const history = await api.get(`${M}/metrics/get-history`, { run_id: runId, run_uuid: runId, metric_key: 'loss', max_results: 25000 });
    expect(history.status).toBe(200);
    expect(history.body).toEqual({ metrics: [0, 1, 2].map((s) => ({ key: 'loss', value: 1 / (s + 1), timestamp: t0 + s, step: s })) });
  });

  it('generates a run name when the client gives none, and keeps the mlflow.runName tag in step', async () => {
    const exp = await setExperiment('names');
    const runId = await startRun(exp);
    const { body } = await api.get(`${M}/runs/get`, { run_id: runId });
    expect(body.run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{3}$/);
    expect(body.run.data.tags).toContainEqual({ key: 'mlflow.runName', value: body.run.info.run_name });
    await api.post(`${M}/runs/update`, { run_id: runId, run_name: 'renamed' });
    const after = await api.get(`${M}/runs/get`, { run_id: runId });
    expect(after.body.run.info.run_name).toBe('renamed');
    expect(after.body.run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });
  });

  it('round-trips NaN and ±Infinity as MLflow encodes them', async () => {
    const exp = await setExperiment('nan');
    const runId = await startRun(exp);
    await api.post(`${M}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'a', value: 'NaN', timestamp: 1, step: 0 },
        { key: 'b', value: 'Infinity', timestamp: 1, step: 0 },
        { key: 'c', value: '-Infinity', timestamp: 1, step: 0 },
      ],
    });
    const { body } = await api.get(`${M}/runs/get`, { run_id: runId });
    const byKey = Object.fromEntries((body.run.data.metrics as { key: string; value: unknown }[]).map((m) => [m.key, m.value]));
    // MLflow stores ±inf as ±1.7976931348623157e308 (the largest double) and returns that number.
    expect(byKey).toEqual({ a: 'NaN', b: 1.7976931348623157e308, c: -1.7976931348623157e308 });
  });
});

describe('search_runs: filter, order and pagination as mlflow.search_runs sends them', () => {
  let exp: string;
  const rows = Array.from({ length: 25 }, (_, i) => ({ acc: (i * 7) % 25 / 25, lr: i % 2 === 0 ? '0.01' : '0.1', team: i % 3 === 0 ? 'ML-core' : 'growth' }));
  const runIds: string[] = [];

  beforeAll(async () => {
    exp = await setExperiment('search');
    for (const [i, r] of rows.entries()) {
      const id = await startRun(exp, `run-${i}`, 1_000 + i);
      runIds.push(id);
      await api.post(`${M}/runs/log-batch`, {
        run_id: id,
        metrics: [{ key: 'acc', value: r.acc, timestamp: 1, step: 0 }],
        params: [{ key: 'lr', value: r.lr }],
        tags: [{ key: 'team', value: r.team }],
      });
    }
  });

  const search = (body: Record<string, unknown>) => api.post(`${M}/runs/search`, { experiment_ids: [exp], run_view_type: 'ACTIVE_ONLY', ...body });

  it('filters on metrics, params and tags and orders by a metric', async () => {
    const res = await search({ filter: "metrics.acc > 0.5 and params.lr = '0.01' and tags.`team` LIKE '%core'", order_by: ['metrics.acc DESC'], max_results: 1000 });
    expect(res.status).toBe(200);
    const expected = rows
      .map((r, i) => ({ ...r, i }))
      .filter((r) => r.acc > 0.5 && r.lr === '0.01' && r.team.endsWith('core'))
      .sort((a, b) => b.acc - a.acc)
      .map((r) => runIds[r.i]);
    expect(expected.length).toBeGreaterThan(0);
    expect(res.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual(expected);
    expect(res.body.next_page_token).toBeUndefined();
  });

  it('LIKE is case-sensitive and ILIKE is not', async () => {
    const like = await search({ filter: "tags.team LIKE 'ml%'" });
    expect(like.body.runs).toBeUndefined();
    const ilike = await search({ filter: "tags.team ILIKE 'ml%'" });
    expect(ilike.body.runs).toHaveLength(rows.filter((r) => r.team === 'ML-core').length);
  });

  it('pages with opaque tokens, no token on the last page, no run twice', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await search({ max_results: 10, order_by: ['attributes.start_time ASC'], ...(token ? { page_token: token } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id));
      token = res.body.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(runIds);
  });

  it('rejects a malformed filter and an out-of-range max_results with 400 naming the problem', async () => {
    const bad = await search({ filter: 'metrics.acc >> 1' });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const tooMany = await search({ max_results: 50001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain('max_results');
    const wrongType = await search({ filter: "metrics.acc = 'high'" });
    expect(wrongType.status).toBe(400);
    const badToken = await search({ page_token: 'not-a-token' });
    expect(badToken.status).toBe(400);
  });
});

describe('bad input gets MLflow error codes and writes nothing', () => {
  let runId: string;
  beforeAll(async () => {
    runId = await startRun(await setExperiment('errors'));
    await api.post(`${M}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.01' });
  });

  const readRun = async () => (await api.get(`${M}/runs/get`, { run_id: runId })).body.run;

  it('malformed JSON → 400 INVALID_PARAMETER_VALUE', async () => {
    const res = await api.call('POST', `${M}/runs/log-batch`, '{"run_id": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('a POST that is not JSON → 400', async () => {
    const res = await api.call('POST', `${M}/runs/log-batch`, 'run_id=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('wrong types name the field', async () => {
    const res = await api.post(`${M}/runs/log-metric`, { run_id: runId, key: 'x', value: 'high', timestamp: 1 });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("'value'");
    const ts = await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics: [{ key: 'x', value: 1, timestamp: 'noon' }] });
    expect(ts.status).toBe(400);
    // MLflow's JSON path and sentence (mlflow/utils/validation.py), which clients match on.
    expect(ts.body.message).toContain(`Invalid value "noon" for parameter 'metrics[0].timestamp' supplied`);
  });

  it('unknown ids → 404 RESOURCE_DOES_NOT_EXIST', async () => {
    for (const res of [
      await api.get(`${M}/runs/get`, { run_id: 'f'.repeat(32) }),
      await api.get(`${M}/experiments/get`, { experiment_id: '987654' }),
      await api.post(`${M}/runs/log-batch`, { run_id: 'f'.repeat(32), params: [{ key: 'a', value: 'b' }] }),
      await api.post(`${M}/runs/create`, { experiment_id: '987654' }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('an over-limit batch is rejected whole', async () => {
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: i, step: i }));
    const res = await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics, params: [{ key: 'new', value: '1' }] });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/at most 1000 metrics/);
    const run = await readRun();
    expect(run.data.metrics).toBeUndefined();
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
  });

  it('a too-long key is rejected, and nothing else in that batch is written', async () => {
    const res = await api.post(`${M}/runs/log-batch`, {
      run_id: runId, metrics: [{ key: 'ok', value: 1, timestamp: 1 }], tags: [{ key: 'k'.repeat(251), value: 'v' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/exceeds the limit of 250/);
    expect((await readRun()).data.metrics).toBeUndefined();
  });

  it('re-logging a param with the same value is fine; another value fails the whole batch', async () => {
    expect((await api.post(`${M}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.01' })).status).toBe(200);
    const res = await api.post(`${M}/runs/log-batch`, {
      run_id: runId, params: [{ key: 'lr', value: '0.5' }, { key: 'epochs', value: '3' }], metrics: [{ key: 'loss', value: 1, timestamp: 1 }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(res.body.message).toContain("key='lr'");
    const run = await readRun();
    expect(run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(run.data.metrics).toBeUndefined();
  });

  it('truncates over-long param and tag values as MLflow does', async () => {
    const id = await startRun(await setExperiment('truncation'));
    await api.post(`${M}/runs/log-batch`, { run_id: id, params: [{ key: 'p', value: 'x'.repeat(7000) }], tags: [{ key: 't', value: 'y'.repeat(9000) }] });
    const { body } = await api.get(`${M}/runs/get`, { run_id: id });
    expect(body.run.data.params[0].value).toHaveLength(6000);
    expect(body.run.data.tags.find((t: { key: string }) => t.key === 't').value).toHaveLength(8000);
  });

  it('a duplicate experiment name → 400 RESOURCE_ALREADY_EXISTS', async () => {
    await setExperiment('dupe');
    const res = await api.post(`${M}/experiments/create`, { name: 'dupe' });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('an unknown endpoint answers in MLflow error shape', async () => {
    const res = await api.post(`${M}/runs/frobnicate`, {});
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
  });
});

describe('experiments lifecycle and the ajax-api prefix', () => {
  it('delete hides an experiment and its runs; restore brings them back', async () => {
    const exp = await setExperiment('lifecycle');
    const runId = await startRun(exp);
    expect((await api.post(`${M}/experiments/delete`, { experiment_id: exp })).status).toBe(200);
    const active = await api.post(`${M}/experiments/search`, { max_results: 1000, filter: "name = 'lifecycle'" });
    expect(active.body.experiments).toBeUndefined();
    const deleted = await api.post(`${M}/experiments/search`, { view_type: 'DELETED_ONLY', filter: "name = 'lifecycle'" });
    expect(deleted.body.experiments).toHaveLength(1);
    expect((await api.get(`${M}/runs/get`, { run_id: runId })).body.run.info.lifecycle_stage).toBe('deleted');
    expect((await api.post(`${M}/runs/log-metric`, { run_id: runId, key: 'x', value: 1, timestamp: 1 })).status).toBe(400);
    await api.post(`${M}/experiments/restore`, { experiment_id: exp });
    expect((await api.get(`${M}/runs/get`, { run_id: runId })).body.run.info.lifecycle_stage).toBe('active');
  });

  it('renames and tags experiments; serves the same API under /ajax-api', async () => {
    const exp = await setExperiment('to-rename');
    expect((await api.post(`/ajax-api/2.0/mlflow/experiments/update`, { experiment_id: exp, new_name: 'renamed-exp' })).status).toBe(200);
    await api.post(`${M}/experiments/set-experiment-tag`, { experiment_id: exp, key: 'owner', value: 'ml' });
    const { body } = await api.get(`/ajax-api/2.0/mlflow/experiments/get`, { experiment_id: exp });
    expect(body.experiment.name).toBe('renamed-exp');
    expect(body.experiment.tags).toEqual([{ key: 'owner', value: 'ml' }]);
    const viaGet = await api.get(`${M}/experiments/search`, { filter: "tags.owner = 'ml'", max_results: 10 });
    expect(viaGet.body.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([exp]);
  });
});

describe('metric history paging and bulk interval', () => {
  it('pages history in (timestamp, step) order and samples steps as MLflow does', async () => {
    const runId = await startRun(await setExperiment('history'));
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'loss', value: 1000 - i, timestamp: 10_000 + i, step: i }));
    expect((await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics })).status).toBe(200);
    const first = await api.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: 'loss', max_results: 600 });
    expect(first.body.metrics).toHaveLength(600);
    const second = await api.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: 'loss', max_results: 600, page_token: first.body.next_page_token });
    expect(second.body.metrics).toHaveLength(400);
    expect(second.body.next_page_token).toBeUndefined();
    expect([...first.body.metrics, ...second.body.metrics].map((m: { step: number }) => m.step)).toEqual(metrics.map((m) => m.step));

    const bulk = await api.get(`${M}/metrics/get-history-bulk-interval`, { run_ids: [runId], metric_key: 'loss', max_results: 5 });
    expect(bulk.status).toBe(200);
    // MLflow's sampling: 1000 steps for 5 slots, interval 200 → steps 0, 200, 400, 600, 800, plus the last (999).
    expect(bulk.body.metrics.map((m: { step: number }) => m.step)).toEqual([0, 200, 400, 600, 800, 999]);
    expect(bulk.body.metrics[0]).toEqual({ key: 'loss', value: 1000, timestamp: 10_000, step: 0, run_id: runId });

    // The token is the position where the page ended: a point logged before it does not shift the next page.
    await api.post(`${M}/runs/log-metric`, { run_id: runId, key: 'loss', value: -1, timestamp: 1, step: 0 });
    const again = await api.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: 'loss', max_results: 600, page_token: first.body.next_page_token });
    expect(again.body.metrics).toEqual(second.body.metrics);
    const forged = await api.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: 'loss', page_token: Buffer.from('{"after":[1]}').toString('base64') });
    expect([forged.status, forged.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
  });
});

describe("get-history-bulk and get-history-bulk-interval, the MLflow web UI's calls", () => {
  it('answers get-history-bulk per run in id order, history order within a run, capped by max_results', async () => {
    const e = await setExperiment('bulk');
    const ids = [await startRun(e), await startRun(e)].sort();
    const r1 = ids[0]!;
    const r2 = ids[1]!;
    // MLflow's own example (tests/tracking/test_rest_tracking.py): points differing only in value or timestamp.
    const history = [[1, 2, 10], [1, 3, 11], [1, 3, 12], [2, 3, 12]].map(([timestamp, step, value]) => ({ key: 'metricA', timestamp: timestamp!, step: step!, value: value! }));
    for (const m of [...history].reverse()) {
      await api.post(`${M}/runs/log-metric`, { run_id: r1, ...m });
      await api.post(`${M}/runs/log-metric`, { run_id: r2, ...m, value: m.value + 1 });
    }
    const both = await api.get(`/ajax-api/2.0/mlflow/metrics/get-history-bulk`, { run_id: [r2, r1], metric_key: 'metricA' });
    expect(both.body.metrics).toEqual([...history.map((m) => ({ ...m, run_id: r1 })), ...history.map((m) => ({ ...m, value: m.value + 1, run_id: r2 }))]);
    const limited = await api.get(`/ajax-api/2.0/mlflow/metrics/get-history-bulk`, { run_id: [r1], metric_key: 'metricA', max_results: 2 });
    expect(limited.body.metrics).toEqual(history.slice(0, 2).map((m) => ({ ...m, run_id: r1 })));
    expect((await api.get(`${M}/metrics/get-history-bulk`, { run_id: [r1], metric_key: 'never' })).body).toEqual({ metrics: [] });

    const refused = async (query: Record<string, string | string[]>) => {
      const res = await api.get(`${M}/metrics/get-history-bulk`, query);
      expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      return res.body.message as string;
    };
    expect(await refused({ metric_key: 'metricA' })).toBe('GetMetricHistoryBulk request must specify at least one run_id.');
    expect(await refused({ run_id: Array.from({ length: 101 }, (_, i) => `id_${i}`), metric_key: 'k' }))
      .toBe('GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids.');
    expect(await refused({ run_id: [r1] })).toBe('GetMetricHistoryBulk request must specify a metric_key.');
  });

  it("samples get-history-bulk-interval's steps over all runs as MLflow does, keeping each run's first and last step", async () => {
    const e = await setExperiment('bulk-interval');
    const r1 = await startRun(e);
    const r2 = await startRun(e);
    const log = (runId: string, n: number) => api.post(`${M}/runs/log-batch`, {
      run_id: runId, metrics: Array.from({ length: n }, (_, step) => ({ key: 'metricA', timestamp: 1, step, value: 10 })),
    });
    await log(r1, 10);
    await log(r2, 20);
    const steps = async (runIds: string[]) => ((await api.get(`${M}/metrics/get-history-bulk-interval`, { run_ids: runIds, metric_key: 'metricA', max_results: 5 }))
      .body.metrics as { step: number; run_id: string }[]).map((m) => `${m.run_id === r1 ? 'a' : 'b'}${m.step}`);
    // MLflow's worked cases: 10 steps for 5 slots → 0, 2, 4, 6, 8 and the last, 9; over both runs, 20 steps → 0, 4, 8, 12, 16,
    // the last (19), and run 1's last step (9).
    expect(await steps([r1])).toEqual(['a0', 'a2', 'a4', 'a6', 'a8', 'a9']);
    expect(await steps([r1, r2])).toEqual(['a0', 'a4', 'a8', 'a9', 'b0', 'b4', 'b8', 'b9', 'b12', 'b16', 'b19']);
  });

  it('answers several metrics of several runs in one native call, as columns, with the same step sampling', async () => {
    const e = await setExperiment('sampled-histories');
    const r1 = await startRun(e);
    const r2 = await startRun(e);
    await api.post(`${M}/runs/log-batch`, { run_id: r1, metrics: Array.from({ length: 10 }, (_, step) => ({ key: 'a', timestamp: 100 + step, step, value: step / 2 })) });
    await api.post(`${M}/runs/log-batch`, { run_id: r2, metrics: [
      ...Array.from({ length: 20 }, (_, step) => ({ key: 'a', timestamp: 1, step, value: 10 })),
      { key: 'b', timestamp: 5, step: 3, value: 'NaN' },
    ] });
    const res = await api.post('/api/v1/runs/metric-histories', { runIds: [r1, r2], keys: ['a', 'b'], maxResults: 5 });
    expect(res.status).toBe(200);
    // The same worked case as the bulk-interval test above: 20 steps for 5 slots → 0, 4, 8, 12, 16, the last (19), run 1's last (9).
    expect(res.body.series).toEqual([
      { runId: r1, key: 'a', steps: [0, 4, 8, 9], timestamps: [100, 104, 108, 109], values: [0, 2, 4, 4.5] },
      { runId: r2, key: 'a', steps: [0, 4, 8, 9, 12, 16, 19], timestamps: [1, 1, 1, 1, 1, 1, 1], values: [10, 10, 10, 10, 10, 10, 10] },
      { runId: r2, key: 'b', steps: [3], timestamps: [5], values: ['NaN'] },
    ]);
    const refused = async (body: unknown, field: RegExp) => {
      const r = await api.post('/api/v1/runs/metric-histories', body);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(field);
    };
    await refused({ runIds: [], keys: ['a'] }, /runIds/);
    await refused({ runIds: Array.from({ length: 101 }, (_, i) => `r${i}`), keys: ['a'] }, /runIds/);
    await refused({ runIds: [r1], keys: [] }, /keys/);
    await refused({ runIds: [r1], keys: ['a'], maxResults: 2501 }, /maxResults/);
    const unknown = await api.post('/api/v1/runs/metric-histories', { runIds: ['0'.repeat(32)], keys: ['a'] });
    expect(unknown.status).toBe(404);
  });
});

describe('native API and Prometheus metrics', () => {
  it('answers health and version, and counts requests per route template', async () => {
    expect((await api.get('/api/v1/health')).body).toEqual({ status: 'ok' });
    expect((await api.get('/api/v1/version')).body.version).toMatch(/^\d+\.\d+\.\d+/);
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/openexpert_http_requests_total\{method="POST",route="\/api\/2\.0\/mlflow\/runs\/log-batch",status_code="200"\} \d+/);
    expect(text).toContain('openexpert_http_request_duration_seconds_bucket');
  });

  it('an Idempotency-Key makes a retried run create return the same run', async () => {
    const exp = (await api.post('/api/v1/experiments', { name: 'idem' })).body.experimentId;
    const a = await api.post('/api/v1/runs', { experimentId: exp }, { 'idempotency-key': 'k-1' });
    const b = await api.post('/api/v1/runs', { experimentId: exp }, { 'idempotency-key': 'k-1' });
    expect(a.status).toBe(201);
    expect(b.body.info.runId).toBe(a.body.info.runId);
    const all = await api.post('/api/v1/runs/search', { experimentIds: [exp] });
    expect(all.body.items).toHaveLength(1);
  });

  it('an Idempotency-Key makes a retried batch count once; a rejected batch does not use up its key', async () => {
    const runId = await startRun(await setExperiment('idem-batch'));
    const batch = { run_id: runId, metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }] };
    for (let i = 0; i < 3; i++) expect((await api.post(`${M}/runs/log-batch`, batch, { 'idempotency-key': 'b-1' })).status).toBe(200);
    // Another key is another batch (a point at another time: the same point again would be dropped as a duplicate).
    await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics: [{ key: 'loss', value: 1, timestamp: 2, step: 0 }] }, { 'idempotency-key': 'b-2' });
    const history = await api.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: 'loss' });
    expect(history.body.metrics).toHaveLength(2);

    await api.post(`${M}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' });
    const rejected = { run_id: runId, params: [{ key: 'lr', value: '0.2' }], metrics: [{ key: 'acc', value: 1, timestamp: 1, step: 0 }] };
    expect((await api.post(`${M}/runs/log-batch`, rejected, { 'idempotency-key': 'b-3' })).status).toBe(400);
    const fixed = { run_id: runId, params: [{ key: 'lr', value: '0.1' }], metrics: [{ key: 'acc', value: 1, timestamp: 1, step: 0 }] };
    expect((await api.post(`${M}/runs/log-batch`, fixed, { 'idempotency-key': 'b-3' })).status).toBe(200);
    expect((await api.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: 'acc' })).body.metrics).toHaveLength(1);
  });

  it('counts all the runs a search matches when asked, on every page', async () => {
    const exp = (await api.post('/api/v1/experiments', { name: 'counted' })).body.experimentId;
    for (let i = 0; i < 5; i++) {
      const run = (await api.post('/api/v1/runs', { experimentId: exp, runName: `r${i}` })).body.info.runId;
      await api.post(`/api/v1/runs/${run}/batch`, { metrics: [{ key: 'acc', value: i / 10, timestamp: 1, step: 0 }] });
    }
    const first = await api.post('/api/v1/runs/search', { experimentIds: [exp], maxResults: 2, includeCount: true });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.totalCount).toBe(5);
    const second = await api.post('/api/v1/runs/search', { experimentIds: [exp], maxResults: 2, includeCount: true, pageToken: first.body.nextPageToken });
    expect(second.body.totalCount).toBe(5);
    // acc ∈ {0, 0.1, 0.2, 0.3, 0.4}: two above 0.25.
    const filtered = await api.post('/api/v1/runs/search', { experimentIds: [exp], filter: 'metrics.acc > 0.25', includeCount: true });
    expect(filtered.body.totalCount).toBe(2);
    expect((await api.post('/api/v1/runs/search', { experimentIds: [exp] })).body.totalCount).toBeUndefined();
  });

  it('uses 409 for conflicts and a structured error body', async () => {
    await api.post('/api/v1/experiments', { name: 'conflict' });
    const res = await api.post('/api/v1/experiments', { name: 'conflict' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining('conflict') } });
  });
});
