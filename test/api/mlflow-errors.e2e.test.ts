import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * The MLflow surface words errors as MLflow's server does, because the MLflow client and users' scripts match on
 * the words. Each expected sentence is copied from MLflow 3.11's source (mlflow/server/handlers.py,
 * mlflow/utils/validation.py, mlflow/store/tracking/sqlalchemy_store.py, mlflow/store/model_registry/sqlalchemy_store.py);
 * the native API keeps the platform's own wording.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const MISSING_RUN = 'f'.repeat(32);
const MISSING_MODEL = 'm-0123456789abcdef0123456789abcdef';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

const message = async (p: Promise<{ status: number; body: { error_code: string; message: string } }>) => {
  const res = await p;
  return [res.status, res.body.error_code, res.body.message];
};

describe("MLflow's error sentences on the MLflow surface", () => {
  it('words missing objects as MLflow does', async () => {
    const e = (await api.post(`${M}/experiments/create`, { name: 'errors' })).body.experiment_id as string;
    const runId = (await api.post(`${M}/runs/create`, { experiment_id: e })).body.run.info.run_id as string;
    const modelId = (await api.post(`${M}/logged-models`, { experiment_id: e })).body.model.info.model_id as string;
    await api.post(`${M}/registered-models/create`, { name: 'known' });
    const missing = (status: number, text: string) => [status, 'RESOURCE_DOES_NOT_EXIST', text];

    expect(await message(api.get(`${M}/runs/get`, { run_id: MISSING_RUN }))).toEqual(missing(404, `Run with id=${MISSING_RUN} not found`));
    expect(await message(api.get(`${M}/experiments/get`, { experiment_id: '987654' }))).toEqual(missing(404, 'No Experiment with id=987654 exists'));
    expect(await message(api.get(`${M}/experiments/get-by-name`, { experiment_name: 'nope' }))).toEqual(missing(404, "Could not find experiment with name 'nope'"));
    expect(await message(api.get(`${M}/registered-models/get`, { name: 'nope' }))).toEqual(missing(404, 'Registered Model with name=nope not found'));
    expect(await message(api.get(`${M}/model-versions/get`, { name: 'known', version: '7' }))).toEqual(missing(404, 'Model Version (name=known, version=7) not found'));
    expect(await message(api.get(`${M}/logged-models/${MISSING_MODEL}`))).toEqual(missing(404, `Logged model with ID '${MISSING_MODEL}' not found.`));
    expect(await message(api.post(`${M}/runs/delete-tag`, { run_id: runId, key: 'fakeTag' }))).toEqual(missing(404, `No tag with name: fakeTag in run with id ${runId}`));
    expect(await message(api.post(`${M}/experiments/delete-experiment-tag`, { experiment_id: e, key: 'fakeTag' })))
      .toEqual(missing(404, `No tag with name: fakeTag in experiment with id ${e}`));
    expect(await message(api.call('DELETE', `${M}/logged-models/${modelId}/tags/tag1`)))
      .toEqual(missing(404, `No tag with key 'tag1' found for model with ID '${modelId}'.`));
  });

  it('words bad request fields as MLflow does: the value given, as JSON, and the JSON path of the field', async () => {
    const e = (await api.post(`${M}/experiments/create`, { name: 'errors-fields' })).body.experiment_id as string;
    const runId = (await api.post(`${M}/runs/create`, { experiment_id: e })).body.run.info.run_id as string;
    const bad = async (p: string, body: unknown) => {
      const res = await api.post(`${M}/${p}`, body);
      expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      return res.body.message as string;
    };
    expect(await bad('runs/log-metric', { run_id: 31, key: 'metric', value: 41, timestamp: 59, step: 26 })).toContain("Invalid value 31 for parameter 'run_id' supplied");
    expect(await bad('runs/log-metric', { run_id: runId, key: 'foo', value: 31, timestamp: 59, step: 'foo' })).toContain(`Invalid value "foo" for parameter 'step' supplied`);
    expect(await bad('runs/log-batch', { run_id: runId, metrics: 'foo' })).toContain(`Invalid value "foo" for parameter 'metrics' supplied`);
    expect(await bad('experiments/create', { name: 123 })).toContain("Invalid value 123 for parameter 'name' supplied");
    // A number written with a fraction or an exponent is a float to MLflow's Python server, and echoed as Python writes it.
    const raw = (text: string) => bad('experiments/create', text);
    expect(await raw('{"name": "x", "artifact_location": 9.0, "tags": [{"key": "key", "value": "value"}]}'))
      .toContain("Invalid value 9.0 for parameter 'artifact_location' supplied");
    expect(await raw('{"name": "x", "artifact_location": 1.5E-7}')).toContain("Invalid value 1.5e-07 for parameter 'artifact_location' supplied");
    expect(await raw('{"name": "x", "artifact_location": 12345678901234567890}')).toContain("Invalid value 12345678901234567890 for parameter 'artifact_location'");
    expect(await raw('{"name": "x", "artifact_location": -0}')).toContain("Invalid value 0 for parameter 'artifact_location'");
    expect(await raw('{"name": "x", "tags": [{"key": "a", "value": "b"}, {"key": 1.0, "value": "c"}]}'))
      .toContain("Invalid value 1.0 for parameter 'tags[1].key' supplied");
    expect(await bad('runs/log-metric', { run_id: null, key: 'metric', value: 41, timestamp: 59 })).toContain("Missing value for required parameter 'run_id'");
    const tooMany = await api.get(`${M}/metrics/get-history-bulk-interval`, { run_ids: Array.from({ length: 101 }, (_, i) => `id_${i}`), metric_key: 'm' });
    expect(tooMany.body.message).toBe('GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received 101 run_ids.');
    const interval = async (query: Record<string, string | string[]>) => (await api.get(`${M}/metrics/get-history-bulk-interval`, query)).body.message as string;
    // Checked before any run is looked up, so an unknown run id still gets the sentence about the request.
    expect(await interval({ run_ids: ['123'], metric_key: 'key', max_results: '0' })).toBe('max_results must be between 1 and 2500.');
    expect(await interval({ run_ids: ['123'], metric_key: '' })).toContain("Missing value for required parameter 'metric_key'");
    expect(await interval({ run_ids: ['123'], metric_key: 'key', start_step: '1', end_step: '0' }))
      .toBe('end_step must be greater than start_step. Found start_step=1 and end_step=0.');
    expect(await interval({ run_ids: ['123'], metric_key: 'key', start_step: '1' })).toBe('If either start step or end step are specified, both must be specified.');
    const absent = await api.get(`${M}/metrics/get-history-bulk-interval`, { metric_key: 'm' });
    expect(absent.body.message).toContain("Missing value for required parameter 'run_ids'.");
    expect((await api.get(`${M}/model-versions/get`, { name: 'x', version: 'something not correct' })).body.message)
      .toBe("Parameter 'version' must be an integer, got 'something not correct'.");
  });

  it('refuses a model version source with relative path parts in MLflow\'s words', async () => {
    await api.post(`${M}/registered-models/create`, { name: 'sources' });
    for (const source of ['http://host:9000/models/../../../', 'mlflow-artifacts://host:9000/models/..%2f..%2fartifacts', 'mlflow-artifacts://host:9000/models/artifact%00']) {
      const res = await api.post(`${M}/model-versions/create`, { name: 'sources', source, run_id: MISSING_RUN });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(
        `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, ` +
          'or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.',
      );
    }
  });

  it('refuses a local path as the source of a version made from a logged model, as MLflow does', async () => {
    const e = (await api.post(`${M}/experiments/create`, { name: 'local-source' })).body.experiment_id as string;
    const modelId = (await api.post(`${M}/logged-models`, { experiment_id: e })).body.model.info.model_id as string;
    await api.post(`${M}/registered-models/create`, { name: 'local-source' });
    for (const source of ['file:///path/to/model', '/path/to/model']) {
      const res = await api.post(`${M}/model-versions/create`, { name: 'local-source', source, model_id: modelId });
      expect([res.status, res.body.message]).toEqual([400, expect.stringContaining(`Invalid model version source: '${source}'. To use a local path as a model version source`)]);
    }
    expect((await api.post(`${M}/model-versions/create`, { name: 'local-source', source: `models:/${modelId}`, model_id: modelId })).status).toBe(200);
  });

  it('the native API keeps the platform\'s own wording for the same error', async () => {
    const res = await api.get(`/api/v1/runs/${MISSING_RUN}`);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(`Run with id=${MISSING_RUN} does not exist`);
  });
});
