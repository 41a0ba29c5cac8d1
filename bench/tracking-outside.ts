/**
 * Tracking speed as a client outside the server sees it: the server runs as its own process (`openexpert server`
 * from source on a temp SQLite database), the client sends one request at a time over one keep-alive connection,
 * as a training script's MLflow client does. Log-batch ingest (1000 points a request) and get-history of one
 * long metric read in pages of 25,000 as the MLflow client asks, timed end to end. When a Python with `requests`
 * is at hand (OE_BENCH_PYTHON, default `python3`), the same two workloads are also timed from Python `requests`,
 * the client the figures came from.
 *
 * Next to each wall-clock figure stands the server's CPU time for the same work (from /proc, on Linux) and the
 * client's: on a busy machine the wall clock mostly measures the neighbours, while the server's CPU per request
 * does not move much. `quietEstimate` adds the two, what one client on an otherwise idle machine would see
 * (the client waits for each answer, so their times add up). Ingest first warms the server up with 20 batches.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { spawnServer } from '../test/support/child-server.js';

export interface OutsideClientFigures {
  ingest: {
    points: number; seconds: number; pointsPerSecond: number;
    /** CPU per 1,000 points: the server's, the client's, and the rate the two allow together. */
    serverCpuMsPer1000?: number; clientCpuMsPer1000?: number; quietEstimatePointsPerSecond?: number;
  };
  getHistory: {
    points: number; pages: number; calls: number; p50Ms: number;
    /** CPU per whole read (median): the server's, the client's, and their sum. */
    serverCpuMs?: number; clientCpuMs?: number; quietEstimateMs?: number;
  };
}

export interface OutsideClientResult {
  server: string;
  /** 1-minute load average and CPUs while the bench ran: a load well above the CPU count makes wall-clock figures pessimistic. */
  machine: { cpus: number; loadAverage: number };
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

/** A process's CPU time in ms (user + system), from /proc; undefined where there is no /proc. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length / 2) - 1]!;

async function nodeClient(base: string, serverPid: number | undefined, points: number, history: number, calls: number): Promise<OutsideClientFigures> {
  const api = oneConnection(base);
  try {
    const json = async <T>(method: 'GET' | 'POST', p: string, body?: unknown) => JSON.parse(await api.call(method, p, body === undefined ? undefined : JSON.stringify(body))) as T;
    const experimentId = (await json<{ experiment_id: string }>('POST', `${M}/experiments/create`, { name: `outside-${Date.now()}` })).experiment_id;
    const newRun = async () => (await json<{ run: { info: { run_id: string } } }>('POST', `${M}/runs/create`, { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;

    const t0 = Date.now();
    const warmRun = await newRun();
    for (let r = 0; r < 20; r++) await api.call('POST', `${M}/runs/log-batch`, batch(warmRun, r * 1000, t0));
    const ingestRun = await newRun();
    const bodies = Array.from({ length: Math.ceil(points / 1000) }, (_, r) => batch(ingestRun, r * 1000, t0));
    const serverBefore = processCpuMs(serverPid);
    const clientBefore = ownCpuMs();
    const start = performance.now();
    for (const body of bodies) await api.call('POST', `${M}/runs/log-batch`, body);
    const seconds = (performance.now() - start) / 1000;
    const serverAfter = processCpuMs(serverPid);
    const ingestClientCpu = ownCpuMs() - clientBefore;
    const ingestServerCpu = serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : undefined;

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
    const serverCpu: number[] = [];
    const clientCpu: number[] = [];
    let pages = 0;
    for (let i = 0; i < calls; i++) {
      const serverBefore = processCpuMs(serverPid);
      const clientBefore = ownCpuMs();
      const s = performance.now();
      pages = await read();
      samples.push(performance.now() - s);
      clientCpu.push(ownCpuMs() - clientBefore);
      const serverAfter = processCpuMs(serverPid);
      if (serverBefore !== undefined && serverAfter !== undefined) serverCpu.push(serverAfter - serverBefore);
    }
    const sent = bodies.length * 1000;
    return {
      ingest: {
        points: sent, seconds: round2(seconds), pointsPerSecond: Math.round(sent / seconds),
        ...(ingestServerCpu !== undefined ? {
          serverCpuMsPer1000: round2((ingestServerCpu * 1000) / sent), clientCpuMsPer1000: round2((ingestClientCpu * 1000) / sent),
          quietEstimatePointsPerSecond: Math.round(sent / ((ingestServerCpu + ingestClientCpu) / 1000)),
        } : {}),
      },
      getHistory: {
        points: history, pages, calls, p50Ms: round2(median(samples)),
        ...(serverCpu.length > 0 ? {
          serverCpuMs: round2(median(serverCpu)), clientCpuMs: round2(median(clientCpu)), quietEstimateMs: round2(median(serverCpu) + median(clientCpu)),
        } : {}),
      },
    };
  } finally {
    api.close();
  }
}

/** The same workload from Python `requests` on one Session (one keep-alive connection); prints the figures as JSON. */
const PYTHON_CLIENT = String.raw`
import json, math, os, sys, time, requests
base, points, history, calls, spid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def server_cpu():
    try:
        f = open("/proc/%s/stat" % spid).read().rsplit(") ", 1)[1].split()
        return (int(f[11]) + int(f[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except Exception:
        return None
def median(xs):
    return sorted(xs)[math.ceil(len(xs) / 2) - 1]
M = base + "/api/2.0/mlflow"
s = requests.Session()
exp = s.post(M + "/experiments/create", json={"name": "outside-py-%d" % time.time_ns()}).json()["experiment_id"]
run = lambda: s.post(M + "/runs/create", json={"experiment_id": exp, "start_time": int(time.time() * 1000)}).json()["run"]["info"]["run_id"]
t0 = int(time.time() * 1000)
body = lambda r, f: json.dumps({"run_id": r, "metrics": [{"key": "m%d" % (i % 10), "value": math.sin(f + i), "timestamp": t0 + f + i, "step": f + i} for i in range(1000)]})
warm = run()
for f in range(0, 20000, 1000):
    s.post(M + "/runs/log-batch", data=body(warm, f), headers={"content-type": "application/json"}).raise_for_status()
r = run()
bodies = [body(r, f) for f in range(0, points, 1000)]
sc0, cc0, start = server_cpu(), time.process_time(), time.perf_counter()
for b in bodies:
    s.post(M + "/runs/log-batch", data=b, headers={"content-type": "application/json"}).raise_for_status()
secs, ccpu, sc1 = time.perf_counter() - start, (time.process_time() - cc0) * 1000, server_cpu()
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
samples, scpu, ccpus = [], [], []
for _ in range(calls):
    a, c, t = server_cpu(), time.process_time(), time.perf_counter()
    pages = read()
    samples.append((time.perf_counter() - t) * 1000); ccpus.append((time.process_time() - c) * 1000)
    b = server_cpu()
    if a is not None and b is not None: scpu.append(b - a)
sent = len(bodies) * 1000
ingest = {"points": sent, "seconds": round(secs, 2), "pointsPerSecond": round(sent / secs)}
if sc0 is not None and sc1 is not None:
    ingest.update({"serverCpuMsPer1000": round((sc1 - sc0) * 1000 / sent, 2), "clientCpuMsPer1000": round(ccpu * 1000 / sent, 2),
                   "quietEstimatePointsPerSecond": round(sent / ((sc1 - sc0 + ccpu) / 1000))})
hist = {"points": history, "pages": pages, "calls": calls, "p50Ms": round(median(samples), 2)}
if scpu:
    hist.update({"serverCpuMs": round(median(scpu), 2), "clientCpuMs": round(median(ccpus), 2), "quietEstimateMs": round(median(scpu) + median(ccpus), 2)})
print(json.dumps({"ingest": ingest, "getHistory": hist}))
`;

async function pythonClient(base: string, serverPid: number | undefined, points: number, history: number, calls: number): Promise<OutsideClientFigures | { skipped: string }> {
  const python = process.env.OE_BENCH_PYTHON ?? 'python3';
  const run = promisify(execFile);
  try {
    await run(python, ['-c', 'import requests']);
  } catch {
    return { skipped: `no Python with requests at '${python}' (set OE_BENCH_PYTHON)` };
  }
  const { stdout } = await run(python, ['-c', PYTHON_CLIENT, base, String(points), String(history), String(calls), String(serverPid ?? 0)], { maxBuffer: 1 << 20 });
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
      const pid = server.process.pid;
      const node = await nodeClient(server.url, pid, points, history, calls);
      const python = await pythonClient(server.url, pid, points, history, calls);
      return {
        server: 'separate process (openexpert server from source), SQLite; one keep-alive connection',
        machine: { cpus: os.cpus().length, loadAverage: round2(os.loadavg()[0]!) },
        node,
        python,
      };
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
