import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliIn } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

const V1 = '/api/v1';
const M = '/api/2.0/mlflow';
/** A CPU-second costs $0.001 and a GPU-second $0.0001 here; memory is free. */
const PRICES = { cpuHour: 3.6, memoryGbHour: 0, gpuHour: { default: 0.36 } };

describe('compute cost over HTTP', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  let dir: string;
  let experimentId: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-cost-'));
    fs.writeFileSync(path.join(dir, 'prices.json'), JSON.stringify(PRICES));
    server = await startTestServer({}, { OPENEXPERT_COMPUTE_PRICES: path.join(dir, 'prices.json') });
    api = jsonClient(server.url);
    experimentId = (await api.post(`${V1}/experiments`, { name: 'costly' })).body.experimentId;
  }, 60_000);
  afterAll(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('measures a command `openexpert run` starts and prices it', async () => {
    // The command burns ~1 s of its own CPU time and prints what it counted.
    fs.writeFileSync(path.join(dir, 'busy.js'), `
      const t0 = process.cpuUsage(); let x = 0;
      for (;;) { for (let i = 0; i < 1e5; i++) x += i; const u = process.cpuUsage(t0); if (u.user + u.system >= 1e6) break; }
      const u = process.cpuUsage(); console.log(JSON.stringify({ cpu: (u.user + u.system) / 1e6, x: x > 0 }));`);
    const r = await runCliIn(dir, ['run', '--url', server.url, '-e', 'measured', '--', process.execPath, 'busy.js']);
    expect(r.code, r.stderr).toBe(0);
    const own = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { cpu: number };
    const runId = /run ([0-9a-f]{32})/.exec(r.stderr)![1]!;
    const usage = (await api.get(`${V1}/runs/${runId}/usage`)).body;
    expect(usage.entries).toBe(1);
    expect(usage.cpuSeconds).toBeGreaterThan(own.cpu * 0.8);
    expect(usage.cpuSeconds).toBeLessThan(own.cpu * 1.25 + 0.3);
    expect(usage.peakMemoryBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(usage.costUsd).toBeCloseTo(usage.cpuSeconds * 0.001, 10);
    const shown = await runCliIn(dir, ['cost', 'run', runId, '--url', server.url, '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ runId, cpuSeconds: usage.cpuSeconds });
  }, 180_000);

  it('sums reported usage per run, sweep and experiment, and exposes it to Prometheus', async () => {
    const run = (await api.post(`${V1}/runs`, { experimentId })).body.info.runId;
    const first = await api.post(`${V1}/runs/${run}/usage`, { cpuSeconds: 100, peakMemoryBytes: 2 ** 30, wallSeconds: 60, gpuSeconds: 1000, gpuMemoryBytes: 2 ** 32, gpuType: 'Tesla X' });
    expect(first.status).toBe(200);
    // 100 CPU-s × $0.001 + 1000 GPU-s × $0.0001
    expect(first.body.costUsd).toBeCloseTo(0.2, 10);
    const bad = await api.post(`${V1}/runs/${run}/usage`, { cpuSeconds: -1, peakMemoryBytes: 0, wallSeconds: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('cpuSeconds');
    expect((await api.get(`${V1}/runs/${run}/usage`)).body.entries).toBe(1);

    const sweep = (await api.post(`${V1}/sweeps`, { name: 's', experimentId, trials: 3, config: { method: 'random', metric: { name: 'loss' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } } })).body;
    const trial = (await api.post(`${V1}/sweeps/${sweep.id}/trials`, {})).body.trial;
    await api.post(`${V1}/runs/${trial.runId}/usage`, { cpuSeconds: 50, peakMemoryBytes: 0, wallSeconds: 50, source: 'sweep-trial' });
    expect((await api.get(`${V1}/sweeps/${sweep.id}/cost`)).body.costUsd).toBeCloseTo(0.05, 10);
    const exp = (await api.get(`${V1}/experiments/${experimentId}/cost`)).body;
    expect(exp.costUsd).toBeCloseTo(0.25, 10);
    expect(exp.runs.map((r: { runId: string }) => r.runId)).toEqual([run, trial.runId]);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const line = metrics.split('\n').find((l) => l.startsWith(`openexpert_compute_cost_usd{experiment_id="${experimentId}"}`));
    expect(Number(line?.split(' ').at(-1))).toBeCloseTo(0.25, 10);
  });

  it('refuses new runs (native and MLflow) and sweep trials with a hard-stop budget once exceeded, naming the budget', async () => {
    const exp = (await api.post(`${V1}/experiments`, { name: 'capped' })).body.experimentId;
    const created = await api.post(`${V1}/compute/budgets`, { name: 'capped-daily', scope: 'experiment', subject: exp, period: 'day', limitUsd: 0.1, hardStop: true });
    expect(created.status).toBe(201);
    expect(created.body.budget).not.toHaveProperty('webhookSecret');
    const sweep = (await api.post(`${V1}/sweeps`, { name: 's', experimentId: exp, trials: 5, config: { method: 'random', metric: { name: 'loss' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } } })).body;
    const run = (await api.post(`${V1}/runs`, { experimentId: exp })).body.info.runId;
    await api.post(`${V1}/runs/${run}/usage`, { cpuSeconds: 120, peakMemoryBytes: 0, wallSeconds: 120 });

    const native = await api.post(`${V1}/runs`, { experimentId: exp });
    expect(native.status).toBe(409);
    expect(native.body.error.message).toMatch(/Compute budget 'capped-daily'.*exceeded/);
    const mlflow = await api.post(`${M}/runs/create`, { experiment_id: exp });
    expect(mlflow.status).toBe(400);
    expect(mlflow.body).toMatchObject({ error_code: 'INVALID_STATE', message: expect.stringContaining("'capped-daily'") });
    const trial = await api.post(`${V1}/sweeps/${sweep.id}/trials`, {});
    expect(trial.status).toBe(409);
    expect((await api.get(`${V1}/sweeps/${sweep.id}`)).body.trials).toHaveLength(0);
    // Other experiments are not this budget's business.
    expect((await api.post(`${V1}/runs`, { experimentId })).status).toBe(201);

    const status = (await api.get(`${V1}/compute/budgets/capped-daily`)).body;
    expect(status.status).toMatchObject({ exceeded: true });
    expect(status.status.spentUsd).toBeCloseTo(0.12, 10);
    expect(status.alerts.map((a: { threshold: number }) => a.threshold).sort()).toEqual([0.5, 0.8, 1]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('openexpert_compute_budget_exceeded{budget="capped-daily"} 1');

    expect((await api.call('DELETE', `${V1}/compute/budgets/capped-daily`)).status).toBe(200);
    expect((await api.post(`${V1}/runs`, { experimentId: exp })).status).toBe(201);
  });
});
