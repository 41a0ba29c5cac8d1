/**
 * Tracking speed as a client outside the server sees it: the server runs as its own process (`openexpert server`
 * from source on a temp SQLite database), the client sends one request at a time over one keep-alive connection,
 * as a training script's MLflow client does. Log-batch ingest (1000 points a request) and get-history of one
 * long metric read in pages of 25,000 as the MLflow client asks, timed end to end. When a Python with `requests`
 * is at hand (OE_BENCH_PYTHON, default `python3`), the same two workloads are also timed from Python `requests`,
 * the client the figures came from.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { spawnServer } from '../test/support/child-server.js';

export interface OutsideClientFigures {
  ingest: { points: number; seconds: number; pointsPerSecond: number };
  getHistory: { points: number; pages: number; calls: number; p50Ms: number };
}

export interface OutsideClientResult {
  server: string;
  node: OutsideClientFigures;
  python?: OutsideClientFigures | { skipped: string };
}

const M = '/api/2.0/mlflow';
const round2 = (n: number) => Math.round(n * 100) / 100;

/** One keep-alive connection, requests one after the other. */
function oneConnection(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(base);
  const call = (method: 'GET' | 'POST', p: string, body?: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: p, method, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 400) reject(new Error(`${method} ${p} → ${res.statusCode}: ${text.slice(0, 200)}`));
          else resolve(text);
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

const batch = (runId: string, first: number, t0: number) =>
  JSON.stringify({ run_id: runId, metrics: Array.from({ length: 1000 }, (_, i) => ({ key: `m${i % 10}`, value: Math.sin(first + i), timestamp: t0 + first + i, step: first + i })) });

async function nodeClient(base: string, points: number, history: number, calls: number): Promise<OutsideClientFigures> {
  const api = oneConnection(base);
  try {
    const json = async <T>(method: 'GET' | 'POST', p: string, body?: unknown) => JSON.parse(await api.call(method, p, body === undefined ? undefined : JSON.stringify(body))) as T;
    const experimentId = (await json<{ experiment_id: string }>('POST', `${M}/experiments/create`, { name: `outside-${Date.now()}` })).experiment_id;
    const newRun = async () => (await json<{ run: { info: { run_id: string } } }>('POST', `${M}/runs/create`, { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;

    const t0 = Date.now();
    const ingestRun = await newRun();
    const bodies = Array.from({ length: Math.ceil(points / 1000) }, (_, r) => batch(ingestRun, r * 1000, t0));
    const start = performance.now();
    for (const body of bodies) await api.call('POST', `${M}/runs/log-batch`, body);
    const seconds = (performance.now() - start) / 1000;

    const historyRun = await newRun();
    for (let first = 0; first < history; first += 1000) {
      const metrics = Array.from({ length: Math.min(1000, history - first) }, (_, i) => ({ key: 'loss', value: 1 / (first + i + 1), timestamp: t0 + first + i, step: first + i }));
      await api.call('POST', `${M}/runs/log-batch`, JSON.stringify({ run_id: historyRun, metrics }));
    }
    const read = async () => {
      let pages = 0;
      let count = 0;
      let token: string | undefined;
      do {
        const q = new URLSearchParams({ run_id: historyRun, metric_key: 'loss', max_results: '25000', ...(token ? { page_token: token } : {}) });
        const page = await json<{ metrics?: unknown[]; next_page_token?: string }>('GET', `${M}/metrics/get-history?${q.toString()}`);
        count += page.metrics?.length ?? 0;
        pages++;
        token = page.next_page_token;
      } while (token);
      if (count !== history) throw new Error(`get-history returned ${count} points, expected ${history}`);
      return pages;
    };
    await read();
    const samples: number[] = [];
    let pages = 0;
    for (let i = 0; i < calls; i++) {
      const s = performance.now();
      pages = await read();
      samples.push(performance.now() - s);
    }
    samples.sort((a, b) => a - b);
    const sent = bodies.length * 1000;
    return {
      ingest: { points: sent, seconds: round2(seconds), pointsPerSecond: Math.round(sent / seconds) },
      getHistory: { points: history, pages, calls, p50Ms: round2(samples[Math.ceil(samples.length / 2) - 1]!) },
    };
  } finally {
    api.close();
  }
}

/** The same workload from Python `requests` on one Session (one keep-alive connection); prints the figures as JSON. */
const PYTHON_CLIENT = String.raw`
import json, math, sys, time, requests
base, points, history, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
M = base + "/api/2.0/mlflow"
s = requests.Session()
exp = s.post(M + "/experiments/create", json={"name": "outside-py-%d" % time.time_ns()}).json()["experiment_id"]
run = lambda: s.post(M + "/runs/create", json={"experiment_id": exp, "start_time": int(time.time() * 1000)}).json()["run"]["info"]["run_id"]
t0 = int(time.time() * 1000)
r = run()
bodies = [json.dumps({"run_id": r, "metrics": [{"key": "m%d" % (i % 10), "value": math.sin(f + i), "timestamp": t0 + f + i, "step": f + i} for i in range(1000)]}) for f in range(0, points, 1000)]
start = time.perf_counter()
for b in bodies:
    s.post(M + "/runs/log-batch", data=b, headers={"content-type": "application/json"}).raise_for_status()
secs = time.perf_counter() - start
h = run()
for f in range(0, history, 1000):
    s.post(M + "/runs/log-batch", json={"run_id": h, "metrics": [{"key": "loss", "value": 1 / (f + i + 1), "timestamp": t0 + f + i, "step": f + i} for i in range(min(1000, history - f))]}).raise_for_status()
def read():
    pages, count, token = 0, 0, None
    while True:
        q = {"run_id": h, "metric_key": "loss", "max_results": 25000}
        if token: q["page_token"] = token
        page = s.get(M + "/metrics/get-history", params=q).json()
        count += len(page.get("metrics", [])); pages += 1
        token = page.get("next_page_token")
        if not token: break
    assert count == history, count
    return pages
read()
samples = []
for _ in range(calls):
    t = time.perf_counter(); pages = read(); samples.append((time.perf_counter() - t) * 1000)
samples.sort()
sent = len(bodies) * 1000
print(json.dumps({"ingest": {"points": sent, "seconds": round(secs, 2), "pointsPerSecond": round(sent / secs)},
                  "getHistory": {"points": history, "pages": pages, "calls": calls, "p50Ms": round(samples[math.ceil(len(samples) / 2) - 1], 2)}}))
`;

async function pythonClient(base: string, points: number, history: number, calls: number): Promise<OutsideClientFigures | { skipped: string }> {
  const python = process.env.OE_BENCH_PYTHON ?? 'python3';
  const run = promisify(execFile);
  try {
    await run(python, ['-c', 'import requests']);
  } catch {
    return { skipped: `no Python with requests at '${python}' (set OE_BENCH_PYTHON)` };
  }
  const { stdout } = await run(python, ['-c', PYTHON_CLIENT, base, String(points), String(history), String(calls)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as OutsideClientFigures;
}

export async function runOutsideClientBench(opts: { points?: number; history?: number; calls?: number } = {}): Promise<OutsideClientResult> {
  const points = opts.points ?? 200_000;
  const history = opts.history ?? 100_000;
  const calls = opts.calls ?? 5;
  const home = await mkdtemp(path.join(os.tmpdir(), 'openexpert-bench-outside-'));
  try {
    const server = await spawnServer([], { OPENEXPERT_HOME: home });
    try {
      const node = await nodeClient(server.url, points, history, calls);
      const python = await pythonClient(server.url, points, history, calls);
      return { server: 'separate process (openexpert server from source), SQLite; one keep-alive connection', node, python };
    } finally {
      await server.stop();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runOutsideClientBench(), null, 2));
}
