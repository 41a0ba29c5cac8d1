import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgv, runCliIn } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * `openexpert sweep` end to end: a real server, the real CLI, trial commands that are small Python scripts logging
 * their objective step by step through the MLflow REST API (as the MLflow client does) to the run in MLFLOW_RUN_ID.
 * Which trials early stopping stops is compared with hand computations of the median rule and of ASHA.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let work: string;
let api: ReturnType<typeof jsonClient>;
const V1 = '/api/v1';
const M = '/api/2.0/mlflow';

/** Logs the comma-separated curve in $SWEEP_CURVE as `loss`, one step every $STEP_SECONDS. */
const CURVE_SCRIPT = `
import json, os, sys, time, urllib.request
def log(step, value):
    body = json.dumps({'run_id': os.environ['MLFLOW_RUN_ID'], 'metrics': [{'key': 'loss', 'value': value, 'timestamp': 0, 'step': step}]}).encode()
    urllib.request.urlopen(urllib.request.Request(os.environ['MLFLOW_TRACKING_URI'] + '/api/2.0/mlflow/runs/log-batch', body, {'content-type': 'application/json'}))
for step, v in enumerate(os.environ['SWEEP_CURVE'].split(',')):
    log(step, float(v))
    time.sleep(float(os.environ.get('STEP_SECONDS', '0.15')))
`;

/** loss = (x − 0.5)² + y, from {{x}} and {{y}} on the command line; y = 3 fails after logging; sleeps $HOLD seconds. */
const QUAD_SCRIPT = `
import json, os, sys, time, urllib.request
x, y = float(sys.argv[1]), int(sys.argv[2])
loss = (x - 0.5) ** 2 + y
body = json.dumps({'run_id': os.environ['MLFLOW_RUN_ID'], 'metrics': [{'key': 'loss', 'value': loss, 'timestamp': 0, 'step': 0}]}).encode()
urllib.request.urlopen(urllib.request.Request(os.environ['MLFLOW_TRACKING_URI'] + '/api/2.0/mlflow/runs/log-batch', body, {'content-type': 'application/json'}))
time.sleep(float(os.environ.get('HOLD', '0')))
sys.exit(2 if y == 3 else 0)
`;

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCliIn(work, args, { OPENEXPERT_URL: server.url, ...env });
const writeConfig = (name: string, text: string) => {
  fs.writeFileSync(path.join(work, name), text);
  return name;
};
const sweepIdOf = (stderr: string) => /sweep ([0-9a-f]{32})/.exec(stderr)?.[1] ?? '';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-sweeps-'));
  fs.writeFileSync(path.join(work, 'curve.py'), CURVE_SCRIPT);
  fs.writeFileSync(path.join(work, 'quad.py'), QUAD_SCRIPT);
});
afterAll(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

async function trials(id: string) {
  const res = await api.get(`${V1}/sweeps/${id}`);
  expect(res.status).toBe(200);
  return res.body as { trials: { number: number; state: string; value?: number | string; step?: number; runId: string; attempts: number; reason?: string; params: Record<string, unknown> }[]; parentRunId: string; state: string; best?: { number: number } };
}

describe('early stopping', () => {
  it('the median rule stops exactly the trials a hand computation says, and SIGTERM ends them', async () => {
    // Completed A and B give medians 8.5 (step 1), 7 (step 2), 5.5 (step 3), 4 (step 4).
    // C: best 10 > 8.5 at step 1 → stopped at 1. D: 7 < 8.5, 7 = 7, 7 > 5.5 → stopped at 3. E stays at or below.
    const curves = { A: '10,8,6,4,2', B: '10,9,8,7,6', C: '11,10,9,8,7,6,5,4,3,2,1,0', D: '9,7,7.5,8,9', E: '10,8.5,7,5.5,4' };
    const config = writeConfig('median.yaml', `
name: median
experiment: sweeps-median
method: grid
metric: {name: loss, goal: minimize}
parameters:
  curve: {type: categorical, values: [${Object.values(curves).map((c) => `"${c}"`).join(', ')}]}
earlyStopping: {type: median, nStartupTrials: 2, nWarmupSteps: 1}
`);
    const out = await cli(['sweep', '--config', config, '--poll-ms', '100', '--', 'python3', 'curve.py'], { STEP_SECONDS: '0.25' });
    expect(out.code, out.stderr).toBe(0);
    const s = await trials(sweepIdOf(out.stderr));
    expect(s.trials.map((t) => [t.state, t.step])).toEqual([['COMPLETE', 4], ['COMPLETE', 4], ['PRUNED', 1], ['PRUNED', 3], ['COMPLETE', 4]]);
    expect(s.trials.map((t) => t.value)).toEqual([2, 6, 10, 8, 4]);
    expect(s.trials[2]!.reason).toMatch(/stopped at step 1 by the median rule/);
    expect(s.best?.number).toBe(0);
    // C was stopped while running: its run was killed long before its 12 steps.
    const c = (await api.get(`${V1}/runs/${s.trials[2]!.runId}`)).body;
    expect(c.info.status).toBe('KILLED');
    const history = (await api.get(`${M}/metrics/get-history`, { run_id: s.trials[2]!.runId, metric_key: 'loss' })).body.metrics;
    expect(history.length).toBeLessThan(12);
    // Every trial is a child of the sweep's run, tagged as a hyperparameter search, with its parameters logged.
    const run = (await api.get(`${V1}/runs/${s.trials[1]!.runId}`)).body;
    const tags = Object.fromEntries(run.data.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    expect(tags['mlflow.parentRunId']).toBe(s.parentRunId);
    expect(tags.experiment_type).toBe('hyperparameter-search');
    expect(run.data.params).toEqual([{ key: 'curve', value: curves.B }]);
    const parent = (await api.get(`${V1}/runs/${s.parentRunId}`)).body;
    expect(parent.info.status).toBe('FINISHED');
    expect(Object.fromEntries(parent.data.tags.map((t: { key: string; value: string }) => [t.key, t.value])).experiment_type).toBe('hyperparameter-search');
  }, 120_000);

  it('ASHA stops exactly the trials a hand computation says', async () => {
    // η = 2, rungs at steps 1, 2, 4 (see the unit test for the arithmetic): T1 and T3 stop at 1, T4 at 2, T2 at 4.
    const curves = ['9,5,4,3.5,3,2.9', '9,6,5,4,3,2', '9,4,3.5,3.4,3.2,3', '9,5.5,1,1,1,1', '9,4.5,3.8,3,2,1'];
    const config = writeConfig('asha.yaml', `
method: grid
metric: {name: loss}
parameters:
  curve: {type: categorical, values: [${curves.map((c) => `"${c}"`).join(', ')}]}
earlyStopping: {type: asha, minResource: 1, reductionFactor: 2}
`);
    const out = await cli(['sweep', '--config', config, '--poll-ms', '100', '--', 'python3', 'curve.py'], { STEP_SECONDS: '0.02' });
    expect(out.code, out.stderr).toBe(0);
    const s = await trials(sweepIdOf(out.stderr));
    expect(s.trials.map((t) => [t.state, t.step])).toEqual([['COMPLETE', 5], ['PRUNED', 1], ['PRUNED', 4], ['PRUNED', 1], ['PRUNED', 2]]);
    expect(s.trials.map((t) => t.value)).toEqual([2.9, 6, 3.2, 5.5, 3.8]);
  }, 120_000);
});

describe('random search, failures, the best trial and registering it', () => {
  const config = `
name: quad
experiment: sweeps-quad
method: random
seed: 11
trials: 8
metric: {name: loss, goal: minimize}
parameters:
  x: {type: uniform, min: -2, max: 2}
  y: {type: int, min: 0, max: 3}
`;
  let id = '';

  it('runs trials two at a time; a failing trial is recorded and the sweep goes on', async () => {
    const out = await cli(['sweep', '--config', writeConfig('quad.yaml', config), '--parallel', '2', '--', 'python3', 'quad.py', '{{x}}', '{{y}}']);
    expect(out.code, out.stderr).toBe(0);
    id = sweepIdOf(out.stderr);
    const s = await trials(id);
    expect(s.trials).toHaveLength(8);
    for (const t of s.trials) {
      const [x, y] = [t.params.x as number, t.params.y as number];
      if (y === 3) {
        expect(t.state).toBe('FAILED');
        expect(t.reason).toBe('the command exited with code 2');
      } else {
        expect(t.state).toBe('COMPLETE');
        expect(t.value).toBeCloseTo((x - 0.5) ** 2 + y, 12);
      }
    }
    expect(s.trials.some((t) => t.state === 'FAILED')).toBe(true);
    // The best: the lowest loss among complete trials, computed here from the parameters.
    const complete = s.trials.filter((t) => t.state === 'COMPLETE');
    const lowest = complete.reduce((a, b) => ((b.value as number) < (a.value as number) ? b : a));
    expect((await api.get(`${V1}/sweeps/${id}/best`)).body.number).toBe(lowest.number);
  }, 120_000);

  it('proposes the same parameters again for the same seed', async () => {
    const exp = (await api.get(`${V1}/experiments/by-name/sweeps-quad`)).body.experimentId;
    const again = await api.post(`${V1}/sweeps`, {
      name: 'quad-again', experimentId: exp, trials: 8,
      config: { method: 'random', seed: 11, metric: { name: 'loss' }, parameters: { x: { type: 'uniform', min: -2, max: 2 }, y: { type: 'int', min: 0, max: 3 } } },
    });
    expect(again.status).toBe(201);
    const asked = [];
    for (let i = 0; i < 8; i++) asked.push((await api.post(`${V1}/sweeps/${again.body.id}/trials`, {})).body.trial.params);
    expect(asked).toEqual((await trials(id)).trials.map((t) => t.params));
    expect((await api.post(`${V1}/sweeps/${again.body.id}/trials`, {})).body).toEqual({ trial: null });
  });

  it('registers the best trial\'s model as a model version in one command', async () => {
    const best = (await api.get(`${V1}/sweeps/${id}/best`)).body;
    const out = await cli(['sweep', 'register', id, '--name', 'quad-model', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const version = JSON.parse(out.stdout);
    expect(version).toMatchObject({ name: 'quad-model', version: 1, runId: best.runId, source: `runs:/${best.runId}/model` });
    const mv = (await api.get(`${M}/model-versions/get`, { name: 'quad-model', version: '1' })).body.model_version;
    expect(mv.run_id).toBe(best.runId);
  });
});

describe('a crash, resume and extend', () => {
  it('after the controller is killed, resume loses no completed trial and runs no trial twice', async () => {
    const config = writeConfig('crash.yaml', `
experiment: sweeps-crash
method: random
seed: 5
trials: 4
metric: {name: loss}
parameters:
  x: {type: uniform, min: -2, max: 2}
  y: {type: int, min: 0, max: 2}
`);
    const [node, ...cliCommand] = cliArgv();
    // Trial 1 holds on while the others end at once: the controller is killed while only trial 1 runs.
    const child = spawn(node!, [...cliCommand, 'sweep', '--config', config, '--parallel', '2', '--url', server.url, '--',
      'sh', '-c', 'HOLD=$([ "$OPENEXPERT_TRIAL_NUMBER" = 1 ] && echo 30 || echo 0) exec python3 quad.py {{x}} {{y}}'], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let id = '';
    let before: Awaited<ReturnType<typeof trials>> | undefined;
    for (let i = 0; i < 200 && !before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      id ||= sweepIdOf(stderr);
      if (!id) continue;
      const s = await trials(id);
      const t1 = s.trials.find((t) => t.number === 1) as { pid?: number } | undefined;
      if (s.trials.filter((t) => t.state === 'COMPLETE').length >= 3 && t1?.pid) before = s;
    }
    expect(before, stderr).toBeDefined();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const t1 = before!.trials.find((t) => t.number === 1)! as { pid?: number; runId: string };
    const leftover = t1.pid!;
    expect(() => process.kill(leftover, 0)).not.toThrow();

    const out = await cli(['sweep', 'resume', id, '--parallel', '2']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/1 interrupted trial\(s\) run again; stopped 1 left running/);

    const after = await trials(id);
    expect(after.trials.map((t) => t.number)).toEqual([0, 1, 2, 3]);
    expect(after.trials.every((t) => t.state === 'COMPLETE' || t.state === 'FAILED')).toBe(true);
    for (const t of before!.trials.filter((x) => x.state === 'COMPLETE')) {
      expect(after.trials[t.number]).toMatchObject({ runId: t.runId, attempts: 1, value: t.value });
    }
    expect(after.trials[1]).toMatchObject({ attempts: 2, params: before!.trials[1]!.params });
    expect(after.trials[1]!.runId).not.toBe(t1.runId);
    expect((await api.get(`${V1}/runs/${t1.runId}`)).body.info.status).toBe('KILLED');
    // The trial left running by the dead controller was stopped (its process group got SIGTERM).
    await new Promise((r) => setTimeout(r, 300));
    expect(() => process.kill(leftover, 0)).toThrow();
    const children = (await api.post(`${M}/runs/search`, { experiment_ids: [(await api.get(`${V1}/experiments/by-name/sweeps-crash`)).body.experimentId], filter: `tags.openexpert.sweep_id = '${id}'` })).body.runs;
    // The parent run, four trial runs and the one killed attempt: nothing doubled.
    expect(children).toHaveLength(6);

    const extended = await cli(['sweep', 'extend', id, '--trials', '2']);
    expect(extended.code, extended.stderr).toBe(0);
    const s = await trials(id);
    expect(s.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.state).toBe('FINISHED');
  }, 120_000);
});

describe('what the API refuses', () => {
  it('answers 400 naming the problem, never 500', async () => {
    const exp = (await api.post(`${V1}/experiments`, { name: 'sweeps-bad' })).body.experimentId;
    const create = (config: unknown, trials?: number) => api.post(`${V1}/sweeps`, { name: 'bad', experimentId: exp, config, ...(trials ? { trials } : {}) });
    const cases: [unknown, number | undefined, RegExp][] = [
      [{ method: 'grid', metric: { name: 'l' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } }, undefined, /gridPoints/],
      [{ method: 'random', metric: { name: 'l' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } }, undefined, /'trials'/],
      [{ method: 'tpe', metric: { name: 'l' }, parameters: { m: { type: 'uniform', min: 0, max: 1, when: { opt: 'a' } }, opt: { type: 'categorical', values: ['a'] } } }, 5, /declared before/],
      [{ method: 'bayes', metric: { name: 'l' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } }, 5, /'config.method'/],
      [{ method: 'random', metric: { name: 'l' }, parameters: { x: { type: 'log_uniform', min: 0, max: 1 } } }, 5, /'config.parameters.x.min'/],
    ];
    for (const [config, n, message] of cases) {
      const res = await create(config, n);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await api.get(`${V1}/sweeps/${'0'.repeat(32)}`)).status).toBe(404);
  });
});

describe('parameter importance', () => {
  it('on f = 10·x1 + 0.1·x2 + 0·x3, `sweep importance` puts x1 first and x3 near 0, shares summing to 1', async () => {
    // Analytic variance fractions over uniform [0, 1]: 100/12 : 0.01/12 : 0 → x1 ≈ 0.9999.
    const exp = (await api.post(`${V1}/experiments`, { name: 'sweeps-importance' })).body.experimentId as string;
    const uniform = { type: 'uniform', min: 0, max: 1 };
    const created = await api.post(`${V1}/sweeps`, { name: 'imp', experimentId: exp, trials: 40, config: { method: 'random', seed: 4, metric: { name: 'loss' }, parameters: { x1: uniform, x2: uniform, x3: uniform } } });
    const id = created.body.id as string;
    const tooFew = await api.get(`${V1}/sweeps/${id}/importance`);
    expect(tooFew.status).toBe(409);
    expect(tooFew.body.error.message).toMatch(/at least 2/);
    for (;;) {
      const { trial } = (await api.post(`${V1}/sweeps/${id}/trials`, {})).body as { trial: { number: number; runId: string; params: Record<string, number> } | null };
      if (!trial) break;
      const loss = 10 * trial.params.x1! + 0.1 * trial.params.x2!;
      await api.post(`${M}/runs/log-batch`, { run_id: trial.runId, metrics: [{ key: 'loss', value: loss, timestamp: 0, step: 0 }] });
      await api.post(`${V1}/sweeps/${id}/trials/${trial.number}/finish`, { exitCode: 0 });
    }
    const out = await cli(['sweep', 'importance', id, '--seed', '2', '--json']);
    expect(out.code).toBe(0);
    const imp = JSON.parse(out.stdout) as { params: { name: string; importance: number }[]; trials: number; seed: number };
    expect(imp.trials).toBe(40);
    expect(imp.seed).toBe(2);
    expect(imp.params[0]!.name).toBe('x1');
    expect(imp.params[0]!.importance).toBeGreaterThan(0.9);
    expect(imp.params.find((p) => p.name === 'x3')!.importance).toBeLessThan(0.05);
    expect(imp.params.reduce((a, p) => a + p.importance, 0)).toBeCloseTo(1, 9);
    const again = await api.get(`${V1}/sweeps/${id}/importance?seed=2`);
    expect(again.body).toEqual(imp);
    const table = await cli(['sweep', 'importance', id]);
    expect(table.stdout).toMatch(/PARAMETER\s+IMPORTANCE/);
    expect((await api.get(`${V1}/sweeps/${id}/importance?trees=0`)).body.error.message).toMatch(/trees/);
  });
});

describe('reproducing a trial', () => {
  it('a trial run reproduces with its parameters: the SWEEP_* environment it was given is captured and set again', async () => {
    // The objective reads its parameter only from the environment, so a rerun without SWEEP_X could not log the same loss.
    const code = [
      'import json, os, urllib.request',
      "body = json.dumps({'run_id': os.environ['MLFLOW_RUN_ID'], 'metrics': [{'key': 'loss', 'value': float(os.environ['SWEEP_X']) ** 2 + 1, 'timestamp': 0, 'step': 0}]}).encode()",
      "urllib.request.urlopen(urllib.request.Request(os.environ['MLFLOW_TRACKING_URI'] + '/api/2.0/mlflow/runs/log-batch', body, {'content-type': 'application/json'}))",
    ].join('\n');
    const config = writeConfig('env.yaml', 'name: env\nexperiment: sweeps-env\nmethod: grid\nmetric: {name: loss}\nparameters:\n  x: {type: categorical, values: [0.5, 3]}\n');
    const out = await cli(['sweep', '--config', config, '--', 'python3', '-c', code]);
    expect(out.code, out.stderr).toBe(0);
    const trial = (await trials(sweepIdOf(out.stderr))).trials[1]!;
    expect(trial.value).toBe(10);
    const capture = (await api.get(`${V1}/runs/${trial.runId}/capture`)).body as { env: Record<string, string> };
    expect(capture.env).toMatchObject({ SWEEP_X: '3', OPENEXPERT_TRIAL_NUMBER: '1', OPENEXPERT_TRIAL_PARAMS: '{"x":3}' });
    const again = await cli(['reproduce', trial.runId, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const r = JSON.parse(again.stdout) as { passed: boolean; runId: string };
    expect(r.passed).toBe(true);
    const rerun = (await api.get(`${V1}/runs/${r.runId}`)).body as { data: { metrics: { key: string; value: number }[] } };
    expect(rerun.data.metrics.find((m) => m.key === 'loss')?.value).toBe(10);
  }, 180_000);
});

describe('two controllers', () => {
  it('a second controller refuses to resume or drive a sweep another one is running, and nothing runs twice', async () => {
    const config = writeConfig('lease.yaml', 'experiment: sweeps-lease\nmethod: grid\nmetric: {name: loss}\nparameters:\n  x: {type: categorical, values: [0, 1, 2]}\n  y: {type: categorical, values: [0]}\n');
    const [node, ...cliCommand] = cliArgv();
    // Every trial holds on for 4 s, so the first controller is still running them when the second starts.
    const first = spawn(node!, [...cliCommand, 'sweep', '--config', config, '--parallel', '2', '--url', server.url, '--', 'python3', 'quad.py', '{{x}}', '{{y}}'],
      { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOLD: '4' } });
    let stderr = '';
    first.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const firstDone = new Promise<number | null>((r) => first.once('close', r));
    let id = '';
    for (let i = 0; i < 600 && !id; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const candidate = sweepIdOf(stderr);
      if (candidate && (await trials(candidate)).trials.some((t) => t.state === 'RUNNING')) id = candidate;
    }
    expect(id, stderr).not.toBe('');

    const second = await cli(['sweep', 'resume', id, '--parallel', '2']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/driven by another controller \(pid \d+ on /);
    // Through the API too: asking for a trial without the holder's id is refused while the lease is live.
    const ask = await api.post(`${V1}/sweeps/${id}/trials`, {});
    expect(ask.status).toBe(409);
    expect(ask.body.error.message).toMatch(/driven by another controller/);

    expect(await firstDone, stderr).toBe(0);
    const s = await trials(id);
    expect(s.state).toBe('FINISHED');
    expect(s.trials.map((t) => [t.state, t.attempts])).toEqual([['COMPLETE', 1], ['COMPLETE', 1], ['COMPLETE', 1]]);
    // The first controller gave its lease up when it ended: the sweep can be driven again.
    const after = await api.post(`${V1}/sweeps/${id}/trials`, {});
    expect(after.status).toBe(200);
    expect(after.body.trial).toBeNull();
  }, 180_000);
});
