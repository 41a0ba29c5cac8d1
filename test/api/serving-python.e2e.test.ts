import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type ChildServer } from '../support/child-server.js';
import { jsonClient, type JsonResponse } from '../support/http.js';

/**
 * A scikit-learn model (no ONNX flavor) served by a supervised Python scoring process: the real server,
 * the real process (Debian's python3 with python3-sklearn, speaking MLflow's /ping and /invocations),
 * through the same deployment, rollout and prediction-log machinery as ONNX models.
 */
const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/sklearn_scoring_server.py');
const MLMODEL = `flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.11.2
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.2.1
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double", "name": "b", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
`;
/** Exact points of y = 2a + 3b + intercept: the least-squares fit recovers the plane. */
const training = (intercept: number) => {
  const X = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 3]];
  return { columns: ['a', 'b'], X, y: X.map(([a, b]) => 2 * a! + 3 * b! + intercept) };
};

function scoringProcesses(serverPid: number): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${serverPid}/task`)) {
    const children = readFileSync(`/proc/${serverPid}/task/${task}/children`, 'utf8').trim();
    for (const pid of children ? children.split(/\s+/).map(Number) : []) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sklearn_scoring_server.py')) pids.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  }
  return pids;
}
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');

describe('models without an ONNX flavor, served by a supervised Python scoring process', () => {
  let home: string;
  let server: ChildServer;
  let api: ReturnType<typeof jsonClient>;
  const predict = (name: string, data: number[][], pathSuffix = 'invocations') =>
    api.post(`/serve/${name}/${pathSuffix}`, { dataframe_split: { columns: ['b', 'a'], data: data.map(([a, b]) => [b, a]) } });

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'oe-serving-python-'));
    server = await spawnServer(['--home', home, '--serving-python-command', `/usr/bin/python3 ${SCRIPT} --model {model_uri} --port {port}`]);
    api = jsonClient(server.url);
    expect((await api.post('/api/2.0/mlflow/registered-models/create', { name: 'houses' })).status).toBe(200);
    for (const v of [1, 2]) {
      for (const [file, body] of [['MLmodel', MLMODEL], ['training.json', JSON.stringify(training(v))]] as const) {
        expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/houses/v${v}/${file}`, { method: 'PUT', body })).status).toBe(200);
      }
      expect((await api.post('/api/2.0/mlflow/model-versions/create', { name: 'houses', source: `mlflow-artifacts:/houses/v${v}` })).status).toBe(200);
      const staged = await api.post('/api/2.0/mlflow/model-versions/transition-stage', { name: 'houses', version: String(v), stage: 'Staging', archive_existing_versions: false });
      expect(staged.status).toBe(200);
    }
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('deploys, answers /invocations and v2 with the fitted plane, and restarts the process when it dies', async () => {
    const created = await api.post('/api/v1/deployments', { name: 'houses', model: 'houses', version: 1, target: 'Staging', logging: { sampleRate: 1 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.stable.runtime).toEqual({ kind: 'python' });

    // y = 2a + 3b + 1: (1, 2) → 9, (0, 0) → 1, (−1, 0.5) → 0.5; columns sent in another order still map by name.
    const r = await predict('houses', [[1, 2], [0, 0], [-1, 0.5]]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    (r.body.predictions as number[]).forEach((v, i) => expect(v).toBeCloseTo([9, 1, 0.5][i]!, 9));
    const v2 = await api.post('/v2/models/houses/infer', { inputs: [{ name: 'a', datatype: 'FP64', shape: [1], data: [3] }, { name: 'b', datatype: 'FP64', shape: [1], data: [1] }] });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.outputs[0].data[0]).toBeCloseTo(10, 9);

    const [pid] = scoringProcesses(server.process.pid!);
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    let again: JsonResponse;
    const statuses = new Set<number>();
    do {
      again = await predict('houses', [[1, 1]]);
      statuses.add(again.status);
      if (again.status !== 200) await new Promise((res) => setTimeout(res, 200));
    } while (again.status !== 200 && Date.now() < deadline);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.predictions[0]).toBeCloseTo(6, 9);
    expect([...statuses].every((s) => s === 200 || s === 503)).toBe(true);
    expect(scoringProcesses(server.process.pid!)).not.toContain(pid);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/openexpert_serving_runtime_restarts_total\{deployment="houses",version="1"\} 1/);

    // Its output is kept, across the restart.
    const log = readFileSync(path.join(home, 'serving', 'logs', 'houses-v1.log'), 'utf8');
    expect(log.match(/--- .* starting: \/usr\/bin\/python3/g)?.length).toBeGreaterThanOrEqual(2);
    expect(log).toContain('fitted on 5 rows');
    expect(log).toMatch(/stopped: killed by SIGKILL/);
  }, 120_000);

  it('rolls a second Python version out beside the first, logs its predictions, and stops both processes on undeploy', async () => {
    const started = await api.post('/api/v1/deployments/houses/rollouts', { version: 2, strategy: 'canary', steps: [50, 100], interval: '1h' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const pids = scoringProcesses(server.process.pid!);
    expect(pids).toHaveLength(2);
    // Pinned to each version by URL: y = 2a + 3b + 1 and + 2.
    const columns = [{ name: 'a', datatype: 'FP64', shape: [1], data: [1] }, { name: 'b', datatype: 'FP64', shape: [1], data: [2] }];
    const one = await api.post('/v2/models/houses/versions/1/infer', { inputs: columns });
    const two = await api.post('/v2/models/houses/versions/2/infer', { inputs: columns });
    expect([one.body.outputs[0].data[0], two.body.outputs[0].data[0]].map((v: number) => Math.round(v * 1e9) / 1e9)).toEqual([9, 10]);
    await new Promise((res) => setTimeout(res, 600));
    const logged = (await api.get('/api/v1/deployments/houses/predictions', { version: '2' })).body.items;
    expect(logged[0]).toMatchObject({ version: '2', inputs: { a: { shape: [1], data: [1] }, b: { shape: [1], data: [2] } } });

    expect((await api.call('DELETE', '/api/v1/deployments/houses')).status).toBe(200);
    const deadline = Date.now() + 20_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);

  it('refuses a deploy it cannot run, saying what to install', async () => {
    const r = await api.post('/api/v1/deployments', {
      name: 'nopython', model: 'houses', version: 1, target: 'Staging', runtime: { kind: 'python', command: 'no-such-python-3 -m mlflow models serve -m {model_uri} -p {port}' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("'no-such-python-3' was not found");
    expect(r.body.error.message).toContain('pip install mlflow');
    expect((await api.get('/api/v1/deployments/nopython')).status).toBe(404);
  }, 60_000);
});
