/**
 * Sweeps. Run with `npm run bench -- sweeps`; prints JSON.
 *
 * - tpe: time for TPE to propose one trial (3 parameters: uniform, log-uniform, categorical) given 100 and 1000
 *   finished trials, median of repeated proposals.
 * - controller: a random sweep of 20 trials run by `openexpert sweep`'s controller against a real server (SQLite),
 *   with 1 and 2 slots, for a no-op command (`true`, which never logs the objective) and a Python objective that
 *   logs one value; overhead per trial = (sweep wall time − the same commands spawned bare, one after another) / 20
 *   at 1 slot; trials per minute at 2 slots.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { runSweep } from '../src/cli/sweep-runner.js';
import { suggest } from '../src/domain/sweeps/samplers.js';
import type { TpeTrial } from '../src/domain/sweeps/tpe.js';
import type { SweepConfig } from '../src/domain/sweeps/types.js';
import { startServer } from '../src/main.js';
import { Sweeps } from '../src/sdk/sweeps.js';
import { HttpClient } from '../src/sdk/http.js';

const TRIALS = 20;
const PY = `import json, os, urllib.request
body = json.dumps({'run_id': os.environ['MLFLOW_RUN_ID'], 'metrics': [{'key': 'loss', 'value': float(os.environ['SWEEP_X']) ** 2, 'timestamp': 0, 'step': 0}]}).encode()
urllib.request.urlopen(urllib.request.Request(os.environ['MLFLOW_TRACKING_URI'] + '/api/2.0/mlflow/runs/log-batch', body, {'content-type': 'application/json'}))`;

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

function tpeBench(): Record<string, number> {
  const config: SweepConfig = {
    method: 'tpe', seed: 1, metric: { name: 'loss', goal: 'minimize' }, tpe: { nStartupTrials: 10, nEiCandidates: 24 },
    parameters: [
      { name: 'x', type: 'uniform', min: -5, max: 5 }, { name: 'lr', type: 'log_uniform', min: 1e-5, max: 1 },
      { name: 'opt', type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
    ],
  };
  const out: Record<string, number> = {};
  for (const n of [100, 1000]) {
    const history: TpeTrial[] = [];
    for (let i = 0; i < n; i++) {
      const params = suggest({ ...config, method: 'random' }, i, []);
      history.push({ number: i, state: 'COMPLETE', params, value: (params.x as number) ** 2 + Math.abs(Math.log10(params.lr as number) + 3) });
    }
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      suggest(config, n + r, history);
      times.push(performance.now() - t0);
    }
    out[`suggestMsAt${n}`] = Number(median(times).toFixed(3));
  }
  return out;
}

async function controllerBench(): Promise<Record<string, number>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-sweeps-'));
  const work = path.join(home, 'work');
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'objective.py'), PY);
  const server = await startServer(loadConfig({ home: path.join(home, 'server'), port: 0, logLevel: 'silent' }, {}));
  const sweeps = new Sweeps(new HttpClient(server.url, undefined, fetch));
  const out: Record<string, number> = {};
  try {
    for (const [label, command] of [['noop', ['true']], ['python', ['python3', 'objective.py']]] as const) {
      const bare = performance.now();
      for (let i = 0; i < TRIALS; i++) spawnSync(command[0], command.slice(1), { cwd: work, env: { ...process.env, MLFLOW_RUN_ID: 'x', MLFLOW_TRACKING_URI: 'http://127.0.0.1:9', SWEEP_X: '1' } });
      const bareMs = performance.now() - bare;
      for (const parallel of [1, 2]) {
        const sweep = await sweeps.create({
          name: `${label}-${parallel}`, experimentId: '0', trials: TRIALS,
          config: { method: 'random', seed: parallel, metric: { name: 'loss' }, command: [...command], parameters: { x: { type: 'uniform', min: -1, max: 1 } } },
        });
        const t0 = performance.now();
        await runSweep({ url: server.url, parallel, pollMs: 500 }, sweep.id, work, () => undefined);
        const ms = performance.now() - t0;
        if (parallel === 1) out[`${label}OverheadMsPerTrial`] = Number(((ms - bareMs) / TRIALS).toFixed(1));
        out[`${label}TrialsPerMinuteAt${parallel}Slots`] = Number(((TRIALS / ms) * 60_000).toFixed(0));
      }
      out[`${label}BareCommandMs`] = Number((bareMs / TRIALS).toFixed(1));
    }
  } finally {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return out;
}

export async function runSweepsBench(): Promise<Record<string, unknown>> {
  return { tpe: tpeBench(), controller: await controllerBench(), cpus: os.cpus().length };
}
