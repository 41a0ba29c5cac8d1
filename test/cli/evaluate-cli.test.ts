import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const M = '/api/2.0/mlflow';

describe('openexpert evaluate and models card', () => {
  it('evaluates a CSV for a model version, logs to its run, and writes the model card', async () => {
    const api = jsonClient(server.url);
    const exp = (await api.post(`${M}/experiments/create`, { name: 'cli-eval' })).body.experiment_id as string;
    const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp })).body.run.info.run_id as string;
    await api.post(`${M}/registered-models/create`, { name: 'cli-eval-model' });
    await api.post(`${M}/model-versions/create`, { name: 'cli-eval-model', source: `runs:/${runId}/model`, run_id: runId });
    // scikit-learn's roc_auc_score example, twice over, with a sensitive column.
    const csv = path.join(server.home, 'preds.csv');
    fs.writeFileSync(csv, ['y,p,sex', '0,0.1,male', '0,0.4,female', '1,0.35,male', '1,0.8,female', '0,0.1,female', '0,0.4,male', '1,0.35,female', '1,0.8,male'].join('\n'));
    const cli = (args: string[]) => runCli([...args, '--url', server.url]);

    const evaluated = await cli(['evaluate', '--data', csv, '--model', 'cli-eval-model', '--model-version', '1', '--label', 'y', '--score', 'p',
      '--sensitive', 'sex', '--privileged', 'sex=male', '--resamples', '50', '--name', 'holdout']);
    expect(evaluated.stderr).toBe('');
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout).toMatch(/^roc_auc\s+0\.75\s+\[/m);
    expect(evaluated.stdout).toMatch(new RegExp(`logged to run ${runId}`));
    expect(evaluated.stdout).toMatch(/^sex\s+disparate_impact = 1 \(≥ 0\.8 and ≤ 1\.25\)\s+aif360\s+pass$/m);
    const run = (await api.get(`${M}/runs/get`, { run_id: runId })).body.run;
    expect(run.data.metrics.find((m: { key: string }) => m.key === 'roc_auc').value).toBe(0.75);
    const data = await api.get('/api/2.0/mlflow-artifacts/artifacts', { path: `${exp}/${runId}/artifacts/evaluation-data` });
    expect(data.body.files.map((f: { path: string }) => f.path)).toEqual(['preds.csv']);

    const listed = await cli(['evaluations', 'list', '--model', 'cli-eval-model', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: 'holdout', metrics: expect.objectContaining({ roc_auc: 0.75 }) })]);

    const card = await cli(['models', 'card', 'cli-eval-model', '1', '--set', 'primaryUses=Offline scoring of churn risk.']);
    expect(card.code).toBe(0);
    expect(card.stdout).toContain('# Model card: cli-eval-model version 1');
    expect(card.stdout).toContain('**✍ Primary intended uses:** Offline scoring of churn risk.');
    const out = path.join(server.home, 'card.html');
    expect((await cli(['models', 'card', 'cli-eval-model', '1', '--format', 'html', '-o', out])).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('Offline scoring of churn risk.');

    const bad = await cli(['evaluate', '--data', csv, '--run', runId, '--label', 'y', '--score', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Column 'nope' is not in the data");
    const missing = await cli(['models', 'card', 'cli-eval-model', '7']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('does not exist')]);
    expect((await api.get('/api/2.0/mlflow-artifacts/artifacts', { path: `${exp}/${runId}/artifacts/evaluation-data` })).body.files.map((f: { path: string }) => f.path)).toEqual(['preds.csv']);
  }, 240_000);
});

describe('what the CLI suggests runs as printed', () => {
  /** The commands between backticks in a text, with the user's file and columns filled in. */
  const suggested = (text: string, fill: Record<string, string> = {}) =>
    [...text.matchAll(/`(openexpert [^`]+)`/g)].map((m) => m[1]!.replace(/<[^>]+>/g, (p) => fill[p] ?? p).split(' ').slice(1));

  it('promotion: exit 1 names the evaluate command that satisfies the check, 3 waits for approvals, 0 moved', async () => {
    const api = jsonClient(server.url);
    const exp = (await api.post(`${M}/experiments/create`, { name: 'cli-suggest' })).body.experiment_id as string;
    const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp })).body.run.info.run_id as string;
    await api.post(`${M}/registered-models/create`, { name: 'suggest model' });
    await api.post(`${M}/model-versions/create`, { name: 'suggest model', source: `runs:/${runId}/model`, run_id: runId });
    await api.post(`${M}/model-versions/create`, { name: 'suggest model', source: `runs:/${runId}/model`, run_id: runId });
    const csv = path.join(server.home, 'suggest.csv');
    fs.writeFileSync(csv, ['y,p', '0,0.1', '0,0.4', '1,0.35', '1,0.8'].join('\n'));
    const fill = { '<predictions.csv>': csv, '<label column>': 'y', '<score column>': 'p' };
    const cli = (args: string[], user = 'alice') => runCli([...args, '--url', server.url, '--user', user]);
    const policy = path.join(server.home, 'suggest-policy.yaml');
    fs.writeFileSync(policy, [
      'stages:',
      '  Production:',
      '    checks:',
      '      - {type: evidence, provider: evaluation, params: {dataset: holdout, metric: roc_auc, op: ">=", value: 0.7}}',
      '      - {type: approvals, required: 1}',
      'aliases:',
      '  challenger: {checks: []}',
    ].join('\n'));
    expect((await cli(['policies', 'set', 'suggest model', '--file', policy])).code).toBe(0);

    // The card of a version without evaluations suggests the same command; it runs as printed.
    const card = await cli(['models', 'card', 'suggest model', '2']);
    const [fromCard] = suggested(card.stdout, fill);
    expect(fromCard).toEqual(['evaluate', '--model', "'suggest", "model'", '--model-version', '2', '--data', csv, '--label', 'y', '--score', 'p']);

    const refused = await cli(['models', 'promote', 'suggest model', '1', '--to', 'Production']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("version 1 has no evaluation on 'holdout'");
    const requestId = /promotion request (\d+):/.exec(refused.stdout)![1]!;
    const [evaluate, approve, withdraw] = suggested(refused.stdout, fill);
    expect(evaluate!.slice(0, 2)).toEqual(['evaluate', '--model']);
    expect([approve, withdraw]).toEqual([['models', 'approve', requestId], ['models', 'withdraw', requestId]]);
    // The model name holds a space, so the command quotes it; run it as a shell would split it.
    const unquote = (words: string[]) => words.join(' ').match(/'[^']*'|\S+/g)!.map((w) => w.replace(/^'|'$/g, ''));
    const evaluated = await runCli([...unquote(evaluate!), '--resamples', '0', '--url', server.url]);
    expect([evaluated.code, evaluated.stderr]).toEqual([0, '']);
    expect((await runCli([...unquote(fromCard!), '--resamples', '0', '--url', server.url])).code).toBe(0);

    expect((await cli(withdraw!)).code).toBe(0);
    const waiting = await cli(['models', 'promote', 'suggest model', '1', '--to', 'Production']);
    expect(waiting.code).toBe(3);
    expect(waiting.stdout).toMatch(/^evidence: evaluation\s+evidence\s+pass\s/m);
    const [approveNow] = suggested(waiting.stdout);
    const approved = await cli(approveNow!, 'bob');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('done: version 1 of suggest model is now Production');

    const moved = await cli(['models', 'promote', 'suggest model', '2', '--to', 'challenger', '--json']);
    expect([moved.code, JSON.parse(moved.stdout).state]).toEqual([0, 'completed']);
  }, 240_000);

  it('a refused evaluation leaves nothing in the run, and never replaces data an earlier evaluation used', async () => {
    const api = jsonClient(server.url);
    const exp = (await api.post(`${M}/experiments/create`, { name: 'cli-eval-clean' })).body.experiment_id as string;
    const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp })).body.run.info.run_id as string;
    const cli = (args: string[]) => runCli([...args, '--url', server.url]);
    const listing = async () => (await api.get('/api/2.0/mlflow-artifacts/artifacts', { path: `${exp}/${runId}/artifacts/evaluation-data` })).body.files?.map((f: { path: string }) => f.path) ?? [];
    const csv = path.join(server.home, 'clean', 'preds.csv');
    fs.mkdirSync(path.dirname(csv), { recursive: true });

    fs.writeFileSync(csv, ['y,p', '0,0.1', '1,0.9'].join('\n'));
    const bad = await cli(['evaluate', '--data', csv, '--run', runId, '--label', 'y', '--score', 'nope', '--resamples', '0']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringContaining("Column 'nope' is not in the data")]);
    expect(await listing()).toEqual([]);
    const run = (await api.get(`${M}/runs/get`, { run_id: runId })).body.run;
    expect([run.data.metrics ?? [], run.inputs?.dataset_inputs ?? []]).toEqual([[], []]);

    expect((await cli(['evaluate', '--data', csv, '--run', runId, '--label', 'y', '--score', 'p', '--resamples', '0'])).code).toBe(0);
    // Other bytes under the same name: stored beside it, and taken back when refused.
    fs.writeFileSync(csv, ['y,p', '0,0.2', '1,0.7', '1,0.6'].join('\n'));
    expect((await cli(['evaluate', '--data', csv, '--run', runId, '--label', 'y', '--score', 'nope', '--resamples', '0'])).code).toBe(1);
    expect(await listing()).toEqual(['preds.csv']);
    const kept = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${exp}/${runId}/artifacts/evaluation-data/preds.csv`);
    expect(await kept.text()).toBe(['y,p', '0,0.1', '1,0.9'].join('\n'));
    expect((await cli(['evaluate', '--data', csv, '--run', runId, '--label', 'y', '--score', 'p', '--resamples', '0'])).code).toBe(0);
    expect((await listing()).sort()).toEqual(['preds-', 'preds.csv'].map((p, i) => (i === 0 ? expect.stringMatching(/^preds-[0-9a-f]{12}\.csv$/) : p)).reverse().sort());
  }, 240_000);
});
