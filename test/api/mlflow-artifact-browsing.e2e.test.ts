import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * The endpoints MLflow's web UI and client call to browse a run's or a logged model's files and an experiment's
 * datasets, with the shapes and sentences of MLflow's server (mlflow/server/handlers.py).
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const AJAX = '/ajax-api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

const put = async (path: string, body: string) => {
  const res = await fetch(`${server.url}${A}/${path}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
  expect(res.status).toBe(200);
};

describe('browsing artifacts by run and by logged model', () => {
  it('lists a run\'s files with paths relative to the run\'s root, and refuses a path leaving it with "Invalid path"', async () => {
    const e = (await api.post(`${M}/experiments/create`, { name: 'browse' })).body.experiment_id as string;
    const run = (await api.post(`${M}/runs/create`, { experiment_id: e })).body.run.info;
    const root = (run.artifact_uri as string).replace(/^mlflow-artifacts:\//, '');
    await put(`${root}/model/MLmodel`, 'flavors: {}');
    await put(`${root}/model/weights.bin`, '12345');
    await put(`${root}/notes.txt`, 'hi');

    const top = await api.get(`${M}/artifacts/list`, { run_id: run.run_id });
    expect(top.body).toEqual({
      root_uri: run.artifact_uri,
      files: [{ path: 'model', is_dir: true }, { path: 'notes.txt', is_dir: false, file_size: 2 }],
    });
    const inner = await api.get(`${M}/artifacts/list`, { run_id: run.run_id, path: 'model' });
    expect(inner.body.files).toEqual([{ path: 'model/MLmodel', is_dir: false, file_size: 11 }, { path: 'model/weights.bin', is_dir: false, file_size: 5 }]);
    expect((await api.get(`${M}/artifacts/list`, { run_id: run.run_id, path: 'empty' })).body).toEqual({ root_uri: run.artifact_uri });

    for (const path of ['../path', '/etc', 'a/../../b']) {
      const bad = await api.get(`${M}/artifacts/list`, { run_id: run.run_id, path });
      expect([bad.status, bad.body]).toEqual([400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' }]);
    }
  });

  it("lists and serves a logged model's files by model id", async () => {
    const e = (await api.post(`${M}/experiments/create`, { name: 'browse-models' })).body.experiment_id as string;
    const model = (await api.post(`${M}/logged-models`, { experiment_id: e })).body.model.info;
    const root = (model.artifact_uri as string).replace(/^mlflow-artifacts:\//, '');
    await put(`${root}/MLmodel`, `model_id: ${model.model_id}\n`);

    const listed = await api.get(`${AJAX}/logged-models/${model.model_id}/artifacts/directories`);
    expect(listed.body).toEqual({ root_uri: model.artifact_uri, files: [{ path: 'MLmodel', is_dir: false, file_size: model.model_id.length + 11 }] });
    const file = await fetch(`${server.url}${AJAX}/logged-models/${model.model_id}/artifacts/files?artifact_file_path=MLmodel`);
    expect([file.status, await file.text()]).toEqual([200, `model_id: ${model.model_id}\n`]);

    const noPath = await api.get(`${AJAX}/logged-models/${model.model_id}/artifacts/files`);
    expect([noPath.status, noPath.body.message]).toEqual([400, 'Request must include the "artifact_file_path" query parameter.']);
    const escape = await api.get(`${AJAX}/logged-models/${model.model_id}/artifacts/files`, { artifact_file_path: '../../other' });
    expect([escape.status, escape.body.message]).toEqual([400, 'Invalid path']);
  });
});

describe('experiments/search-datasets', () => {
  it('summarises the datasets runs logged, with their context, as MLflow does', async () => {
    const e = (await api.post(`${M}/experiments/create`, { name: 'datasets-summary' })).body.experiment_id as string;
    const other = (await api.post(`${M}/experiments/create`, { name: 'datasets-other' })).body.experiment_id as string;
    const runIn = async (experimentId: string) => (await api.post(`${M}/runs/create`, { experiment_id: experimentId })).body.run.info.run_id as string;
    const dataset = (name: string, digest: string) => ({ name, digest, source_type: 'local', source: `/data/${name}` });
    const [r1, r2, r3] = [await runIn(e), await runIn(e), await runIn(other)];
    await api.post(`${M}/runs/log-inputs`, { run_id: r1, datasets: [{ dataset: dataset('train', 'd1'), tags: [{ key: 'mlflow.data.context', value: 'training' }] }] });
    // The same dataset again from another run, and one without a context.
    await api.post(`${M}/runs/log-inputs`, { run_id: r2, datasets: [{ dataset: dataset('train', 'd1'), tags: [{ key: 'mlflow.data.context', value: 'training' }] }, { dataset: dataset('eval', 'd2') }] });
    await api.post(`${M}/runs/log-inputs`, { run_id: r3, datasets: [{ dataset: dataset('elsewhere', 'd3') }] });

    const res = await api.post(`${AJAX}/experiments/search-datasets`, { experiment_ids: [e] });
    expect(res.status).toBe(200);
    expect(res.body.dataset_summaries).toEqual([
      { experiment_id: e, name: 'eval', digest: 'd2' },
      { experiment_id: e, name: 'train', digest: 'd1', context: 'training' },
    ]);

    const refused = async (body: unknown) => {
      const r = await api.post(`${AJAX}/experiments/search-datasets`, body);
      expect([r.status, r.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      return r.body.message as string;
    };
    expect(await refused({})).toBe('SearchDatasets request must specify at least one experiment_id.');
    expect(await refused({ experiment_ids: [] })).toBe('SearchDatasets request must specify at least one experiment_id.');
    expect(await refused({ experiment_ids: Array.from({ length: 21 }, (_, i) => `id_${i}`) }))
      .toBe('SearchDatasets request cannot specify more than 20 experiment_ids. Received 21 experiment_ids.');
  });
});
