import { jsonClient } from './http.js';

/** A 1×1 red PNG, for the image preview. */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

export interface SeededTracking {
  readonly experimentId: string;
  readonly runIds: string[];
  /** The run with artifacts, inputs and tags to look at. */
  readonly richRunId: string;
}

function check(res: { status: number; body: unknown }, what: string): void {
  if (res.status >= 300) throw new Error(`${what} → ${res.status}: ${JSON.stringify(res.body)}`);
}

/**
 * An experiment as a user would have logged it, through the same APIs the clients use: `runs` runs with
 * params lr (0.01 on even runs, 0.1 on odd) and optimizer, metrics acc = 0.5 + i/100 and loss over 20
 * steps, a team tag; the first run also has dataset inputs, source/git tags and artifacts of each kind.
 */
export async function seedTracking(url: string, { name = 'churn', runs = 12 } = {}): Promise<SeededTracking> {
  const api = jsonClient(url);
  const exp = await api.post('/api/v1/experiments', { name, tags: [{ key: 'team', value: 'growth' }] });
  check(exp, 'create experiment');
  const experimentId = String(exp.body.experimentId);
  const runIds: string[] = [];
  const t0 = Date.UTC(2025, 0, 1);
  for (let i = 0; i < runs; i++) {
    const run = await api.post('/api/v1/runs', {
      experimentId, runName: `run-${String(i).padStart(2, '0')}`, startTime: t0 + i * 60_000, userId: i % 2 ? 'bob' : 'alice',
      tags: [{ key: 'team', value: i % 3 === 0 ? 'vision' : 'growth' }],
    });
    check(run, 'create run');
    const runId = String(run.body.info.runId);
    runIds.push(runId);
    const acc = 0.5 + i / 100;
    const metrics = [
      ...Array.from({ length: 20 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1) + i / 1000, timestamp: t0 + i * 60_000 + step * 1000, step })),
      ...Array.from({ length: 20 }, (_, step) => ({ key: 'acc', value: (acc * (step + 1)) / 20, timestamp: t0 + i * 60_000 + step * 1000, step })),
    ];
    check(await api.post(`/api/v1/runs/${runId}/batch`, {
      metrics,
      params: [{ key: 'lr', value: i % 2 ? '0.1' : '0.01' }, { key: 'optimizer', value: i % 4 < 2 ? 'adam' : 'sgd' }],
    }), 'log batch');
    check(await api.call('PATCH', `/api/v1/runs/${runId}`, { status: i === runs - 1 ? 'FAILED' : 'FINISHED', endTime: t0 + i * 60_000 + 95_000 }), 'end run');
  }
  const richRunId = runIds[0]!;
  check(await api.post(`/api/v1/runs/${richRunId}/batch`, {
    tags: [
      { key: 'mlflow.source.name', value: 'train.py' }, { key: 'mlflow.source.type', value: 'LOCAL' },
      { key: 'mlflow.source.git.commit', value: '3f2c1a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39' },
    ],
  }), 'source tags');
  check(await api.post('/api/2.0/mlflow/runs/log-inputs', {
    run_id: richRunId,
    datasets: [{
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
      dataset: { name: 'churn-train', digest: 'a1b2c3d4', source_type: 'local', source: '{"uri": "data/train.csv"}', schema: '{"mlflow_colspec": [{"name": "age", "type": "long"}]}' },
    }],
  }), 'log inputs');
  const run = await api.get(`/api/v1/runs/${richRunId}`);
  const root = String(run.body.info.artifactUri).replace(/^mlflow-artifacts:\/*/, '');
  const files: Record<string, Buffer | string> = {
    'metrics.json': JSON.stringify({ accuracy: 0.5, f1: 0.42 }),
    'data/sample.csv': 'age,plan,churned\n34,"pro, annual",no\n51,basic,yes\n',
    'notes.txt': 'Baseline with default features.\n',
    'plots/confusion.png': PNG_1X1,
  };
  for (const [file, body] of Object.entries(files)) {
    const res = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${root}/${file}`, { method: 'PUT', body });
    if (!res.ok) throw new Error(`upload ${file} → ${res.status}`);
  }
  return { experimentId, runIds, richRunId };
}

export const basicAuth = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:`).toString('base64')}` });

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
  sklearn:
    sklearn_version: 1.5.0
signature:
  inputs: '[{"type": "long", "name": "age", "required": true}, {"type": "string", "name": "plan", "required": true}]'
  outputs: '[{"type": "double", "name": "churn_probability", "required": true}]'
`;

export interface SeededRegistry {
  readonly model: string;
  /** A pending request (by alice) to move version 1 to Production, waiting for one approval. */
  readonly requestId: number;
}

/**
 * A registered model with two versions from seeded runs (the first carrying an MLmodel with a signature),
 * a policy that gates Production on acc ≥ 0.5 and one approval, and a pending request to promote version 1.
 */
export async function seedRegistry(url: string, tracking: SeededTracking, model = 'churn-model'): Promise<SeededRegistry> {
  const api = jsonClient(url);
  const run = await api.get(`/api/v1/runs/${tracking.richRunId}`);
  const root = String(run.body.info.artifactUri).replace(/^mlflow-artifacts:\/*/, '');
  const up = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${root}/model/MLmodel`, { method: 'PUT', body: MLMODEL });
  if (!up.ok) throw new Error(`upload MLmodel → ${up.status}`);
  check(await api.post('/api/v1/models', { name: model, description: 'Predicts churn within 30 days' }), 'create model');
  for (const runId of [tracking.richRunId, tracking.runIds[1]!]) {
    check(await api.post(`/api/v1/models/${encodeURIComponent(model)}/versions`, { source: `runs:/${runId}/model`, runId }), 'create version');
  }
  check(await api.call('PUT', `/api/v1/models/${encodeURIComponent(model)}/policy`, {
    stages: { Production: { checks: [{ type: 'metric_threshold', metric: 'acc', op: '>=', value: 0.5 }, { type: 'approvals', required: 1 }] } },
  }), 'set policy');
  const request = await api.post('/api/v1/promotion-requests', { name: model, version: 1, target: 'Production', reason: 'best acc so far' }, basicAuth('alice'));
  check(request, 'request promotion');
  return { model, requestId: Number(request.body.id) };
}
