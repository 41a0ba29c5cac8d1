import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * MLflow 3's links between runs and logged models, in the request shapes of MLflow's protocol (service.proto):
 * run outputs and model inputs, metrics logged against a model on a dataset, search by dataset, and the
 * `mlflow.modelVersions` tag a registration leaves on the model.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

let seq = 0;
async function experiment(): Promise<string> {
  return (await api.post(`${M}/experiments/create`, { name: `links-${++seq}` })).body.experiment_id as string;
}
async function run(experimentId: string): Promise<string> {
  return (await api.post(`${M}/runs/create`, { experiment_id: experimentId, start_time: 1 })).body.run.info.run_id as string;
}
async function loggedModel(experimentId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await api.post(`${M}/logged-models`, { experiment_id: experimentId, ...extra });
  expect(res.status).toBe(200);
  return res.body.model.info.model_id as string;
}

describe('runs and logged models', () => {
  it('a run lists the models it produced (outputs) and the models it took as inputs', async () => {
    const e = await experiment();
    const r = await run(e);
    const produced = await loggedModel(e);
    const used = await loggedModel(e);
    expect((await api.post(`${M}/runs/outputs`, { run_id: r, models: [{ model_id: produced, step: 1 }] })).status).toBe(200);
    const inputs = await api.post(`${M}/runs/log-inputs`, {
      run_id: r,
      models: [{ model_id: used }],
      datasets: [{ dataset: { name: 'd', digest: 'x', source_type: 'local', source: 's' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
    });
    expect(inputs.status).toBe(200);
    const got = (await api.get(`${M}/runs/get`, { run_id: r })).body.run;
    expect(got.outputs).toEqual({ model_outputs: [{ model_id: produced, step: 1 }] });
    expect(got.inputs.model_inputs).toEqual([{ model_id: used }]);
    expect(got.inputs.dataset_inputs).toHaveLength(1);

    // A run with neither keeps MLflow's empty objects.
    const bare = (await api.get(`${M}/runs/get`, { run_id: await run(e) })).body.run;
    expect([bare.inputs, bare.outputs]).toEqual([{}, {}]);

    const unknown = await api.post(`${M}/runs/log-inputs`, { run_id: r, models: [{ model_id: 'm-0123456789abcdef0123456789abcdef' }] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('a metric logged with model_id and a dataset is the model\'s too, and the model is found by that dataset', async () => {
    const e = await experiment();
    const r = await run(e);
    const measured = await loggedModel(e, { name: 'measured' });
    const other = await loggedModel(e, { name: 'other' });
    const res = await api.post(`${M}/runs/log-metric`, {
      run_id: r, key: 'metric', value: 0.5, timestamp: 123456789, step: 1, model_id: measured, dataset_name: 'name', dataset_digest: 'digest',
    });
    expect(res.status).toBe(200);
    await api.post(`${M}/runs/log-batch`, { run_id: r, metrics: [{ key: 'acc', value: 0.9, timestamp: 5, step: 0, model_id: other, dataset_name: 'holdout' }] });

    const model = (await api.get(`${M}/logged-models/${measured}`)).body.model;
    expect(model.data.metrics).toEqual([
      { key: 'metric', value: 0.5, timestamp: 123456789, step: 1, run_id: r, model_id: measured, dataset_name: 'name', dataset_digest: 'digest' },
    ]);
    // The run has the metric as well, as with any logged metric.
    expect((await api.get(`${M}/runs/get`, { run_id: r })).body.run.data.metrics.map((m: { key: string }) => m.key)).toEqual(['acc', 'metric']);

    const names = async (datasets: unknown) =>
      ((await api.post(`${M}/logged-models/search`, { experiment_ids: [e], datasets })).body.models ?? []).map((m: { info: { name: string } }) => m.info.name);
    expect(await names([{ dataset_name: 'name', dataset_digest: 'digest' }])).toEqual(['measured']);
    expect(await names([{ dataset_name: 'name', dataset_digest: 'other-digest' }])).toEqual([]);
    expect(await names([{ dataset_name: 'holdout' }])).toEqual(['other']);
    expect((await names([{ dataset_name: 'name' }, { dataset_name: 'holdout' }])).sort()).toEqual(['measured', 'other']);

    const unknown = await api.post(`${M}/runs/log-metric`, { run_id: r, key: 'm', value: 1, timestamp: 1, model_id: 'm-0123456789abcdef0123456789abcdef' });
    expect(unknown.status).toBe(404);
    // The refused metric is not in the run either: the write is all or nothing.
    expect((await api.get(`${M}/metrics/get-history`, { run_id: r, metric_key: 'm' })).body).toEqual({});
  });

  it('a logged model keeps a source run id it cannot check, as MLflow does', async () => {
    const e = await experiment();
    const id = await loggedModel(e, { source_run_id: '123' });
    expect((await api.get(`${M}/logged-models/${id}`)).body.model.info.source_run_id).toBe('123');
  });

  it('registering versions from a logged model lists them in its mlflow.modelVersions tag, in MLflow\'s JSON', async () => {
    const e = await experiment();
    const id = await loggedModel(e);
    const location = (await api.get(`${M}/logged-models/${id}`)).body.model.info.artifact_uri as string;
    await api.post(`${M}/registered-models/create`, { name: 'linked' });
    const tag = async () => (await api.get(`${M}/logged-models/${id}`)).body.model.info.tags
      .find((t: { key: string }) => t.key === 'mlflow.modelVersions')?.value;
    expect((await api.post(`${M}/model-versions/create`, { name: 'linked', source: location, model_id: id })).status).toBe(200);
    expect(await tag()).toBe('[{"name": "linked", "version": 1}]');
    expect((await api.post(`${M}/model-versions/create`, { name: 'linked', source: location, model_id: id })).status).toBe(200);
    expect(await tag()).toBe('[{"name": "linked", "version": 1}, {"name": "linked", "version": 2}]');
  });
});
