/**
 * Where the UI's first paint goes on the server: the requests the runs table, the chart workspace and a run page
 * make, timed in this process (wall and CPU) against seeded data. `npx tsx bench/ui-profile.ts [--runs=N]
 * [--points=N] [--repeat=N] [--only=name] [--profile=dir]`; prints JSON. `--profile` writes a CPU profile
 * (.cpuprofile, for Chrome's DevTools) of each request's timed repeats, the seeding left out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/main.js';

async function call(base: string, method: string, p: string, body?: unknown): Promise<{ [k: string]: unknown }> {
  const res = await fetch(base + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as { [k: string]: unknown }) : {};
}

const num = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};

export async function profileUiRequests() {
  const runs = num('runs', 100);
  const steps = num('steps', 1000);
  const metrics = num('metrics', 10);
  const points = num('points', 1_000_000);
  const repeat = num('repeat', 5);
  const home = await mkdtemp(path.join(os.tmpdir(), 'oe-ui-profile-'));
  const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }, {}));
  const base = server.url;
  try {
    const exp = (await call(base, 'POST', '/api/v1/experiments', { name: 'ws' })) as { experimentId: string };
    const t0 = 1_700_000_000_000;
    const runIds: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < runs; i = next++) {
        const run = (await call(base, 'POST', '/api/v1/runs', { experimentId: exp.experimentId, runName: `w-${i}`, startTime: t0 + i })) as { info: { runId: string } };
        runIds[i] = run.info.runId;
        for (let m = 0; m < metrics; m++) {
          await call(base, 'POST', `/api/v1/runs/${run.info.runId}/batch`, {
            metrics: Array.from({ length: steps }, (_, step) => ({ key: `metric_${m}`, value: Math.exp(-step / (200 + i)) + 0.01 * Math.sin(step + m), timestamp: t0 + step, step })),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    const big = (await call(base, 'POST', '/api/v1/runs', { experimentId: exp.experimentId, runName: 'long', startTime: t0 - 1 })) as { info: { runId: string } };
    for (let start = 0; start < points; start += 1000) {
      const n = Math.min(1000, points - start);
      await call(base, 'POST', `/api/v1/runs/${big.info.runId}/batch`, {
        metrics: Array.from({ length: n }, (_, k) => ({ key: 'loss', value: 1 / (start + k + 1), timestamp: t0 + start + k, step: start + k })),
      });
    }
    const requests: Record<string, () => Promise<unknown>> = {
      searchRuns: () => call(base, 'POST', '/api/v1/runs/search', { experimentIds: [exp.experimentId], maxResults: 100, includeCount: true }),
      workspacePanel: () => call(base, 'POST', '/api/v1/runs/metric-histories', { runIds, keys: ['metric_3'], maxResults: 320 }),
      workspaceFourPanels: () => Promise.all([0, 1, 2, 3].map((m) => call(base, 'POST', '/api/v1/runs/metric-histories', { runIds, keys: [`metric_${m}`], maxResults: 320 }))),
      runPageHistoryPage: () => call(base, 'GET', `/api/v1/runs/${big.info.runId}/metrics/loss/history?maxResults=2500`),
      runPageSampled: () => call(base, 'POST', '/api/v1/runs/metric-histories', { runIds: [big.info.runId], keys: ['loss'], maxResults: 2500 }),
    };
    const out: Record<string, { wallMs: number; cpuMs: number }> = {};
    const only = process.argv.find((x) => x.startsWith('--only='))?.slice('--only='.length);
    const profileDir = process.argv.find((x) => x.startsWith('--profile='))?.slice('--profile='.length);
    const inspector = profileDir ? new Session() : undefined;
    inspector?.connect();
    for (const [name, fn] of Object.entries(requests)) {
      if (only && name !== only) continue;
      await fn();
      await inspector?.post('Profiler.enable');
      await inspector?.post('Profiler.start');
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < repeat; r++) {
        const c = process.cpuUsage();
        const t = performance.now();
        await fn();
        wall.push(performance.now() - t);
        const d = process.cpuUsage(c);
        cpu.push((d.user + d.system) / 1000);
      }
      if (inspector && profileDir) {
        const { profile } = await inspector.post('Profiler.stop');
        await writeFile(path.join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
      }
      const med = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
      out[name] = { wallMs: med(wall), cpuMs: med(cpu) };
    }
    return { setup: { runs, metrics, steps, points, repeat }, medians: out, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) };
  } finally {
    await server.close();
    if (process.argv.includes('--keep')) console.error(`kept ${home}`);
    else await rm(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await profileUiRequests(), null, 2));
}
