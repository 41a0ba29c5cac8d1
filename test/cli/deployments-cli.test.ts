import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { linearModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';

const MLMODEL = `flavors:
  onnx:
    model_file: model.onnx
`;

describe('openexpert deploy, deployments, predict and loadtest', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const cli = async (...args: string[]) => {
    const r = await runCli([...args, '--url', server.url]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    await api.post('/api/2.0/mlflow/registered-models/create', { name: 'churn' });
    for (const [version, bias] of [[1, 1], [2, 5]] as const) {
      await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/m/${version}/MLmodel`, { method: 'PUT', body: MLMODEL });
      await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/m/${version}/model.onnx`, { method: 'PUT', body: linearModel([[2]], [bias]) });
      await api.post('/api/2.0/mlflow/model-versions/create', { name: 'churn', source: `mlflow-artifacts:/m/${version}` });
    }
    await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'churn', alias: 'live', version: '1' });
  });
  afterAll(async () => server?.close());

  it('deploys, predicts, lists and shows status', async () => {
    expect(await cli('deploy', 'churn', '--alias', 'live')).toContain("Deployed churn version 1 as 'churn'");
    // y = 2x + 1
    expect(JSON.parse(await cli('predict', 'churn', '--data', '{"inputs": [[3], [0.5]]}'))).toEqual([[7], [2]]);
    const listed = JSON.parse(await cli('deployments', 'list', '--json'));
    expect(listed).toMatchObject([{ name: 'churn', stable: { version: '1' }, status: 'stable' }]);
    const status = await cli('deployments', 'status', 'churn');
    expect(status.split('\n')[0]).toMatch(/^NAME\s+MODEL\s+STABLE\s+CANDIDATE/);
    expect(status).toContain('created');
  }, 120_000);

  it('load-tests a deployment and stores the result as evidence a promotion policy accepts', async () => {
    const policy = await api.call('PUT', '/api/v1/models/churn/policy', {
      aliases: { gold: { checks: [{ type: 'evidence', name: 'load', provider: 'load-test', params: { maxP99Ms: 5000, minRps: 1 } }] } },
    });
    expect(policy.status).toBe(200);
    const blocked = await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'churn', alias: 'gold', version: '1' });
    expect(blocked.status).toBe(400);
    expect(blocked.body.message).toContain('has no load test');

    const result = JSON.parse(await cli('loadtest', 'churn', '--duration', '1', '--concurrency', '2', '--json'));
    expect(result).toMatchObject({ deployment: 'churn', modelName: 'churn', version: '1', connections: 2, errors: 0, non2xx: 0 });
    expect(result.requests).toBeGreaterThan(10);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);
    expect((await api.get('/api/v1/load-tests', { model: 'churn', version: '1' })).body.items).toHaveLength(1);
    expect((await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'churn', alias: 'gold', version: '1' })).status).toBe(200);
  });

  it('rolls out with a strategy, then rolls back with a reason', async () => {
    await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'churn', alias: 'live', version: '2' });
    expect(await cli('deploy', 'churn', '--alias', 'live', '--strategy', 'canary', '--steps', '25,100', '--interval', '10m'))
      .toContain('Rolling out version 2 to \'churn\' (canary, steps 25 → 100%, 10m each)');
    const shown = (await api.get('/api/v1/deployments/churn')).body;
    // Thresholds not given keep their documented defaults.
    expect(shown.rollout.analysis).toMatchObject({ minRequests: 20, maxMismatchRate: 0.05, compare: 'values', absTolerance: 1e-6, relTolerance: 1e-5, latencyConfidence: 0.95 });
    const rolledBack = JSON.parse(await cli('deployments', 'rollback', 'churn', '--reason', 'latency regression', '--json'));
    expect(rolledBack).toMatchObject({ status: 'stable', stable: { version: '1' } });
    const events = (await api.get('/api/v1/deployments/churn/events')).body.items;
    expect(events[0]).toMatchObject({ kind: 'rolled_back', reason: 'latency regression', fromVersion: '2', toVersion: '1' });

    // Every analysis threshold can be set per rollout.
    const tuned = JSON.parse(await cli(
      'deploy', 'churn', '--alias', 'live', '--strategy', 'shadow', '--interval', '1m', '--json',
      '--min-requests', '50', '--max-error-rate-increase', '0.01', '--max-error-rate', '0.1', '--max-latency-ratio', '2', '--latency-slack-ms', '3',
      '--min-latency-requests', '200', '--latency-confidence', '0.99', '--max-p99-ms', '250', '--max-mismatch-rate', '0.2', '--compare', 'labels',
      '--abs-tolerance', '0.001', '--rel-tolerance', '0.01',
    ));
    expect(tuned.rollout.analysis).toEqual({
      minRequests: 50, maxErrorRateIncrease: 0.01, maxErrorRate: 0.1, maxLatencyRatio: 2, latencySlackMs: 3, minLatencyRequests: 200,
      latencyConfidence: 0.99, maxP99Ms: 250, maxMismatchRate: 0.2, compare: 'labels', absTolerance: 0.001, relTolerance: 0.01, figures: [],
    });
    await cli('deployments', 'abort', 'churn');
    const bad = await runCli(['deploy', 'churn', '--alias', 'live', '--strategy', 'shadow', '--compare', 'argmax', '--url', server.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('analysis.compare');

    const missing = await runCli(['deployments', 'status', 'nope', '--url', server.url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Deployment 'nope' does not exist");
  }, 120_000);
});
