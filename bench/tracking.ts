/**
 * Tracking throughput and latency through HTTP, on the MLflow REST surface (so the same workload runs
 * against a real MLflow server too): log-batch ingest, one log-metric call, search-runs over 10,000
 * runs, and get-history of 100,000 points. Run with
 * `npx tsx bench/tracking.ts [--points=N] [--runs=N] [--history=N] [--peer=http://host:port] [--no-outside]`; prints JSON.
 * `outsideClient` repeats ingest and get-history against a separate server process from a client on one
 * keep-alive connection (Node, and Python `requests` when available): the figures a user's script sees.
 *
 * The server runs in this process on a temp SQLite database, so the client's own work (fetch, JSON)
 * competes with it for the CPU: the figures are a floor for what a separate server process reaches.
 * Request bodies are serialized before the clock starts for the same reason.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/main.js';
import { runOutsideClientBench, type OutsideClientResult } from './tracking-outside.js';

export interface TrackingBenchOptions {
  /** Metric points sent through log-batch, 1000 per request (1,000,000 by default). */
  ingestPoints?: number;
  /** Concurrent ingest clients, each logging to its own run (4 by default). */
  ingestClients?: number;
  /** Sequential log-metric calls timed (2000 by default). */
  logMetricCalls?: number;
  /** Runs searched over (10,000 by default). */
  searchRuns?: number;
  searchCalls?: number;
  /** Points of the one metric read back by get-history (100,000 by default). */
  historyPoints?: number;
  historyCalls?: number;
  /** Also run the same workload against this MLflow-compatible server (a real MLflow, say) and report the ratios. */
  peerUrl?: string;
  /** Skip the outside-client figures (a separate server process, one keep-alive connection, Node and Python clients). */
  skipOutside?: boolean;
}

/** DESIGN.md's targets, for a 2-core machine. */
export const TRACKING_TARGETS = {
  ingestPointsPerSecond: 130_000,
  logMetricP50Ms: 2,
  searchRunsP50Ms: 50,
  getHistoryP50Ms: 100,
} as const;

export interface TrackingFigures {
  ingest: { points: number; clients: number; seconds: number; pointsPerSecond: number };
  logMetric: { calls: number; p50Ms: number; p99Ms: number };
  searchRuns: { runs: number; calls: number; returned: number; p50Ms: number; p99Ms: number };
  getHistory: { points: number; pages: number; calls: number; p50Ms: number };
}

export interface TrackingBenchResult extends TrackingFigures {
  server: string;
  machine: { cpus: number; node: string; platform: string };
  targets: typeof TRACKING_TARGETS;
  meetsTarget: { ingest: boolean; logMetric: boolean; searchRuns: boolean; getHistory: boolean; all: boolean };
  /** What a client outside the server sees: the figures to compare with DESIGN.md's targets and with what users report. */
  outsideClient?: OutsideClientResult;
  peer?: TrackingFigures & { server: string; speedup: { ingest: number; logMetricP50: number; searchRunsP50: number; getHistoryP50: number } };
}

const M = '/api/2.0/mlflow';
const round2 = (n: number) => Math.round(n * 100) / 100;
const now = () => performance.now();

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return round2(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN);
}

/** A JSON client over the global fetch, whose undici dispatcher keeps connections alive. */
function client(base: string) {
  async function call<T>(method: 'GET' | 'POST', p: string, body?: string): Promise<T> {
    const res = await fetch(base + p, { method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
  return {
    post: <T = unknown>(p: string, body: unknown) => call<T>('POST', p, typeof body === 'string' ? body : JSON.stringify(body)),
    get: <T = unknown>(p: string, query: Record<string, string>) => call<T>('GET', `${p}?${new URLSearchParams(query).toString()}`),
  };
}
type Client = ReturnType<typeof client>;

async function createExperiment(api: Client, label: string): Promise<string> {
  const name = `bench-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  return (await api.post<{ experiment_id: string }>(`${M}/experiments/create`, { name })).experiment_id;
}

async function createRun(api: Client, experimentId: string): Promise<string> {
  return (await api.post<{ run: { info: { run_id: string } } }>(`${M}/runs/create`, { experiment_id: experimentId, start_time: Date.now() })).run.info.run_id;
}

/** Runs `task(i)` for i in [0, n) with at most `width` in flight. */
async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await task(next++);
  }));
}

/** 1000 points per request: ten metric keys at a hundred steps each. */
function batchBody(runId: string, request: number, t0: number): string {
  const metrics = [];
  for (let s = 0; s < 100; s++) {
    const step = request * 100 + s;
    for (let k = 0; k < 10; k++) metrics.push({ key: `m${k}`, value: Math.sin(step + k), timestamp: t0 + step, step });
  }
  return JSON.stringify({ run_id: runId, metrics });
}

async function ingest(api: Client, experimentId: string, points: number, clients: number): Promise<TrackingFigures['ingest']> {
  const t0 = Date.now();
  const warm = await createRun(api, experimentId);
  for (let r = 0; r < 20; r++) await api.post(`${M}/runs/log-batch`, batchBody(warm, r, t0));

  const perClient = Math.ceil(points / 1000 / clients);
  const bodies = await Promise.all(Array.from({ length: clients }, async () => {
    const runId = await createRun(api, experimentId);
    return Array.from({ length: perClient }, (_, r) => batchBody(runId, r, t0));
  }));
  const start = now();
  await Promise.all(bodies.map(async (mine) => {
    for (const body of mine) await api.post(`${M}/runs/log-batch`, body);
  }));
  const seconds = (now() - start) / 1000;
  const sent = perClient * clients * 1000;
  return { points: sent, clients, seconds: round2(seconds), pointsPerSecond: Math.round(sent / seconds) };
}

async function logMetric(api: Client, experimentId: string, calls: number): Promise<TrackingFigures['logMetric']> {
  const runId = await createRun(api, experimentId);
  const t0 = Date.now();
  const send = (step: number) => api.post(`${M}/runs/log-metric`, { run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: t0 + step, step });
  for (let i = 0; i < 200; i++) await send(i);
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = now();
    await send(200 + i);
    samples.push(now() - start);
  }
  return { calls, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
}

interface SearchResponse {
  runs?: { data: { metrics?: { key: string; value: number }[] } }[];
}

async function searchRuns(api: Client, experimentId: string, runs: number, calls: number): Promise<TrackingFigures['searchRuns']> {
  const lrs = ['0.01', '0.001', '0.1'];
  const t0 = Date.now();
  await pool(runs, 8, async (i) => {
    const runId = await createRun(api, experimentId);
    await api.post(`${M}/runs/log-batch`, {
      run_id: runId,
      metrics: [{ key: 'acc', value: (i * 7919 % 10_000) / 10_000, timestamp: t0 + i, step: 0 }],
      params: [{ key: 'lr', value: lrs[i % lrs.length] }],
      tags: [{ key: 'team', value: i % 2 ? 'vision' : 'nlp' }],
    });
  });
  const body = JSON.stringify({
    experiment_ids: [experimentId],
    filter: "metrics.acc > 0.5 and params.lr = '0.01'",
    order_by: ['metrics.acc DESC'],
    max_results: 100,
  });
  const search = () => api.post<SearchResponse>(`${M}/runs/search`, body);
  for (let i = 0; i < 3; i++) await search();
  const samples: number[] = [];
  let returned = 0;
  for (let i = 0; i < calls; i++) {
    const start = now();
    const res = await search();
    samples.push(now() - start);
    const accs = (res.runs ?? []).map((r) => r.data.metrics?.find((m) => m.key === 'acc')?.value ?? NaN);
    if (accs.some((a, j) => !(a > 0.5) || (j > 0 && a > (accs[j - 1] ?? Infinity)))) throw new Error('search-runs returned runs out of filter or order');
    returned = accs.length;
  }
  return { runs, calls, returned, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
}

async function getHistory(api: Client, experimentId: string, points: number, calls: number): Promise<TrackingFigures['getHistory']> {
  const runId = await createRun(api, experimentId);
  const t0 = Date.now();
  for (let offset = 0; offset < points; offset += 1000) {
    const metrics = Array.from({ length: Math.min(1000, points - offset) }, (_, i) => ({ key: 'loss', value: 1 / (offset + i + 1), timestamp: t0 + offset + i, step: offset + i }));
    await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics });
  }
  // Pages of 25,000, as the MLflow Python client asks for them (MLflow's server answers a request without
  // max_results with no points and a page token it then rejects); OpenExpert's default page is the same size.
  const read = async () => {
    let count = 0;
    let pages = 0;
    let token: string | undefined;
    do {
      const res = await api.get<{ metrics?: unknown[]; next_page_token?: string }>(`${M}/metrics/get-history`, {
        run_id: runId, metric_key: 'loss', max_results: '25000', ...(token ? { page_token: token } : {}),
      });
      count += res.metrics?.length ?? 0;
      pages++;
      token = res.next_page_token;
    } while (token);
    if (count !== points) throw new Error(`get-history returned ${count} points, expected ${points}`);
    return pages;
  };
  await read();
  const samples: number[] = [];
  let pages = 0;
  for (let i = 0; i < calls; i++) {
    const start = now();
    pages = await read();
    samples.push(now() - start);
  }
  return { points, pages, calls, p50Ms: percentile(samples, 0.5) };
}

async function measure(url: string, opts: TrackingBenchOptions): Promise<TrackingFigures> {
  const api = client(url);
  return {
    ingest: await ingest(api, await createExperiment(api, 'ingest'), opts.ingestPoints ?? 1_000_000, opts.ingestClients ?? 4),
    logMetric: await logMetric(api, await createExperiment(api, 'log-metric'), opts.logMetricCalls ?? 2000),
    searchRuns: await searchRuns(api, await createExperiment(api, 'search'), opts.searchRuns ?? 10_000, opts.searchCalls ?? 20),
    getHistory: await getHistory(api, await createExperiment(api, 'history'), opts.historyPoints ?? 100_000, opts.historyCalls ?? 5),
  };
}

export async function runTrackingBench(opts: TrackingBenchOptions = {}): Promise<TrackingBenchResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'openexpert-bench-tracking-'));
  let figures: TrackingFigures;
  try {
    const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }, {}));
    try {
      figures = await measure(server.url, opts);
    } finally {
      await server.close();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
  const meets = {
    ingest: figures.ingest.pointsPerSecond >= TRACKING_TARGETS.ingestPointsPerSecond,
    logMetric: figures.logMetric.p50Ms <= TRACKING_TARGETS.logMetricP50Ms,
    searchRuns: figures.searchRuns.p50Ms <= TRACKING_TARGETS.searchRunsP50Ms,
    getHistory: figures.getHistory.p50Ms <= TRACKING_TARGETS.getHistoryP50Ms,
  };
  const result: TrackingBenchResult = {
    server: 'in-process, SQLite',
    machine: { cpus: os.availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}` },
    targets: TRACKING_TARGETS,
    ...figures,
    meetsTarget: { ...meets, all: Object.values(meets).every(Boolean) },
  };
  if (!opts.skipOutside) {
    result.outsideClient = await runOutsideClientBench({
      points: Math.min(opts.ingestPoints ?? 200_000, 1_000_000), history: opts.historyPoints ?? 100_000, calls: opts.historyCalls ?? 5,
    });
  }
  if (opts.peerUrl) {
    const peer = await measure(opts.peerUrl.replace(/\/+$/, ''), opts);
    result.peer = {
      server: opts.peerUrl,
      ...peer,
      speedup: {
        ingest: round2(figures.ingest.pointsPerSecond / peer.ingest.pointsPerSecond),
        logMetricP50: round2(peer.logMetric.p50Ms / figures.logMetric.p50Ms),
        searchRunsP50: round2(peer.searchRuns.p50Ms / figures.searchRuns.p50Ms),
        getHistoryP50: round2(peer.getHistory.p50Ms / figures.getHistory.p50Ms),
      },
    };
  }
  return result;
}

/** `--name=value` flags of the command line. */
export function trackingBenchOptionsFromArgs(args: readonly string[]): TrackingBenchOptions {
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const num = (name: string) => {
    const v = flag(name);
    return v === undefined ? undefined : Number(v);
  };
  return { ingestPoints: num('points'), searchRuns: num('runs'), historyPoints: num('history'), peerUrl: flag('peer'), skipOutside: args.includes('--no-outside') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runTrackingBench(trackingBenchOptionsFromArgs(process.argv.slice(2))), null, 2));
}
