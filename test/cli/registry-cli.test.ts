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
const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:x`).toString('base64')}` });

describe('openexpert models and policies', () => {
  it('sets a policy, promotes with an approval by another user, rolls back, and shows the history', async () => {
    const api = jsonClient(server.url);
    const exp = (await api.post(`${M}/experiments/create`, { name: 'cli-registry' })).body.experiment_id as string;
    const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp })).body.run.info.run_id as string;
    await api.post(`${M}/runs/log-batch`, { run_id: runId, metrics: [{ key: 'accuracy', value: 0.94, timestamp: 1, step: 0 }] });
    await api.post(`${M}/registered-models/create`, { name: 'cli-model' });
    for (let i = 0; i < 2; i++) await api.post(`${M}/model-versions/create`, { name: 'cli-model', source: `runs:/${runId}/model`, run_id: runId });

    const cli = (args: string[], user?: string) => runCli([...args, '--url', server.url, ...(user ? ['--user', user] : [])]);
    const policyFile = path.join(server.home, 'policy.yaml');
    fs.writeFileSync(policyFile, [
      'stages:',
      '  Production:',
      '    checks:',
      '      - {type: metric_threshold, metric: accuracy, op: ">=", value: 0.9}',
      '      - {type: approvals, required: 1}',
    ].join('\n'));

    const set = await cli(['policies', 'set', 'cli-model', '--file', policyFile]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^Production\s+metric_threshold\s+metric=accuracy op=>= value=0.9$/m);
    expect(set.stdout).toMatch(/^@champion\s+approvals\s+required=1$/m);

    // Version 1 reaches Production through the native API (as a reviewer flow elsewhere would); the CLI promotes version 2.
    const first = await api.call('POST', '/api/v1/promotion-requests', { name: 'cli-model', version: 1, target: 'Production' }, as('alice'));
    expect((await api.call('POST', `/api/v1/promotion-requests/${first.body.id}/approve`, {}, as('bob'))).body.state).toBe('completed');

    const promoted = await cli(['models', 'promote', 'cli-model', '2', '--to', 'production', '--reason', 'retrained', '--json'], 'alice');
    expect(promoted.code, 'exit 3: the request waits for approvals').toBe(3);
    const request = JSON.parse(promoted.stdout) as { id: number; state: string };
    expect(request.state).toBe('pending');
    const self = await cli(['models', 'approve', String(request.id)], 'alice');
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('PERMISSION_DENIED');
    const approved = await cli(['models', 'approve', String(request.id), '--comment', 'ok'], 'carol');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('done: version 2 of cli-model is now Production');
    expect(approved.stdout).toMatch(/^accuracy >= 0\.9\s+metric_threshold\s+pass\s+accuracy = 0\.94$/m);

    const rolled = await cli(['models', 'rollback', 'cli-model', '--reason', 'bad canary'], 'dave');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toContain('rolled back cli-model: version 2 -> version 1 (Production)');

    const [history, onlyV2, list, shown] = await Promise.all([
      cli(['models', 'history', 'cli-model']),
      cli(['models', 'history', 'cli-model', '--version', '2', '--json']),
      cli(['models', 'list']),
      cli(['models', 'show', 'cli-model']),
    ]);
    const rows = history.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TIME\s+VERSION\s+KIND\s+MOVE\s+ACTOR\s+CHECKS\s+REQUEST\s+REASON/);
    expect(rows.slice(1).map((l) => l.split(/\s{2,}/).slice(1, 5))).toEqual([
      ['1', 'transition', 'None -> Production', 'alice'],
      ['1', 'transition', 'Production -> Archived', 'alice'],
      ['2', 'transition', 'None -> Production', 'alice'],
      ['2', 'rollback', 'Production -> Archived', 'dave'],
      ['1', 'rollback', 'Archived -> Production', 'dave'],
    ]);
    expect((JSON.parse(onlyV2.stdout) as { version: number; kind: string }[]).map((r) => [r.version, r.kind])).toEqual([[2, 'transition'], [2, 'rollback']]);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+LATEST\s+STAGES\s+ALIASES\s+UPDATED/);
    expect(list.stdout).toMatch(/^cli-model\s+2\s+Production:v1 Archived:v2\s/m);
    expect(shown.stdout).toMatch(/^stages\s+Production:v1 Archived:v2$/m);
    expect(shown.stdout).toMatch(/^VERSION\s+STAGE\s+ALIASES\s+RUN/m);
  }, 60_000);
});
