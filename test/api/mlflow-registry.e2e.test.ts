import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * The request sequences the MLflow 3 Python client sends to register a model, set an alias, move stages
 * and load by alias (see shared/MLFLOW-WIRE.md), with the field names and errors of MLflow's registry API.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

const del = (path: string, body: unknown) => api.call('DELETE', path, body);
const patch = (path: string, body: unknown) => api.call('PATCH', path, body);

/** An MLmodel file as MLflow 3 writes it for a scikit-learn model. */
const MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.9
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.1
mlflow_version: 3.1.0
model_id: MODEL_ID
model_size_bytes: 1130
model_uuid: 6f1c2d1be3e54c3f9b7a0b2c6c0e8a11
run_id: RUN_ID
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: dataframe
  pandas_orient: split
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2025-06-01 10:00:00.000000'
`;

/** `mlflow.sklearn.log_model(model, name="model", registered_model_name=...)` up to the registration. */
async function logModel(experimentId: string, runId: string): Promise<{ modelId: string; artifactUri: string }> {
  const created = await api.post(`${M}/logged-models`, { experiment_id: experimentId, name: 'model', source_run_id: runId, model_type: '' });
  expect(created.status).toBe(200);
  const { model_id: modelId, artifact_uri: artifactUri } = created.body.model.info as { model_id: string; artifact_uri: string };
  expect((await api.post(`${M}/runs/outputs`, { run_id: runId, models: [{ model_id: modelId, step: 0 }] })).status).toBe(200);
  const root = artifactUri.replace(/^mlflow-artifacts:\//, '');
  for (const [file, body] of [['MLmodel', MLMODEL.replace('MODEL_ID', modelId).replace('RUN_ID', runId)], ['model.pkl', 'pickled-bytes']] as const) {
    const res = await fetch(`${server.url}${A}/${root}/${file}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
  }
  expect((await patch(`${M}/logged-models/${modelId}`, { status: 'LOGGED_MODEL_READY' })).status).toBe(200);
  return { modelId, artifactUri };
}

async function newRun(experimentId: string, tags: { key: string; value: string }[] = []): Promise<string> {
  const res = await api.post(`${M}/runs/create`, { experiment_id: experimentId, start_time: Date.now(), tags: [{ key: 'mlflow.user', value: 'alice' }, ...tags] });
  expect(res.status).toBe(200);
  return res.body.run.info.run_id as string;
}

describe('MLflow model registry API', () => {
  it('registers a logged model (log_model with registered_model_name), reading signature and flavors from MLmodel', async () => {
    const exp = (await api.post(`${M}/experiments/create`, { name: 'registry-e2e' })).body.experiment_id as string;
    const runId = await newRun(exp);
    const { modelId, artifactUri } = await logModel(exp, runId);

    const created = await api.post(`${M}/registered-models/create`, { name: 'churn' });
    expect(created.status).toBe(200);
    expect(created.body.registered_model).toEqual({
      name: 'churn', creation_timestamp: expect.any(Number), last_updated_timestamp: created.body.registered_model.creation_timestamp,
    });
    // The client creates the registered model on every registration and carries on when it exists.
    const again = await api.post(`${M}/registered-models/create`, { name: 'churn' });
    expect(again.status).toBe(400);
    expect(again.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');

    const mv = await api.post(`${M}/model-versions/create`, { name: 'churn', source: `models:/${modelId}`, run_id: runId, model_id: modelId });
    expect(mv.status).toBe(200);
    expect(mv.body.model_version).toEqual({
      name: 'churn', version: '1', creation_timestamp: expect.any(Number), last_updated_timestamp: expect.any(Number), user_id: 'anonymous',
      current_stage: 'None', source: `models:/${modelId}`, run_id: runId, status: 'READY', model_id: modelId,
      // As MLflow's server answers (recorded from MLflow 3.11): unset description and run_link read back as "".
      description: '', run_link: '',
    });
    expect((await api.get(`${M}/model-versions/get`, { name: 'churn', version: '1' })).body.model_version.status).toBe('READY');
    expect((await patch(`${M}/logged-models/${modelId}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "churn", "version": "1"}]' }] })).status).toBe(200);

    const native = await api.get('/api/v1/models/churn/versions/1');
    expect(native.body.metadata).toEqual({
      flavors: {
        python_function: {
          env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' }, loader_module: 'mlflow.sklearn', model_path: 'model.pkl',
          predict_fn: 'predict', python_version: '3.11.9',
        },
        sklearn: { code: null, pickled_model: 'model.pkl', serialization_format: 'cloudpickle', sklearn_version: '1.5.1' },
      },
      signature: { inputs: '[{"type": "double", "name": "x", "required": true}]', outputs: '[{"type": "long", "required": true}]' },
      modelUuid: '6f1c2d1be3e54c3f9b7a0b2c6c0e8a11',
      runId,
      savedInputExampleInfo: { artifact_path: 'input_example.json', serving_input_path: 'serving_input_example.json', type: 'dataframe', pandas_orient: 'split' },
    });

    // Loading `models:/churn@challenger`: alias → version → download URI → files through the artifact proxy.
    expect((await api.post(`${M}/registered-models/alias`, { name: 'churn', alias: 'challenger', version: '1' })).status).toBe(200);
    const byAlias = await api.get(`${M}/registered-models/alias`, { name: 'churn', alias: 'challenger' });
    expect(byAlias.status).toBe(200);
    expect(byAlias.body.model_version).toMatchObject({ version: '1', aliases: ['challenger'] });
    const uri = await api.get(`${M}/model-versions/get-download-uri`, { name: 'churn', version: '1' });
    expect(uri.body).toEqual({ artifact_uri: artifactUri });
    const file = await fetch(`${server.url}${A}/${artifactUri.replace(/^mlflow-artifacts:\//, '')}/model.pkl`);
    expect(await file.text()).toBe('pickled-bytes');
    const model = (await api.get(`${M}/registered-models/get`, { name: 'churn' })).body.registered_model;
    expect(model.aliases).toEqual([{ alias: 'challenger', version: '1' }]);
    expect(model.latest_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([['1', 'None']]);

    const missing = await api.get(`${M}/registered-models/alias`, { name: 'churn', alias: 'nope' });
    expect(missing.status).toBe(400);
    expect(missing.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await api.post(`${M}/registered-models/alias`, { name: 'churn', alias: 'latest', version: '1' })).status).toBe(400);
    const onGone = await api.post(`${M}/registered-models/alias`, { name: 'churn', alias: 'x', version: '9' });
    expect([onGone.status, onGone.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect((await del(`${M}/registered-models/alias`, { name: 'churn', alias: 'challenger' })).status).toBe(200);
    expect((await api.get(`${M}/registered-models/alias`, { name: 'churn', alias: 'challenger' })).status).toBe(400);
  });

  it('returns a runs:/ source unchanged as the download URI, and reads MLmodel from the run artifacts', async () => {
    const exp = (await api.post(`${M}/experiments/create`, { name: 'registry-runs-source' })).body.experiment_id as string;
    const runId = await newRun(exp);
    const run = (await api.get(`${M}/runs/get`, { run_id: runId })).body.run;
    const root = (run.info.artifact_uri as string).replace(/^mlflow-artifacts:\//, '');
    await fetch(`${server.url}${A}/${root}/model/MLmodel`, { method: 'PUT', body: MLMODEL, headers: { 'content-type': 'application/octet-stream' } });
    await api.post(`${M}/registered-models/create`, { name: 'from-run' });
    const mv = await api.post(`${M}/model-versions/create`, { name: 'from-run', source: `runs:/${runId}/model`, run_id: runId });
    expect(mv.body.model_version).toMatchObject({ version: '1', source: `runs:/${runId}/model`, run_id: runId });
    expect((await api.get(`${M}/model-versions/get-download-uri`, { name: 'from-run', version: '1' })).body).toEqual({ artifact_uri: `runs:/${runId}/model` });
    expect((await api.get('/api/v1/models/from-run/versions/1')).body.metadata.modelUuid).toBe('6f1c2d1be3e54c3f9b7a0b2c6c0e8a11');

    const traversal = await api.post(`${M}/model-versions/create`, { name: 'from-run', source: 'mlflow-artifacts:/1/..%2f..%2fetc' });
    expect([traversal.status, traversal.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const badModel = await api.post(`${M}/model-versions/create`, { name: 'from-run', source: 'models:/m-00000000000000000000000000000000', model_id: 'm-00000000000000000000000000000000' });
    expect(badModel.status).toBe(404);
    expect((await api.get(`${M}/model-versions/get`, { name: 'from-run', version: '2' })).status).toBe(404);
  });

  it('moves stages as the client asks, gated by the default Production policy', async () => {
    const exp = (await api.post(`${M}/experiments/create`, { name: 'registry-stages' })).body.experiment_id as string;
    const runId = await newRun(exp, [{ key: 'mlflow.source.git.commit', value: 'abc123' }]);
    await api.post(`${M}/registered-models/create`, { name: 'stages' });
    for (let i = 0; i < 2; i++) await api.post(`${M}/model-versions/create`, { name: 'stages', source: `runs:/${runId}/model`, run_id: runId });

    const staged = await api.post(`${M}/model-versions/transition-stage`, { name: 'stages', version: '1', stage: 'staging', archive_existing_versions: false });
    expect(staged.status).toBe(200);
    expect(staged.body.model_version).toMatchObject({ version: '1', current_stage: 'Staging' });
    const bad = await api.post(`${M}/model-versions/transition-stage`, { name: 'stages', version: '1', stage: 'Prod', archive_existing_versions: false });
    expect([bad.status, bad.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(bad.body.message).toContain('None, Staging, Production, Archived');
    const noArchive = await api.post(`${M}/model-versions/transition-stage`, { name: 'stages', version: '2', stage: 'Archived', archive_existing_versions: true });
    expect(noArchive.status).toBe(400);

    // The built-in default: Production needs git_commit, dataset_version, author, experiment_type and one approval.
    const blocked = await api.post(`${M}/model-versions/transition-stage`, { name: 'stages', version: '1', stage: 'Production', archive_existing_versions: false });
    expect([blocked.status, blocked.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(blocked.body.message).toContain('lacks tags: dataset_version, experiment_type');
    expect(blocked.body.message).toContain('0 of 1 approvals');
    expect(blocked.body.message).not.toContain('git_commit (or');
    expect((await api.get(`${M}/model-versions/get`, { name: 'stages', version: '1' })).body.model_version.current_stage).toBe('Staging');
    const champion = await api.post(`${M}/registered-models/alias`, { name: 'stages', alias: 'champion', version: '1' });
    expect(champion.status).toBe(400);
    expect(champion.body.message).toContain('approvals');
    const history = await api.get('/api/v1/models/stages/history');
    expect(history.body.items.map((h: { version: number; fromStage: string; toStage: string }) => [h.version, h.fromStage, h.toStage])).toEqual([[1, 'None', 'Staging']]);

    const latest = await api.get(`${M}/registered-models/get-latest-versions`, { name: 'stages', stages: ['Staging', 'None'] });
    expect(latest.body.model_versions.map((v: { version: string; current_stage: string }) => [v.version, v.current_stage])).toEqual([['2', 'None'], ['1', 'Staging']]);
    const latestPost = await api.post(`${M}/registered-models/get-latest-versions`, { name: 'stages', stages: ['production'] });
    expect(latestPost.body).toEqual({});
  });

  it('searches registered models as the MLflow 3 client does, leaving prompts out', async () => {
    for (const [name, tags] of [
      ['fraud-detector', [{ key: 'team', value: 'risk' }]],
      ['fraud-scorer', []],
      ['fraud-prompt', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]],
      ['Fraud-upper', []],
    ] as const) {
      expect((await api.post(`${M}/registered-models/create`, { name, tags })).status).toBe(200);
    }
    const search = (query: Record<string, string | string[]>) => api.get(`${M}/registered-models/search`, query);
    const names = (res: Awaited<ReturnType<typeof search>>) => (res.body.registered_models ?? []).map((m: { name: string }) => m.name);
    const clause = "tags.`mlflow.prompt.is_prompt` != 'true'";
    expect(names(await search({ filter: `name LIKE 'fraud%' AND ${clause}`, max_results: '100' }))).toEqual(['fraud-detector', 'fraud-scorer']);
    expect(names(await search({ filter: `name ILIKE 'fraud%' AND ${clause}`, order_by: 'name DESC' }))).toEqual(['fraud-scorer', 'fraud-detector', 'Fraud-upper']);
    expect(names(await search({ filter: `tags.team = 'risk' AND ${clause}` }))).toEqual(['fraud-detector']);
    expect(names(await search({ filter: "name = 'fraud-scorer'" }))).toEqual(['fraud-scorer']);
    expect(names(await search({ filter: "tags.`mlflow.prompt.is_prompt` = 'true'" }))).toEqual(['fraud-prompt']);

    const first = await search({ filter: `name ILIKE 'fraud%' AND ${clause}`, max_results: '2' });
    expect(names(first)).toEqual(['Fraud-upper', 'fraud-detector']);
    const second = await search({ filter: `name ILIKE 'fraud%' AND ${clause}`, max_results: '2', page_token: first.body.next_page_token });
    expect(names(second)).toEqual(['fraud-scorer']);
    expect(second.body.next_page_token).toBeUndefined();

    expect((await api.post(`${M}/registered-models/search`, {})).status).toBe(404);
    const badAttr = await search({ filter: "description = 'x'" });
    expect([badAttr.status, badAttr.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect((await search({ order_by: 'creation_timestamp DESC' })).status).toBe(400);
    expect((await search({ max_results: '5000' })).status).toBe(400);
  });

  it('searches, tags, updates, renames and deletes versions and models', async () => {
    await api.post(`${M}/registered-models/create`, { name: 'crud', description: 'first' });
    for (const run of ['r1', 'r2', 'r3']) await api.post(`${M}/model-versions/create`, { name: 'crud', source: `runs:/${run}/model`, run_id: run });
    const versions = async (filter: string, orderBy?: string) =>
      ((await api.get(`${M}/model-versions/search`, { filter, ...(orderBy ? { order_by: orderBy } : {}) })).body.model_versions ?? []).map((v: { version: string }) => v.version);
    expect(await versions("name = 'crud'", 'version_number ASC')).toEqual(['1', '2', '3']);
    expect(await versions("name = 'crud' and run_id = 'r2'")).toEqual(['2']);
    expect(await versions("name='crud' AND version_number > 1", 'version_number DESC')).toEqual(['3', '2']);

    expect((await api.post(`${M}/model-versions/set-tag`, { name: 'crud', version: '2', key: 'validated', value: 'yes' })).status).toBe(200);
    expect(await versions("name = 'crud' and tags.validated = 'yes'")).toEqual(['2']);
    expect((await del(`${M}/model-versions/delete-tag`, { name: 'crud', version: '2', key: 'validated' })).status).toBe(200);
    expect(await versions("name = 'crud' and tags.validated = 'yes'")).toEqual([]);
    expect((await api.post(`${M}/registered-models/set-tag`, { name: 'crud', key: 'owner', value: 'ml' })).status).toBe(200);
    expect((await api.get(`${M}/registered-models/get`, { name: 'crud' })).body.registered_model.tags).toEqual([{ key: 'owner', value: 'ml' }]);
    expect((await del(`${M}/registered-models/delete-tag`, { name: 'crud', key: 'owner' })).status).toBe(200);

    const updated = await patch(`${M}/registered-models/update`, { name: 'crud', description: 'second' });
    expect(updated.body.registered_model.description).toBe('second');
    const mvUpdated = await patch(`${M}/model-versions/update`, { name: 'crud', version: '1', description: 'v1 notes' });
    expect(mvUpdated.body.model_version.description).toBe('v1 notes');

    const renamed = await api.post(`${M}/registered-models/rename`, { name: 'crud', new_name: 'crud2' });
    expect(renamed.body.registered_model.name).toBe('crud2');
    expect((await api.get(`${M}/model-versions/get`, { name: 'crud2', version: '3' })).body.model_version.name).toBe('crud2');
    expect((await api.get(`${M}/registered-models/get`, { name: 'crud' })).status).toBe(404);

    expect((await del(`${M}/model-versions/delete`, { name: 'crud2', version: '3' })).status).toBe(200);
    expect((await api.post(`${M}/model-versions/create`, { name: 'crud2', source: 'runs:/r4/model' })).body.model_version.version).toBe('4');
    expect((await del(`${M}/registered-models/delete`, { name: 'crud2' })).status).toBe(200);
    const gone = await api.get(`${M}/registered-models/get`, { name: 'crud2' });
    expect([gone.status, gone.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    expect((await api.post(`${M}/registered-models/create`, { name: 'bad/name' })).status).toBe(400);
    expect((await api.post(`${M}/registered-models/create`, {})).body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect((await api.get(`${M}/model-versions/get`, { name: 'crud2', version: 'one' })).status).toBe(400);
  });
});
