import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliArgv, runCliIn } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * `openexpert run` and `openexpert reproduce` end to end: real git repositories, real Python scripts that log
 * through the MLflow REST API (as the MLflow client does) to the run named by MLFLOW_RUN_ID, a real server.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let work: string;
const V1 = '/api/v1';
const M = '/api/2.0/mlflow';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });

/** Logs what it computes through the MLflow REST API, as `mlflow.log_metrics` would. */
const LOG = `
import json, os, urllib.request
def log(**metrics):
    body = json.dumps({'run_id': os.environ['MLFLOW_RUN_ID'], 'metrics': [{'key': k, 'value': v, 'timestamp': 0, 'step': 0} for k, v in metrics.items()]}).encode()
    urllib.request.urlopen(urllib.request.Request(os.environ['MLFLOW_TRACKING_URI'] + '/api/2.0/mlflow/runs/log-batch', body, {'content-type': 'application/json'}))
`;

function repo(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'initial');
  return dir;
}

const runIdOf = (stderr: string) => /run ([0-9a-f]{32})/.exec(stderr)?.[1] ?? '';

beforeAll(async () => {
  server = await startTestServer();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-repro-'));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('openexpert run and reproduce', () => {
  let trainRun = '';
  let dir = '';

  it('runs a command as a tracked run and captures code, environment, inputs, seeds and output', async () => {
    dir = repo('deterministic', {
      'train.py': `${LOG}
import sys
seed = sys.argv[sys.argv.index('--seed') + 1]
values = [float(x) for x in open('data/train.csv').read().split()]
mean = sum(values) / len(values)
log(mean=mean, rmse=(sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5)
print('trained with seed', seed)
`,
      'requirements.txt': 'numpy==2.1.0\n',
      '.gitignore': 'data/\n',
    });
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data/train.csv'), '1 2 3 4\n');
    // An uncommitted change and an untracked file: both belong to what ran.
    fs.appendFileSync(path.join(dir, 'train.py'), "print('uncommitted line')\n");
    fs.writeFileSync(path.join(dir, 'NOTES.md'), 'untracked\n');

    const r = await runCliIn(dir, ['run', '--url', server.url, '--user', 'alice', '-e', 'churn', '-i', 'data/train.csv', '--', 'python3', 'train.py', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('trained with seed 7');
    trainRun = runIdOf(r.stderr);

    const api = jsonClient(server.url);
    const run = (await api.get(`${V1}/runs/${trainRun}`)).body;
    expect(run.info).toMatchObject({ status: 'FINISHED', userId: 'alice' });
    // mean of 1..4 is 2.5; population standard deviation is sqrt(1.25).
    const metrics = Object.fromEntries(run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]));
    expect(metrics.mean).toBe(2.5);
    expect(metrics.rmse).toBeCloseTo(Math.sqrt(1.25), 12);
    const tags = Object.fromEntries(run.data.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    expect(tags['mlflow.source.git.commit']).toBe(head);

    const capture = (await api.get(`${V1}/runs/${trainRun}/capture`)).body;
    expect(capture).toMatchObject({
      command: ['python3', 'train.py', '--seed', '7'],
      cwd: '',
      git: { commit: head, root: dir, dirty: true, diffArtifact: 'openexpert/git.diff' },
      seeds: { seed: '7' },
      params: { seed: '7' },
      exitCode: 0,
      createdBy: 'alice',
    });
    expect(capture.environment.interpreters.python).toBe(execFileSync('python3', ['--version'], { encoding: 'utf8' }).trim().replace('Python ', ''));
    expect(capture.environment.lockFiles).toEqual([{ path: 'requirements.txt', sha256: sha256(path.join(dir, 'requirements.txt')), size: 13, artifact: 'openexpert/env/requirements.txt' }]);
    expect(capture.inputs).toEqual([{ path: 'data/train.csv', sha256: sha256(path.join(dir, 'data/train.csv')), size: 8, artifact: 'openexpert/inputs/data/train.csv' }]);
    expect(capture.hardware.cpus).toBe(os.cpus().length);

    const artifact = async (p: string) => (await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${run.info.artifactUri.replace('mlflow-artifacts:/', '')}/${p}`)).text();
    expect(await artifact('openexpert/output.log')).toContain('trained with seed 7');
    const diff = await artifact('openexpert/git.diff');
    expect(diff).toContain("+print('uncommitted line')");
    expect(diff).toContain('+untracked');
    expect(createHash('sha256').update(diff).digest('hex')).toBe(capture.git.diffSha256);
  }, 180_000);

  it('passes the exit status through and records a failed command as a FAILED run', async () => {
    const failing = repo('failing', { 'fail.py': 'import sys\nprint("bad input")\nsys.exit(3)\n' });
    const r = await runCliIn(failing, ['run', '--url', server.url, '--', 'python3', 'fail.py']);
    expect(r.code).toBe(3);
    const id = runIdOf(r.stderr);
    expect((await jsonClient(server.url).get(`${V1}/runs/${id}`)).body.info.status).toBe('FAILED');
    expect((await jsonClient(server.url).get(`${V1}/runs/${id}/capture`)).body.exitCode).toBe(3);
  }, 180_000);

  it('fetches --dataset versions before the command starts and records them in the capture and the lineage', async () => {
    const api = jsonClient(server.url);
    expect((await api.post(`${V1}/datasets`, { name: 'churn-data', files: [{ path: 'train.csv', content: Buffer.from('5 6 7\n').toString('base64') }] })).status).toBe(201);
    const version = (await api.get(`${V1}/datasets/churn-data/versions/1`)).body;
    const withData = repo('with-data', { 'count.py': `${LOG}\nlog(rows=len(open('data/churn-data/train.csv').read().split()))\n` });
    const r = await runCliIn(withData, ['run', '--url', server.url, '--dataset', 'churn-data@1', '--', 'python3', 'count.py']);
    expect(r.code, r.stderr).toBe(0);
    const id = runIdOf(r.stderr);
    const run = (await api.get(`${V1}/runs/${id}`)).body;
    expect(run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value])).toEqual([['rows', 3]]);
    expect(run.data.tags).toContainEqual({ key: 'dataset_version', value: 'churn-data@1' });
    expect((await api.get(`${V1}/runs/${id}/capture`)).body.datasets).toEqual([{ name: 'churn-data', version: 1, digest: version.digest, path: 'data/churn-data' }]);
    const lineage = (await api.get(`${V1}/lineage/run/${id}`, { direction: 'upstream' })).body;
    expect(lineage.edges.map((e: { from: { kind: string; id: string }; relation: string }) => `${e.from.kind}:${e.from.id}:${e.relation}`)).toEqual([`dataset_version:${version.id}:consumed`]);
  }, 180_000);

  it('records the dataset versions the command read through OpenExpert, and reproduces it on those versions', async () => {
    const api = jsonClient(server.url);
    const addVersion = async (text: string) =>
      expect((await api.post(`${V1}/datasets`, { name: 'events', files: [{ path: 'e.csv', content: Buffer.from(text).toString('base64') }] })).status).toBe(201);
    await addVersion('1 2\n');
    const v1 = (await api.get(`${V1}/datasets/events/versions/1`)).body;
    const cli = cliArgv().map((a) => `'${a}'`).join(' ');
    const reader = repo('reader', {
      // The script asks for the latest version; which one it got is for OpenExpert to remember.
      'read.sh': `set -e\n${cli} data get events -o got >&2\npython3 count.py\n`,
      'count.py': `${LOG}\nlog(rows=len(open('got/e.csv').read().split()))\n`,
      '.gitignore': 'got/\n',
    });
    const r = await runCliIn(reader, ['run', '--url', server.url, '--', 'sh', 'read.sh']);
    expect(r.code, r.stderr).toBe(0);
    const id = runIdOf(r.stderr);
    expect((await api.get(`${V1}/runs/${id}/capture`)).body.datasets).toEqual([{ name: 'events', version: 1, digest: v1.digest }]);

    await addVersion('1 2 3\n');
    const again = await runCliIn(work, ['reproduce', id, '--url', server.url, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('reading events@1, the version the reproduced run read (not events)');
    const reproduction = JSON.parse(again.stdout);
    expect(reproduction.metrics).toEqual([expect.objectContaining({ key: 'rows', original: 2, reproduced: 2, withinTolerance: true })]);
    expect(reproduction.environment).toEqual([]);
  }, 180_000);

  it('reproduces a deterministic script from a clean checkout with zero deltas, and writes the HTML report', async () => {
    // The working copy moves on; the reproduction must still use the captured commit, diff and input.
    fs.writeFileSync(path.join(dir, 'data/train.csv'), '100 200\n');
    fs.writeFileSync(path.join(dir, 'train.py'), 'raise SystemExit(1)\n');
    const html = path.join(work, 'report.html');
    const r = await runCliIn(work, ['reproduce', trainRun, '--url', server.url, '--user', 'bob', '--html', html, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const reproduction = JSON.parse(r.stdout);
    expect(reproduction).toMatchObject({ sourceRunId: trainRun, passed: true, createdBy: 'bob', sourceAuthor: 'alice', exitCode: 0 });
    expect(reproduction.metrics).toEqual([
      { key: 'mean', original: 2.5, reproduced: 2.5, delta: 0, relativeDelta: 0, tolerance: 'exact', withinTolerance: true },
      expect.objectContaining({ key: 'rmse', delta: 0, relativeDelta: 0, tolerance: 'exact', withinTolerance: true }),
    ]);
    // Same machine, same commit, same diff, same inputs: only the user-visible command line is the same too.
    expect(reproduction.environment).toEqual([]);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('reproduced</span>');
    expect(page).toContain('rmse');
    // The clean checkout was a temporary worktree: the user's repository is left as it was.
    expect(git(dir, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    git(dir, 'checkout', '--', 'train.py');
  }, 180_000);

  it('reports a seeded script within tolerance and an unseeded one with its deltas', async () => {
    const rnd = repo('random', {
      'seeded.py': `${LOG}\nimport random, sys\nrng = random.Random(int(sys.argv[2]))\nlog(accuracy=0.8 + rng.random() / 100)\n`,
      'unseeded.py': `${LOG}\nimport random\nlog(accuracy=0.8 + random.random() / 100, loss=1 + random.random())\n`,
    });
    const [seeded, unseeded] = await Promise.all([
      runCliIn(rnd, ['run', '--url', server.url, '-e', 'random', '--', 'python3', 'seeded.py', '--seed', '11']),
      runCliIn(rnd, ['run', '--url', server.url, '-e', 'random', '--', 'python3', 'unseeded.py']),
    ]);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(unseeded.code, unseeded.stderr).toBe(0);
    const [again, noisy] = await Promise.all([
      runCliIn(work, ['reproduce', runIdOf(seeded.stderr), '--url', server.url, '--tolerance', 'accuracy=1e-9', '--json']),
      runCliIn(work, ['reproduce', runIdOf(unseeded.stderr), '--url', server.url, '--tolerance', 'accuracy=1e-12,loss=0%', '--json']),
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).metrics[0]).toMatchObject({ key: 'accuracy', delta: 0, withinTolerance: true });
    expect(noisy.code).toBe(2);
    const report = JSON.parse(noisy.stdout);
    expect(report.passed).toBe(false);
    for (const m of report.metrics) {
      // Two independent draws from a continuous distribution: the delta is reported, not hidden.
      expect(m.delta).not.toBe(0);
      expect(m.delta).toBeCloseTo(m.reproduced - m.original, 12);
      expect(m.withinTolerance).toBe(false);
    }
    const stored = (await jsonClient(server.url).get(`${V1}/reproductions`, { sourceRunId: runIdOf(unseeded.stderr) })).body.items;
    expect(stored.map((s: { id: string; passed: boolean }) => [s.id, s.passed])).toEqual([[report.id, false]]);
  }, 240_000);

  it('says clearly when the captured commit is no longer reachable', async () => {
    const gone = repo('rewritten', { 'a.py': `${LOG}\nlog(x=1)\n` });
    fs.writeFileSync(path.join(gone, 'b.txt'), 'second\n');
    git(gone, 'add', '.');
    git(gone, 'commit', '-qm', 'second');
    const r = await runCliIn(gone, ['run', '--url', server.url, '--', 'python3', 'a.py']);
    expect(r.code, r.stderr).toBe(0);
    const lost = git(gone, 'rev-parse', 'HEAD').trim();
    git(gone, 'reset', '-q', '--hard', 'HEAD~1');
    git(gone, 'reflog', 'expire', '--expire=now', '--all');
    git(gone, 'gc', '-q', '--prune=now');
    const again = await runCliIn(work, ['reproduce', runIdOf(r.stderr), '--url', server.url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Commit ${lost} is no longer reachable: the repository at ${gone} does not have it; no remote was recorded`);
  }, 180_000);

  it('blocks a promotion on `reproduced` until someone other than the author reproduces the run', async () => {
    const api = jsonClient(server.url);
    const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:x`).toString('base64')}` });
    expect((await api.call('POST', `${V1}/models`, { name: 'churn-model' }, as('alice'))).status).toBe(201);
    expect((await api.call('POST', `${V1}/models/churn-model/versions`, { source: `runs:/${trainRun}/model`, runId: trainRun }, as('alice'))).status).toBe(201);
    const policy = await api.call('PUT', `${V1}/models/churn-model/policy`, { stages: { Production: { checks: [{ type: 'reproduced', tolerance: 'mean=0.01,rmse=1%' }] } } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    const move = () => api.call('POST', `${M}/model-versions/transition-stage`, { name: 'churn-model', version: '1', stage: 'Production', archive_existing_versions: false }, as('alice'));

    // bob reproduced the run in an earlier test; without it, only the author's own reproduction remains.
    const own = await runCliIn(work, ['reproduce', trainRun, '--url', server.url, '--user', 'alice']);
    expect(own.code, own.stderr).toBe(0);
    const reproductions = (await api.get(`${V1}/reproductions`, { sourceRunId: trainRun })).body.items as { createdBy: string }[];
    expect(reproductions.map((r) => r.createdBy)).toEqual(['alice', 'bob']);
    const allowed = await move();
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);

    // A second model whose source run only its author reproduced stays blocked, and says why.
    const solo = await runCliIn(dir, ['run', '--url', server.url, '--user', 'carol', '-e', 'churn', '-i', 'data/train.csv', '--', 'python3', 'train.py', '--seed', '1']);
    expect(solo.code, solo.stderr).toBe(0);
    const soloRun = runIdOf(solo.stderr);
    expect((await api.call('POST', `${V1}/models`, { name: 'solo' }, as('carol'))).status).toBe(201);
    expect((await api.call('POST', `${V1}/models/solo/versions`, { source: `runs:/${soloRun}/model`, runId: soloRun }, as('carol'))).status).toBe(201);
    await api.call('PUT', `${V1}/models/solo/policy`, { stages: { Production: { checks: [{ type: 'reproduced' }] } } });
    const moveSolo = () => api.call('POST', `${M}/model-versions/transition-stage`, { name: 'solo', version: '1', stage: 'Production', archive_existing_versions: false }, as('carol'));
    const before = await moveSolo();
    expect(before.status).toBe(400);
    expect(before.body.message).toContain(`no reproduction by someone other than its author carol yet`);
    expect((await runCliIn(work, ['reproduce', soloRun, '--url', server.url, '--user', 'carol'])).code).toBe(0);
    const byAuthor = await moveSolo();
    expect(byAuthor.status).toBe(400);
    expect(byAuthor.body.message).toContain('(1 by the author do not count)');
    expect((await runCliIn(work, ['reproduce', soloRun, '--url', server.url, '--user', 'dave'])).code).toBe(0);
    expect((await moveSolo()).status).toBe(200);
  }, 300_000);
});
