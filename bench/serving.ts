/**
 * Inference throughput and latency through the server: a logistic regression and a small MLP in ONNX,
 * through `/v2/models/{name}/infer` and MLflow's `/invocations`, at concurrency 1, 16 and 64, with and
 * without micro-batching; the router's overhead against calling onnxruntime directly; deploy/undeploy
 * churn (operations per second, failures); and a supervised Python scoring process against the same
 * process called directly. Run with
 * `npx tsx bench/serving.ts [--duration=S] [--peer=http://host:port]`; prints JSON.
 *
 * The server runs as a child process (`openexpert server`), so autocannon's client work here does not
 * share its event loop; on a 2-core machine they still share the CPU. `--peer` points at an MLflow
 * scoring server (`mlflow models serve`) serving the same MLP, for the ratio DESIGN.md asks for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { percentile, runLoadTest, type LoadTestSummary } from '../src/cli/load-test.js';
import { freePort, spawnServer } from '../test/support/child-server.js';
import { linearModel, mlpModel } from '../test/support/onnx-models.js';

export interface ServingBenchOptions {
  /** Seconds per load run (3 by default). */
  readonly durationS?: number;
  readonly concurrencies?: readonly number[];
  /** An MLflow scoring server serving the MLP below, measured with the same load for the ratio. */
  readonly peerUrl?: string;
  /** Deploy+undeploy pairs in the churn run (30 by default), 10 at a time. */
  readonly churnOperations?: number;
  /** Only these parts (`--only=python,churn`): onnx (load runs and direct calls), churn, python. All by default. */
  readonly only?: readonly string[];
}

const FEATURES = 20;
const HIDDEN = 64;

const mlmodel = (inputs: number, outputs: number) => `flavors:
  onnx:
    model_file: model.onnx
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, ${inputs}]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, ${outputs}]}, "name": "y"}]'
`;

const row = Array.from({ length: FEATURES }, (_, i) => ((i * 37) % 11) / 10 - 0.5);
const v2Body = JSON.stringify({ inputs: [{ name: 'x', shape: [1, FEATURES], datatype: 'FP32', data: row }] });
const invocationsBody = JSON.stringify({ inputs: [row] });

async function post(url: string, body: unknown, method = 'POST'): Promise<unknown> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function register(base: string, name: string, model: Uint8Array, outputs: number): Promise<void> {
  for (const [file, body] of [['MLmodel', mlmodel(FEATURES, outputs)], ['model.onnx', model]] as const) {
    const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/bench/${name}/${file}`, { method: 'PUT', body });
    if (!res.ok) throw new Error(`upload ${file}: ${res.status}`);
  }
  await post(`${base}/api/2.0/mlflow/registered-models/create`, { name });
  await post(`${base}/api/2.0/mlflow/model-versions/create`, { name, source: `mlflow-artifacts:/bench/${name}` });
  await post(`${base}/api/2.0/mlflow/registered-models/alias`, { name, alias: 'live', version: '1' });
}

/** Sequential session.run calls in this process: the floor any server adds to. */
async function direct(model: Uint8Array, calls: number) {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  const feeds = { x: new ort.Tensor('float32', Float32Array.from(row), [1, FEATURES]) };
  for (let i = 0; i < 200; i++) await session.run(feeds);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { callsPerSecond: Math.round(calls / elapsed), p50Ms: round3(percentile(times, 50)), p99Ms: round3(percentile(times, 99)) };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Deploy/undeploy churn: `operations` create+delete pairs, `concurrency` at a time, on one live server. */
async function churn(base: string, operations: number, concurrency: number) {
  let failures = 0;
  const failuresSeen: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < operations) {
      const i = next++;
      for (const [method, url, body] of [
        ['POST', `${base}/api/v1/deployments`, { name: `churn-${i}`, model: 'mlp', alias: 'live', batching: { workers: 1 } }],
        ['DELETE', `${base}/api/v1/deployments/churn-${i}`, undefined],
      ] as const) {
        const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, ...(body ? { body: JSON.stringify(body) } : {}) });
        if (!res.ok) {
          failures++;
          if (failuresSeen.length < 3) failuresSeen.push(`${method} ${res.status} ${(await res.text()).slice(0, 200)}`);
        } else {
          await res.arrayBuffer();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { operations: operations * 2, concurrency, seconds: round3(seconds), operationsPerSecond: round3((operations * 2) / seconds), failures, ...(failuresSeen.length ? { failuresSeen } : {}) };
}

const PYTHON = '/usr/bin/python3';
const SCORING_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/support/sklearn_scoring_server.py');

/**
 * The supervised Python runtime against the same scoring process called directly: the test suite's
 * scikit-learn scoring server (Debian's python3-sklearn), once on its own port and once behind a deployment.
 */
async function pythonOverhead(base: string, home: string, durationS: number, concurrencies: readonly number[]) {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' });
  if (probe.status !== 0) return `not measured: ${PYTHON} cannot import sklearn (apt-get install python3-sklearn)`;
  const X = Array.from({ length: 50 }, (_, i) => [i % 7, (i * 3) % 11]);
  const training = JSON.stringify({ columns: ['a', 'b'], X, y: X.map(([a, b]) => 2 * a! + 3 * b! + 1) });
  const mlmodel = `flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n  sklearn:\n    pickled_model: model.pkl\nsignature:\n  inputs: '[{"type": "double", "name": "a"}, {"type": "double", "name": "b"}]'\n`;
  for (const [file, body] of [['MLmodel', mlmodel], ['training.json', training]] as const) {
    const res = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/bench/houses/${file}`, { method: 'PUT', body });
    if (!res.ok) throw new Error(`upload ${file}: ${res.status}`);
  }
  await post(`${base}/api/2.0/mlflow/registered-models/create`, { name: 'houses' });
  await post(`${base}/api/2.0/mlflow/model-versions/create`, { name: 'houses', source: 'mlflow-artifacts:/bench/houses' });
  await post(`${base}/api/2.0/mlflow/registered-models/alias`, { name: 'houses', alias: 'live', version: '1' });
  const command = `${PYTHON} ${SCORING_SCRIPT} --model {model_uri} --port {port}`;
  await post(`${base}/api/v1/deployments`, { name: 'houses', model: 'houses', alias: 'live', runtime: { kind: 'python', command } });

  const modelDir = path.join(home, 'direct-houses');
  await mkdir(modelDir, { recursive: true });
  await writeFile(path.join(modelDir, 'training.json'), training);
  const port = await freePort();
  const direct = spawn(PYTHON, [SCORING_SCRIPT, '--model', modelDir, '--port', String(port)], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/ping`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error('the direct scoring process did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const body = JSON.stringify({ dataframe_split: { columns: ['a', 'b'], data: [[3, 4]] } });
    const runs = [];
    for (const concurrency of concurrencies) {
      const measure = async (url: string) => {
        await runLoadTest({ url, body, connections: concurrency, durationS: 1 });
        const r = await runLoadTest({ url, body, connections: concurrency, durationS });
        return { throughputRps: r.throughputRps, p50Ms: r.latencyMs.p50, p99Ms: r.latencyMs.p99, errors: r.errors + r.non2xx };
      };
      const viaDirect = await measure(`http://127.0.0.1:${port}/invocations`);
      const viaServer = await measure(`${base}/serve/houses/invocations`);
      runs.push({ concurrency, direct: viaDirect, supervised: viaServer, overheadP50Ms: round3(viaServer.p50Ms - viaDirect.p50Ms), throughputRatio: round3(viaServer.throughputRps / Math.max(1, viaDirect.throughputRps)) });
    }
    return { scoringProcess: 'test/support/sklearn_scoring_server.py (LinearRegression, Debian python3-sklearn)', runs };
  } finally {
    direct.kill('SIGKILL');
  }
}

interface Run {
  readonly model: string;
  readonly protocol: 'v2' | 'invocations';
  readonly batching: boolean;
  readonly concurrency: number;
  readonly result: LoadTestSummary;
}

export async function runServingBench(opts: ServingBenchOptions = {}) {
  const durationS = opts.durationS ?? 3;
  const concurrencies = opts.concurrencies ?? [1, 16, 64];
  const home = await mkdtemp(path.join(os.tmpdir(), 'oe-bench-serving-'));
  const server = await spawnServer(['--home', home]);
  const models = { logreg: linearModel([row.map((_, i) => (i % 3) - 1)], [0.1], { sigmoid: true }), mlp: mlpModel(FEATURES, HIDDEN) };
  const runs: Run[] = [];
  const want = (part: 'onnx' | 'churn' | 'python') => !opts.only || opts.only.includes(part);
  try {
    for (const [name, bytes] of want('onnx') ? Object.entries(models) : []) {
      await register(server.url, name, bytes, 1);
      await post(`${server.url}/api/v1/deployments`, { name, model: name, alias: 'live', batching: { maxBatchSize: 32, maxWaitMs: 1, workers: 1 } });
      await post(`${server.url}/api/v1/deployments`, { name: `${name}-unbatched`, model: name, alias: 'live', batching: { maxBatchSize: 1, maxWaitMs: 0, workers: 1 } });
      const load = async (deployment: string, protocol: Run['protocol'], batching: boolean) => {
        for (const concurrency of concurrencies) {
          const url = protocol === 'v2' ? `${server.url}/v2/models/${deployment}/infer` : `${server.url}/serve/${deployment}/invocations`;
          const body = protocol === 'v2' ? v2Body : invocationsBody;
          await runLoadTest({ url, body, connections: concurrency, durationS: 1 });
          runs.push({ model: name, protocol, batching, concurrency, result: await runLoadTest({ url, body, connections: concurrency, durationS }) });
        }
      };
      await load(name, 'v2', true);
      await load(`${name}-unbatched`, 'v2', false);
      await load(name, 'invocations', true);
    }
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const metricValue = (name: string, deployment: string) =>
      Number(metrics.split('\n').find((l) => l.startsWith(`${name}{deployment="${deployment}"`))?.split(' ').at(-1) ?? NaN);
    const batchRows = (deployment: string) =>
      round3(metricValue('openexpert_serving_batch_size_sum', deployment) / metricValue('openexpert_serving_batch_size_count', deployment));
    const deployChurn = want('churn') ? await churn(server.url, opts.churnOperations ?? 30, 10) : 'not measured (--only)';
    const python = want('python') ? await pythonOverhead(server.url, home, durationS, [1, 16]) : 'not measured (--only)';
    const directMlp = want('onnx') ? await direct(models.mlp, 5000) : { p50Ms: NaN };
    const directLogreg = want('onnx') ? await direct(models.logreg, 5000) : { p50Ms: NaN };
    const c1 = (model: string, protocol: Run['protocol'], batching: boolean) =>
      runs.find((r) => r.model === model && r.protocol === protocol && r.batching === batching && r.concurrency === 1)?.result;
    const routerOverhead = (model: string, d: { p50Ms: number }) => {
      const http = c1(model, 'v2', false);
      return http ? { httpP50Ms: http.latencyMs.p50, directP50Ms: d.p50Ms, overheadP50Ms: round3(http.latencyMs.p50 - d.p50Ms) } : undefined;
    };
    let peer: unknown;
    if (opts.peerUrl) {
      const peerRuns = [];
      for (const concurrency of concurrencies) {
        peerRuns.push({ concurrency, result: await runLoadTest({ url: `${opts.peerUrl.replace(/\/+$/, '')}/invocations`, body: invocationsBody, connections: concurrency, durationS }) });
      }
      peer = {
        server: opts.peerUrl,
        runs: peerRuns,
        throughputRatio: peerRuns.map((p) => {
          const ours = runs.find((r) => r.model === 'mlp' && r.protocol === 'invocations' && r.concurrency === p.concurrency)!.result;
          return { concurrency: p.concurrency, ratio: Math.round((ours.throughputRps / Math.max(1, p.result.throughputRps)) * 100) / 100, oursP99Ms: ours.latencyMs.p99, peerP99Ms: p.result.latencyMs.p99 };
        }),
      };
    }
    return {
      machine: { cpus: os.cpus().length, node: process.version },
      durationS,
      runs: runs.map((r) => ({ model: r.model, protocol: r.protocol, batching: r.batching, concurrency: r.concurrency, throughputRps: r.result.throughputRps, p50Ms: r.result.latencyMs.p50, p99Ms: r.result.latencyMs.p99, errors: r.result.errors + r.result.non2xx })),
      meanBatchRows: { logreg: batchRows('logreg'), mlp: batchRows('mlp') },
      direct: { logreg: directLogreg, mlp: directMlp },
      routerOverhead: { logreg: routerOverhead('logreg', directLogreg), mlp: routerOverhead('mlp', directMlp) },
      deployChurn,
      pythonRuntime: python,
      peer: peer ?? 'not measured: no MLflow scoring server given (--peer=URL); none can be installed on this machine',
    };
  } finally {
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
  const result = await runServingBench({
    ...(arg('duration') ? { durationS: Number(arg('duration')) } : {}),
    ...(arg('peer') ? { peerUrl: arg('peer') } : {}),
    ...(arg('only') ? { only: arg('only')!.split(',') } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
}
