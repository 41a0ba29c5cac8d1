/**
 * Overhead of auth + permission check + audit write per request: the same log-batch workload (100 metrics per
 * request, 8 concurrent clients) against a server with auth off, then on with a bearer token and with basic auth.
 * With auth on the client is a member writing to an experiment an admin made and granted them EDIT on, so each
 * request pays authentication, the per-object grant lookup (groups and grants cached for 2 s) and the audit write.
 * Target: auth on at most 15% slower.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/main.js';

const REQUESTS = 2000;
const CONCURRENCY = 8;
const ADMIN = { user: 'bench', password: 'bench-password' };

export async function workload(auth: 'off' | 'bearer' | 'basic'): Promise<{ requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuMsPerRequest: number }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-gov-'));
  const env = { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password };
  const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent', auth: auth !== 'off' }, env));
  try {
    const basic = `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}`;
    const post = async (p: string, body: unknown, authorization?: string) => {
      const res = await fetch(server.url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const adminHeader = auth === 'off' ? undefined : basic;
    const exp = await post('/api/2.0/mlflow/experiments/create', { name: 'bench' }, adminHeader);
    let header = adminHeader;
    if (auth !== 'off') {
      await post('/api/v1/users', { username: 'worker', password: 'worker-password', role: 'member' }, basic);
      const put = await fetch(`${server.url}/api/v1/permissions`, {
        method: 'PUT', headers: { 'content-type': 'application/json', authorization: basic },
        body: JSON.stringify({ kind: 'experiment', id: exp.experiment_id, principalType: 'user', principal: 'worker', level: 'EDIT' }),
      });
      if (!put.ok) throw new Error(`grant: ${put.status}`);
      header = `Basic ${Buffer.from('worker:worker-password').toString('base64')}`;
      if (auth === 'bearer') header = `Bearer ${String((await post('/api/v1/tokens', { name: 'bench' }, header)).token)}`;
    }
    const run = (await post('/api/2.0/mlflow/runs/create', { experiment_id: exp.experiment_id, start_time: 0 }, header)) as { run: { info: { run_id: string } } };
    const runId = run.run.info.run_id;
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const metrics = Array.from({ length: 100 }, (_, k) => ({ key: `m${k % 10}`, value: i + k, timestamp: i, step: i * 100 + k }));
          const t = performance.now();
          await post('/api/2.0/mlflow/runs/log-batch', { run_id: runId, metrics }, header);
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);
    const at = (q: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100) / 100;
    // CPU time per request (server and client share this process; the client's part is the same in every mode) is
    // steadier than throughput when other work shares the machine.
    const cpuMsPerRequest = Math.round(((cpu.user + cpu.system) / 1000 / REQUESTS) * 1000) / 1000;
    return { requestsPerSecond: Math.round(REQUESTS / seconds), p50Ms: at(0.5), p99Ms: at(0.99), cpuMsPerRequest };
  } finally {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

type Result = Awaited<ReturnType<typeof workload>>;
const ROUNDS = 5;
/** The round with the median throughput: single runs on a shared 2-core machine swing by ±15%. */
const median = (runs: Result[]): Result => [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(runs.length / 2)]!;

export async function runGovernanceBench() {
  await workload('off'); // warm-up: JIT and file-system caches, so the first measured mode is not penalized
  const runs: Record<'off' | 'bearer' | 'basic', Result[]> = { off: [], bearer: [], basic: [] };
  // Modes alternate within each round, so a slow spell of the machine hits all of them alike.
  for (let round = 0; round < ROUNDS; round++) for (const mode of ['off', 'bearer', 'basic'] as const) runs[mode].push(await workload(mode));
  const off = median(runs.off);
  const bearer = median(runs.bearer);
  const basic = median(runs.basic);
  const overhead = (on: { requestsPerSecond: number }) => Math.round((off.requestsPerSecond / on.requestsPerSecond - 1) * 1000) / 10;
  const medianCpu = (runs: Result[]) => [...runs.map((r) => r.cpuMsPerRequest)].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  const cpuOverhead = (mode: 'bearer' | 'basic') => Math.round((medianCpu(runs[mode]) / medianCpu(runs.off) - 1) * 1000) / 10;
  return {
    requests: REQUESTS, metricsPerRequest: 100, concurrency: CONCURRENCY, rounds: ROUNDS,
    authOff: off, bearer, basic,
    overheadPercent: { bearer: overhead(bearer), basic: overhead(basic) },
    cpuOverheadPercent: { bearer: cpuOverhead('bearer'), basic: cpuOverhead('basic') },
    target: { maxOverheadPercent: 15 },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) console.log(JSON.stringify(await runGovernanceBench(), null, 2));
