import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgv, runCliIn } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/** `openexpert pipeline` end to end: tracked steps on a real server, and a runner killed mid-step then resumed. */
let server: Awaited<ReturnType<typeof startTestServer>>;
let work: string;
const V1 = '/api/v1';

beforeAll(async () => {
  server = await startTestServer();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-pipeline-cli-'));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function project(name: string, pipeline: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'openexpert.pipeline.yaml'), pipeline);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

const PIPELINE = `
name: churn
parallelism: 2
steps:
  prepare:
    command: mkdir -p data && sort -n raw.csv > data/clean.csv
    inputs: [raw.csv]
    outputs: [{path: data/clean.csv, dataset: churn-clean}]
  count:
    command: wc -l < data/clean.csv | tr -d ' ' > count.txt
    inputs: [data/clean.csv]
    outputs: [count.txt]
  train:
    command: echo "lr=\${params.lr}" > model.txt && cat data/clean.csv >> model.txt
    inputs: [data/clean.csv]
    params: {lr: 0.1}
    outputs: [model.txt]
`;

describe('openexpert pipeline', () => {
  it('records each step as a run in the lineage graph, registers dataset outputs, and serves the DAG state', async () => {
    const dir = project('tracked', PIPELINE, { 'raw.csv': '3\n1\n2\n' });
    const first = await runCliIn(dir, ['pipeline', 'run', '--url', server.url, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const reports = JSON.parse(first.stdout) as { step: string; state: string; runId: string }[];
    expect(reports.map((r) => [r.step, r.state])).toEqual([['prepare', 'succeeded'], ['count', 'succeeded'], ['train', 'succeeded']]);
    expect(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8')).toBe('lr=0.1\n1\n2\n3\n');

    const api = jsonClient(server.url);
    const runs = Object.fromEntries(reports.map((r) => [r.step, r.runId]));
    const train = (await api.get(`${V1}/runs/${runs.train}`)).body;
    expect(train.info).toMatchObject({ runName: 'churn.train', status: 'FINISHED' });
    expect(train.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
    const lineage = (await api.get(`${V1}/lineage/run/${runs.prepare}`, { direction: 'downstream' })).body;
    const edges = lineage.edges.map((e: { from: { id: string }; to: { kind: string; id: string }; relation: string }) => `${e.from.id}->${e.to.kind}:${e.to.id}:${e.relation}`).sort();
    expect(edges).toEqual(expect.arrayContaining([`${runs.prepare}->run:${runs.count}:derived_from`, `${runs.prepare}->run:${runs.train}:derived_from`]));
    const dataset = (await api.get(`${V1}/datasets/churn-clean/versions/1`)).body;
    expect(dataset.files.map((f: { path: string; size: number }) => [f.path, f.size])).toEqual([['clean.csv', 6]]);
    const modelArtifact = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${train.info.artifactUri.replace('mlflow-artifacts:/', '')}/outputs/model.txt`);
    expect(await modelArtifact.text()).toBe('lr=0.1\n1\n2\n3\n');

    const second = await runCliIn(dir, ['pipeline', 'run', '--url', server.url, '--json']);
    expect(JSON.parse(second.stdout).map((r: { state: string; runId: string }) => [r.state, r.runId])).toEqual(reports.map((r) => ['cached', r.runId]));
    const pipelineRuns = (await api.get(`${V1}/pipeline-runs`, { name: 'churn' })).body.items;
    expect(pipelineRuns.map((p: { status: string; steps: { state: string; cache: string }[] }) => [p.status, p.steps.map((s) => `${s.state}/${s.cache}`)])).toEqual([
      ['succeeded', ['cached/hit', 'cached/hit', 'cached/hit']],
      ['succeeded', ['succeeded/miss', 'succeeded/miss', 'succeeded/miss']],
    ]);
    expect(pipelineRuns[1].steps.map((s: { name: string; needs: string[] }) => [s.name, s.needs])).toEqual([['prepare', []], ['count', ['prepare']], ['train', ['prepare']]]);

    fs.writeFileSync(path.join(dir, 'openexpert.pipeline.yaml'), PIPELINE.replace('lr: 0.1', 'lr: 0.2'));
    const status = await runCliIn(dir, ['pipeline', 'status', '--url', server.url]);
    expect(status.stdout).toMatch(/^prepare\s+cached\s+hit\s+.*unchanged since it last ran$/m);
    expect(status.stdout).toMatch(/^train\s+would-run\s+miss\s+.*its command changed; its parameters changed$/m);
  }, 240_000);

  it('fetches dataset inputs by version, keys the cache on their digest and links them to the step run', async () => {
    const api = jsonClient(server.url);
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    expect((await api.post(`${V1}/datasets`, { name: 'raw-events', files: [{ path: 'events.csv', content: b64('a\nb\n') }] })).status).toBe(201);
    const dir = project('datasets', `
name: from-data
steps:
  count:
    command: wc -l < data/raw/events.csv | tr -d ' ' > count.txt
    inputs: [{dataset: raw-events@1, path: data/raw}]
    outputs: [count.txt]
`, {});
    const first = await runCliIn(dir, ['pipeline', 'run', '--url', server.url, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const [count] = JSON.parse(first.stdout) as { state: string; runId: string }[];
    expect(count!.state).toBe('succeeded');
    expect(fs.readFileSync(path.join(dir, 'count.txt'), 'utf8')).toBe('2\n');
    const version = (await api.get(`${V1}/datasets/raw-events/versions/1`)).body;
    const lineage = (await api.get(`${V1}/lineage/run/${count!.runId}`, { direction: 'upstream' })).body;
    expect(lineage.edges.map((e: { from: { kind: string; id: string }; relation: string }) => `${e.from.kind}:${e.from.id}:${e.relation}`)).toEqual([`dataset_version:${version.id}:consumed`]);
    expect(JSON.parse((await runCliIn(dir, ['pipeline', 'run', '--url', server.url, '--json'])).stdout)[0].state).toBe('cached');
    // A new version under the same reference would change the digest, and so the key: pin @2 and it runs again.
    expect((await api.post(`${V1}/datasets`, { name: 'raw-events', files: [{ path: 'events.csv', content: b64('a\nb\nc\n') }] })).status).toBe(201);
    fs.writeFileSync(path.join(dir, 'openexpert.pipeline.yaml'), fs.readFileSync(path.join(dir, 'openexpert.pipeline.yaml'), 'utf8').replace('raw-events@1', 'raw-events@2'));
    const third = JSON.parse((await runCliIn(dir, ['pipeline', 'run', '--url', server.url, '--json'])).stdout)[0];
    expect(third.state).toBe('succeeded');
    expect(fs.readFileSync(path.join(dir, 'count.txt'), 'utf8')).toBe('3\n');
  }, 240_000);

  it('runs when a monitoring alert\'s retrain trigger starts it, and reports back to the retrain request', async () => {
    const dir = project('retrain', PIPELINE.replace('name: churn', 'name: churn-retrain'), { 'raw.csv': '9\n8\n' });
    const api = jsonClient(server.url);
    const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => ({ age: 20 + (i % 50) + shift, plan: i % 3 === 0 ? 'pro' : 'basic' }));
    expect((await api.post(`${V1}/monitors`, { name: 'churn-live', reference: { rows: rows(300, 0) } })).status).toBe(201);
    // The server starts the command without a shell and with no --url: it tells the command where it is.
    const rule = await api.post(`${V1}/monitors/churn-live/alert-rules`, {
      name: 'retrain-on-drift', figure: 'dataset_drift', op: '>=', threshold: 1,
      retrain: { command: [...cliArgv(), 'pipeline', 'run', '--file', path.join(dir, 'openexpert.pipeline.yaml')] },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    expect((await api.post(`${V1}/monitors/churn-live/ingest`, { rows: rows(300, 30) })).body.window.figures.dataset_drift).toBe(1);

    let request: { requestId: string; status: string; detail: string | null } | undefined;
    for (const started = Date.now(); Date.now() - started < 150_000; await new Promise((r) => setTimeout(r, 500))) {
      request = (await api.get(`${V1}/monitors/churn-live/retrain-requests`)).body.items[0];
      if (request && request.status !== 'requested' && request.status !== 'started') break;
    }
    expect(request).toMatchObject({ status: 'completed', detail: expect.stringContaining('pipeline churn-retrain: 3 ran, 0 cached') });
    expect(fs.readFileSync(path.join(dir, 'model.txt'), 'utf8')).toBe('lr=0.1\n8\n9\n');
    const [pipelineRun] = (await api.get(`${V1}/pipeline-runs`, { name: 'churn-retrain' })).body.items;
    expect(pipelineRun.status).toBe('succeeded');
    const stepRuns = await Promise.all(pipelineRun.steps.map(async (s: { runId: string }) => (await api.get(`${V1}/runs/${s.runId}`)).body));
    for (const run of stepRuns) expect(run.data.tags).toContainEqual({ key: 'openexpert.retrain_request', value: request!.requestId });
    const graph = await api.get(`${V1}/lineage/alert_rule/${rule.body.ruleId}`, { direction: 'downstream' });
    const started = graph.body.edges.find((e: { relation: string }) => e.relation === 'started');
    expect(started.to).toEqual({ kind: 'run', id: pipelineRun.steps.at(-1).runId });
  }, 240_000);

  it('resumes after the runner is killed mid-step without redoing finished steps or caching the killed one', async () => {
    const marker = path.join(work, 'slow.pid');
    const dir = project('crash', `
name: crash
steps:
  quick:
    command: cp in.txt quick.txt
    inputs: [in.txt]
    outputs: [quick.txt]
  slow:
    command: echo $$ > ${marker}; sleep "\${DELAY:-0}"; cp quick.txt slow.txt
    inputs: [quick.txt]
    outputs: [slow.txt]
`, { 'in.txt': 'hello\n' });
    // The first runner's step waits long enough to be killed; the resumed one runs the same command at once.
    const [node, ...cli] = cliArgv();
    const runner = spawn(node!, [...cli, 'pipeline', 'run', '--offline'], { cwd: dir, env: { ...process.env, DELAY: '120' }, stdio: 'ignore' });
    const started = Date.now();
    while (!fs.existsSync(marker) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 100));
    expect(fs.existsSync(marker)).toBe(true);
    runner.kill('SIGKILL');
    await new Promise((resolve) => runner.once('exit', resolve));
    // The killed runner's step is orphaned in its own process group: stop it the way a machine crash would.
    const pid = Number(fs.readFileSync(marker, 'utf8'));
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // it finished already
    }
    const lockAfterCrash = fs.readFileSync(path.join(dir, 'openexpert.pipeline.lock'), 'utf8');
    expect(lockAfterCrash).toContain('quick:');
    expect(lockAfterCrash).not.toContain('slow:');
    expect(fs.existsSync(path.join(dir, 'slow.txt'))).toBe(false);

    const resumed = await runCliIn(dir, ['pipeline', 'run', '--offline', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).map((r: { step: string; state: string }) => [r.step, r.state])).toEqual([['quick', 'cached'], ['slow', 'succeeded']]);
    expect(fs.readFileSync(path.join(dir, 'slow.txt'), 'utf8')).toBe('hello\n');
  }, 240_000);
});
