import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/** The artifact proxy and logged-model calls the MLflow 3 client makes for log_artifact and log_model. */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const A = '/api/2.0/mlflow-artifacts/artifacts';
let exp: string;
let runId: string;
let root: string;

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
  exp = (await api.post(`${M}/experiments/create`, { name: 'artifacts' })).body.experiment_id;
  runId = (await api.post(`${M}/runs/create`, { experiment_id: exp })).body.run.info.run_id;
  root = `${exp}/${runId}/artifacts`;
});
afterAll(() => server.close());

const put = (p: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${A}/${p}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', ...headers } });

/** fetch() resolves `..` in URLs before sending; an attacker's client does not, so send the path raw. */
function rawPut(rawPath: string, body: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path: rawPath, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('log_artifact / list_artifacts / download_artifacts', () => {
  it('uploads, lists with sizes and directories, downloads byte-identical, records sha256', async () => {
    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 256));
    const run = await api.get(`${M}/runs/get`, { run_id: runId });
    expect(run.body.run.info.artifact_uri).toBe(`mlflow-artifacts:/${root}`);
    expect((await put(`${root}/data/weights.bin`, bytes)).status).toBe(200);
    // A JSON file keeps its bytes: uploads are never parsed, whatever the content type.
    expect((await put(`${root}/config.json`, '{"lr": 0.1}', { 'content-type': 'application/json' })).status).toBe(200);

    const listing = await api.get(A, { path: root });
    expect(listing.body).toEqual({ files: [{ path: 'config.json', is_dir: false, file_size: 11 }, { path: 'data', is_dir: true }] });
    expect((await api.get(A, { path: `${root}/data` })).body).toEqual({ files: [{ path: 'weights.bin', is_dir: false, file_size: 100_000 }] });
    expect((await api.get(A, { path: `${root}/missing` })).body).toEqual({});

    const res = await fetch(`${server.url}${A}/${root}/data/weights.bin`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(res.headers.get('x-artifact-sha256')).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await (await fetch(`${server.url}${A}/${root}/config.json`)).text()).toBe('{"lr": 0.1}');

    const ranged = await fetch(`${server.url}${A}/${root}/data/weights.bin`, { headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true);
  });

  it('deletes files and answers 404 for what is gone', async () => {
    await put(`${root}/tmp/x.txt`, 'x');
    expect((await api.call('DELETE', `${A}/${root}/tmp/x.txt`)).status).toBe(200);
    const gone = await api.get(`${A}/${root}/tmp/x.txt`);
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it.each([
    ['../../../../../escape.txt'],
    ['%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/escape.txt'],
    ['%252e%252e/%252e%252e/%252e%252e/%252e%252e/%252e%252e/escape.txt'],
    ['..%2f..%2f..%2f..%2f..%2fescape.txt'],
    ['%2Ftmp%2Fescape.txt', ''],
  ])('rejects traversal %s with 400 and writes nothing outside the root', async (p, under = 'run root') => {
    const res = await rawPut(under ? `${A}/${root}/${p}` : `${A}/${p}`, 'evil');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(fs.existsSync(path.join(server.home, 'escape.txt'))).toBe(false);
    expect(fs.existsSync(path.join(server.home, 'artifacts', 'escape.txt'))).toBe(false);
  });

  it('rejects a symlink that leads out of the root', async () => {
    const dir = path.join(server.home, 'artifacts', root);
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync('/etc', path.join(dir, 'link'));
    const res = await fetch(`${server.url}${A}/${root}/link/hostname`);
    expect(res.status).toBe(400);
  });

  it('does multipart uploads through part URLs that lead back to the server', async () => {
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from('tail');
    const created = await api.post(`/api/2.0/mlflow-artifacts/mpu/create/${root}/big`, { path: '/tmp/local/model.bin', num_parts: 2 });
    expect(created.status).toBe(200);
    expect(created.body.credentials).toHaveLength(2);
    const parts = [];
    for (const [i, data] of [part1, part2].entries()) {
      const cred = created.body.credentials[i];
      const res = await fetch(cred.url, { method: 'PUT', body: data, headers: cred.headers });
      expect(res.status).toBe(200);
      parts.push({ part_number: cred.part_number, etag: res.headers.get('etag') ?? '', url: cred.url });
    }
    const done = await api.post(`/api/2.0/mlflow-artifacts/mpu/complete/${root}/big`, { path: '/tmp/local/model.bin', upload_id: created.body.upload_id, parts });
    expect(done.status).toBe(200);
    const res = await fetch(`${server.url}${A}/${root}/big/model.bin`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.concat([part1, part2]))).toBe(true);
  });
});

describe('log_model through the MLflow 3 logged-model endpoints', () => {
  it('creates, uploads, finalizes, tags and finds a logged model', async () => {
    const created = await api.post(`${M}/logged-models`, { experiment_id: exp, name: 'model', source_run_id: runId, model_type: 'Classifier', params: [{ key: 'C', value: '1.0' }] });
    expect(created.status).toBe(200);
    const info = created.body.model.info;
    expect(info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(info).toMatchObject({ experiment_id: exp, name: 'model', status: 'LOGGED_MODEL_PENDING', source_run_id: runId, artifact_uri: `mlflow-artifacts:/${exp}/models/${info.model_id}/artifacts` });
    expect(created.body.model.data).toEqual({ params: [{ key: 'C', value: '1.0' }] });
    expect((await api.post(`${M}/runs/outputs`, { run_id: runId, models: [{ model_id: info.model_id, step: 0 }] })).status).toBe(200);
    expect((await api.get(`${M}/logged-models/${info.model_id}`)).body.model.info.model_id).toBe(info.model_id);

    const mlmodel = 'artifact_path: model\nflavors:\n  sklearn:\n    sklearn_version: 1.5.0\nmodel_id: ' + info.model_id + '\n';
    expect((await put(`${exp}/models/${info.model_id}/artifacts/MLmodel`, mlmodel)).status).toBe(200);
    const ready = await api.call('PATCH', `${M}/logged-models/${info.model_id}`, { status: 'LOGGED_MODEL_READY' });
    expect(ready.body.model.info.status).toBe('LOGGED_MODEL_READY');
    const tagged = await api.call('PATCH', `${M}/logged-models/${info.model_id}/tags`, { tags: [{ key: 'mlflow.modelVersions', value: '[]' }] });
    expect(tagged.body.model.info.tags).toEqual([{ key: 'mlflow.modelVersions', value: '[]' }]);

    const found = await api.post(`${M}/logged-models/search`, { experiment_ids: [exp], filter: "name = 'model'" });
    expect(found.body.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([info.model_id]);
    expect((await api.post(`${M}/logged-models/search`, { experiment_ids: [exp], filter: "name = 'other'" })).body).toEqual({});
    const bad = await api.call('PATCH', `${M}/logged-models/${info.model_id}`, { status: 'DONE' });
    expect(bad.status).toBe(400);
    expect((await api.get(`${M}/logged-models/m-doesnotexist`)).status).toBe(404);
  });
});
