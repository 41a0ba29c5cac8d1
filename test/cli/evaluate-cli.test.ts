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
  });
});
