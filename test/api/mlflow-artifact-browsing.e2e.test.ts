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

describe("MLflow web UI's upload and download endpoints", () => {
  const upload = (query: Record<string, string>, body?: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${AJAX}/upload-artifact?${new URLSearchParams(query).toString()}`, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
  const download = (path: string, query: Record<string, string>) => fetch(`${server.url}${path}?${new URLSearchParams(query).toString()}`);
  const refusal = async (res: Response) => [res.status, await res.json()] as const;
  const errorOf = async (res: Response) => (await res.json()) as { error_code: string; message: string };
  const newRun = async (name: string) => {
    const e = (await api.post(`${M}/experiments/create`, { name })).body.experiment_id as string;
    return (await api.post(`${M}/runs/create`, { experiment_id: e })).body.run.info as { run_id: string; artifact_uri: string };
  };

  it('stores an uploaded body as the run\'s file, whatever content type it declares, and serves it back as an attachment', async () => {
    const run = await newRun('ui-upload');
    // No content type (what `requests.post(data=...)` sends), a JSON file the browser labels application/json, an image.
    expect((await upload({ run_uuid: run.run_id, path: 'test.txt' }, 'hello world')).status).toBe(200);
    expect((await upload({ run_uuid: run.run_id, path: 'conf/params.json' }, '{"not": "parsed"', { 'content-type': 'application/json' })).status).toBe(200);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255]);
    expect((await upload({ run_uuid: run.run_id, path: 'plots/a.png' }, png, { 'content-type': 'image/png' })).status).toBe(200);

    const text = await download('/get-artifact', { run_uuid: run.run_id, path: 'test.txt' });
    expect([text.status, await text.text()]).toEqual([200, 'hello world']);
    expect(text.headers.get('content-type')).toBe('text/plain');
    expect(text.headers.get('content-disposition')).toBe('attachment; filename="test.txt"; filename*=UTF-8\'\'test.txt');
    expect(text.headers.get('x-content-type-options')).toBe('nosniff');
    const json = await download('/get-artifact', { run_id: run.run_id, path: 'conf/params.json' });
    expect(await json.text()).toBe('{"not": "parsed"');
    const image = await download('/get-artifact', { run_id: run.run_id, path: 'plots/a.png' });
    expect([image.headers.get('content-type'), Buffer.from(await image.arrayBuffer())]).toEqual(['image/png', png]);

    // The same files through the artifact proxy and the run's listing.
    const root = run.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    expect(await (await fetch(`${server.url}${A}/${root}/test.txt`)).text()).toBe('hello world');
    const listed = await api.get(`${M}/artifacts/list`, { run_id: run.run_id });
    expect(listed.body.files).toEqual([
      { path: 'conf', is_dir: true }, { path: 'plots', is_dir: true }, { path: 'test.txt', is_dir: false, file_size: 11 },
    ]);
  });

  it("refuses an upload without run, path or data, a path leaving the run's root, and a body over 10 MB, with MLflow's sentences", async () => {
    const run = await newRun('ui-upload-refusals');
    const bad = (message: string) => [400, { error_code: 'INVALID_PARAMETER_VALUE', message }] as const;
    expect(await refusal(await upload({}))).toEqual(bad('Request must specify run_uuid.'));
    expect(await refusal(await upload({ run_uuid: run.run_id }))).toEqual(bad('Request must specify path.'));
    expect(await refusal(await upload({ run_uuid: run.run_id, path: '' }))).toEqual(bad('Request must specify path.'));
    for (const path of ['../test.txt', 'a/../../b.txt', '/etc/passwd', '%2e%2e/x', 'a\\..\\b']) {
      expect(await refusal(await upload({ run_uuid: run.run_id, path }, 'x'))).toEqual(bad('Invalid path'));
    }
    expect(await refusal(await upload({ run_uuid: run.run_id, path: 'test.txt' }))).toEqual(bad('Request must specify data.'));
    expect(await refusal(await upload({ run_uuid: run.run_id, path: 'big.bin' }, Buffer.alloc(10 * 1024 * 1024 + 1))))
      .toEqual(bad('Artifact size is too large. Max size is 10MB.'));
    const missing = await upload({ run_uuid: 'f'.repeat(32), path: 'test.txt' }, 'x');
    expect([missing.status, (await errorOf(missing)).error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    // Nothing refused was stored.
    expect((await api.get(`${M}/artifacts/list`, { run_id: run.run_id })).body).toEqual({ root_uri: run.artifact_uri });
  });

  it("serves a model version's files by name and version, and refuses paths leaving its root before looking anything up", async () => {
    const run = await newRun('ui-model-files');
    await upload({ run_uuid: run.run_id, path: 'model/MLmodel' }, 'flavors: {}\n');
    await api.post(`${M}/registered-models/create`, { name: 'ui-files' });
    await api.post(`${M}/model-versions/create`, { name: 'ui-files', source: `runs:/${run.run_id}/model`, run_id: run.run_id });
    await api.post(`${M}/model-versions/create`, { name: 'ui-files', source: `${run.artifact_uri}/model`, run_id: run.run_id });
    await api.post(`${M}/model-versions/create`, { name: 'ui-files', source: 's3://elsewhere/model' });

    for (const version of ['1', '2']) {
      const file = await download('/model-versions/get-artifact', { name: 'ui-files', version, path: 'MLmodel' });
      expect([file.status, file.headers.get('content-type'), await file.text()]).toEqual([200, 'text/plain', 'flavors: {}\n']);
    }
    const outside = await download('/model-versions/get-artifact', { name: 'ui-files', version: '3', path: 'MLmodel' });
    expect([outside.status, (await errorOf(outside)).message]).toEqual([400,
      "The files of model version 3 of 'ui-files' are not in this server's artifact store: download them from 's3://elsewhere/model'"]);

    const invalidPath = [400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' }] as const;
    // MLflow's own test asks with a double slash and a model that does not exist.
    for (const path of ['/model-versions/get-artifact', '//model-versions/get-artifact']) {
      expect(await refusal(await download(path, { name: 'model', version: '1', path: '../path' }))).toEqual(invalidPath);
    }
    expect(await refusal(await download('/model-versions/get-artifact', { name: 'ui-files', version: '1', path: '../../other/MLmodel' }))).toEqual(invalidPath);
    expect(await refusal(await download('/get-artifact', { run_id: run.run_id, path: '../path' }))).toEqual(invalidPath);
    expect(await refusal(await download('/get-artifact', { run_id: run.run_id, path: '/etc/passwd' }))).toEqual(invalidPath);
    expect(await refusal(await download('/get-artifact', { run_id: run.run_id }))).toEqual([400, {
      error_code: 'INVALID_PARAMETER_VALUE', message: "Missing value for required parameter 'path'",
    }]);
    const unknown = await download('/model-versions/get-artifact', { name: 'ui-files', version: '9', path: 'MLmodel' });
    expect([unknown.status, (await errorOf(unknown)).message]).toEqual([404, 'Model Version (name=ui-files, version=9) not found']);
    const noFile = await download('/get-artifact', { run_id: run.run_id, path: 'model/absent.txt' });
    expect([noFile.status, (await errorOf(noFile)).error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
  });
});
