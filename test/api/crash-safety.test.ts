import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../support/child-server.js';
import { jsonClient } from '../support/http.js';

/**
 * Every write acknowledged with 200 survives `kill -9` of the server: several clients write batches
 * concurrently, the server is killed mid-stream, restarted on the same data, and each acknowledged
 * batch is read back.
 */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-crash-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));
const M = '/api/2.0/mlflow';

describe('crash safety', () => {
  it('keeps every acknowledged write across SIGKILL', async () => {
    const first = await spawnServer(['--home', home]);
    const api = jsonClient(first.url);
    const exp = (await api.post(`${M}/experiments/create`, { name: 'crash' })).body.experiment_id as string;

    const acknowledged: { runId: string; key: string; steps: number[] }[] = [];
    const acknowledgedRuns: string[] = [];
    let stop = false;
    const client = async (c: number) => {
      const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp })).body.run.info.run_id as string;
      acknowledgedRuns.push(runId);
      for (let batch = 0; !stop; batch++) {
        const steps = Array.from({ length: 50 }, (_, i) => batch * 50 + i);
        try {
          const res = await api.post(`${M}/runs/log-batch`, {
            run_id: runId,
            metrics: steps.map((step) => ({ key: `m${c}`, value: step, timestamp: step, step })),
            params: [{ key: `p${batch}`, value: String(batch) }],
          });
          if (res.status === 200) acknowledged.push({ runId, key: `m${c}`, steps });
        } catch {
          return; // the connection died with the server: this batch was never acknowledged
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((r) => setTimeout(r, 1500));
    await first.stop('SIGKILL');
    stop = true;
    await Promise.all(clients);
    expect(acknowledged.length).toBeGreaterThan(20);

    const second = await spawnServer(['--home', home]);
    try {
      const after = jsonClient(second.url);
      for (const runId of acknowledgedRuns) expect((await after.get(`${M}/runs/get`, { run_id: runId })).status).toBe(200);
      const byKey = new Map<string, Set<number>>();
      for (const runId of new Set(acknowledged.map((a) => a.runId))) {
        const key = acknowledged.find((a) => a.runId === runId)!.key;
        const res = await after.get(`${M}/metrics/get-history`, { run_id: runId, metric_key: key, max_results: 100000 });
        byKey.set(runId, new Set((res.body.metrics ?? []).map((m: { step: number }) => m.step)));
      }
      for (const a of acknowledged) {
        const stored = byKey.get(a.runId)!;
        expect(a.steps.every((s) => stored.has(s)), `acknowledged batch of ${a.runId} starting at step ${a.steps[0]}`).toBe(true);
      }
    } finally {
      await second.stop();
    }
  }, 60_000);
});
