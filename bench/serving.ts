/**
 * Inference throughput and latency through the server: a logistic regression and a small MLP in ONNX,
 * through `/v2/models/{name}/infer` and MLflow's `/invocations`, at concurrency 1, 16 and 64, with and
 * without micro-batching; and the router's overhead against calling onnxruntime directly. Run with
 * `npx tsx bench/serving.ts [--duration=S] [--peer=http://host:port]`; prints JSON.
 *
 * The server runs as a child process (`openexpert server`), so autocannon's client work here does not
 * share its event loop; on a 2-core machine they still share the CPU. `--peer` points at an MLflow
 * scoring server (`mlflow models serve`) serving the same MLP, for the ratio DESIGN.md asks for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { percentile, runLoadTest, type LoadTestSummary } from '../src/cli/load-test.js';
import { spawnServer } from '../test/support/child-server.js';
import { linearModel, mlpModel } from '../test/support/onnx-models.js';

export interface ServingBenchOptions {
  /** Seconds per load run (3 by default). */
  readonly durationS?: number;
  readonly concurrencies?: readonly number[];
  /** An MLflow scoring server serving the MLP below, measured with the same load for the ratio. */
  readonly peerUrl?: string;
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
  try {
    for (const [name, bytes] of Object.entries(models)) {
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
    const directMlp = await direct(models.mlp, 5000);
    const directLogreg = await direct(models.logreg, 5000);
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
  });
  console.log(JSON.stringify(result, null, 2));
}
