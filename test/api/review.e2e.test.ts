import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { linearModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';

/**
 * Review queues end to end on a real server (auth off: a caller is who its basic-auth user says): a deployed
 * classifier's logged predictions land in a queue by rule and low confidence, two reviewers label the items they are
 * given, agreement is reported, and the labels become a dataset version with lineage back to the deployment.
 */
const MLMODEL = 'flavors:\n  onnx:\n    model_file: model.onnx\n';
const as = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:x`).toString('base64')}` });
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
// Twelve rows of x = [x0, x1]; the model says p = σ(x0 − x1).
const X = [[0, 0], [1, 0.5], [2, 0], [0, 3], [6, 5.5], [3, 3.2], [7, 1], [1, 1.4], [4, 0], [0.2, 0], [9, 9], [2, 2.6]];

describe('review queues', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const Q = '/api/v1/review/queues';

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    for (const [file, body] of [['MLmodel', MLMODEL], ['model.onnx', linearModel([[1, -1]], [0], { sigmoid: true })]] as const) {
      expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/loans/${file}`, { method: 'PUT', body })).status).toBe(200);
    }
    expect((await api.post('/api/2.0/mlflow/registered-models/create', { name: 'loans' })).status).toBe(200);
    expect((await api.post('/api/2.0/mlflow/model-versions/create', { name: 'loans', source: 'mlflow-artifacts:/models/loans' })).status).toBe(200);
    expect((await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'loans', alias: 'live', version: '1' })).status).toBe(200);
    expect((await api.post('/api/v1/deployments', { model: 'loans', alias: 'live', logging: { sampleRate: 1 } })).status).toBe(201);
    const r = await api.post('/v2/models/loans/infer', { inputs: [{ name: 'x', shape: [X.length, 2], datatype: 'FP32', data: X.flat() }] });
    expect(r.status).toBe(200);
    // The prediction log is written off the request path.
    for (let i = 0; i < 100; i++) {
      if ((await api.get('/api/v1/deployments/loans/predictions', { limit: 10 })).body.items.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 120_000);
  afterAll(async () => server?.close());

  it('changes a queue\'s settings, and its labels only until an item is labelled', async () => {
    const patch = (name: string, body: unknown) => api.call('PATCH', `${Q}/${name}`, body);
    expect((await api.post(Q, { name: 'editable', scope: 'project', labels: ['spam', 'ham'], description: 'first' })).status).toBe(201);
    const changed = await patch('editable', { description: 'user reports', labels: ['spam', 'ham', 'unsure'], reviewers: ['ann', 'bob'], overlap: 0.5, instructions: 'Read it all' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'editable', description: 'user reports', spec: { labels: ['spam', 'ham', 'unsure'], reviewers: ['ann', 'bob'], overlap: 0.5, instructions: 'Read it all' } });
    // Stored: read back.
    expect((await api.get(`${Q}/editable`)).body.queue.spec.labels).toEqual(['spam', 'ham', 'unsure']);
    // null removes a setting; bad input names its field and changes nothing.
    expect((await patch('editable', { instructions: null })).body.spec.instructions).toBeUndefined();
    const bad = await patch('editable', { overlap: 2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('overlap');
    expect((await patch('editable', { rule: 'x >' })).body.error.message).toContain("'rule'");
    expect((await patch('editable', { lowConfidence: { threshold: 0.6 } })).body.error.message).toContain("'lowConfidence'");
    expect((await patch('editable', { scope: 'llm' })).status).toBe(400);
    expect((await patch('editable', {})).status).toBe(400);
    expect((await patch('nope', { description: 'x' })).status).toBe(404);
    expect((await api.get(`${Q}/editable`)).body.queue.spec).toMatchObject({ overlap: 0.5, labels: ['spam', 'ham', 'unsure'] });

    const pushed = await api.post(`${Q}/editable/items`, { items: [{ id: 'm1', fields: { text: 'prize' } }] });
    expect((await api.call('PUT', `${Q}/editable/items/${pushed.body.items[0].id}/label`, { label: 'spam' }, as(pushed.body.items[0].assigned[0]))).status).toBe(200);
    const refused = await patch('editable', { labels: ['spam', 'ham'] });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/^Invalid value for 'labels': queue 'editable' already has labelled items/);
    expect((await api.get(`${Q}/editable`)).body.queue.spec.labels).toEqual(['spam', 'ham', 'unsure']);
    // The same labels, or other settings, still change.
    expect((await patch('editable', { labels: ['spam', 'ham', 'unsure'], description: 'triage' })).body.description).toBe('triage');
    expect((await api.call('DELETE', `${Q}/editable`)).status).toBe(200);
  });

  it('refuses bad queues with the field named', async () => {
    const bad = async (body: object) => (await api.post(Q, { name: 'bad', scope: 'deployment', target: 'loans', labels: ['a', 'b'], ...body })).body.error.message as string;
    expect(await bad({ labels: ['a'] })).toContain("'labels'");
    expect(await bad({ rule: 'x_0 >' })).toContain("'rule'");
    expect(await bad({ rule: 'params.x > 1' })).toContain("'rule'");
    expect(await bad({ target: 'nope' })).toMatch(/Deployment 'nope' does not exist/);
    expect(await bad({ overlap: 0.5, reviewers: ['ann'] })).toContain("'overlap'");
    expect((await api.post(Q, { name: 'bad', scope: 'deployment', target: 'loans', labels: ['a', 'b'], colour: 1 })).status).toBe(400);
  });

  it('takes logged predictions by rule or low confidence, once, assigns both reviewers, reports agreement and exports the labels', async () => {
    const created = await api.post(Q, {
      name: 'loan-review', scope: 'deployment', target: 'loans', labels: ['approve', 'reject'], rule: 'x_0 > 5',
      lowConfidence: { threshold: 0.7 }, reviewers: ['ann', 'bob'], overlap: 1,
    });
    expect(created.status).toBe(201);
    const pulled = await api.post(`${Q}/loan-review/pull`, {});
    // Reference: rows with x0 > 5 by the rule; else those whose top probability max(p, 1 − p) is below 0.7.
    const byRule = X.filter(([a]) => a! > 5).length;
    const lowConf = X.filter(([a, b]) => !(a! > 5) && Math.max(sigmoid(a! - b!), 1 - sigmoid(a! - b!)) < 0.7).length;
    expect(pulled.body).toEqual({ scanned: X.length, added: byRule + lowConf, reasons: { rule: byRule, low_confidence: lowConf } });
    expect((await api.post(`${Q}/loan-review/pull`, {})).body.added).toBe(0);

    const items = (await api.get(`${Q}/loan-review/items`)).body.items as { id: string; fields: Record<string, number>; confidence: number; predicted: string; assigned: string[]; source: { id: string } }[];
    expect(items).toHaveLength(byRule + lowConf);
    for (const it of items) {
      const p = sigmoid(it.fields.x_0! - it.fields.x_1!);
      expect(it.fields.y).toBeCloseTo(p, 5);
      expect(it.confidence).toBeCloseTo(Math.max(p, 1 - p), 5);
      expect(it.predicted).toBe(p >= 0.5 ? '1' : '0');
      expect([...it.assigned].sort()).toEqual(['ann', 'bob']);
      expect(it.source.id).toMatch(/\/\d+$/);
    }

    // Ann approves every item; Bob rejects the first two → a 2×2 table with p_o = (n−2)/n and p_e = 1·(n−2)/n: κ = 0.
    const n = items.length;
    for (const [k, it] of items.entries()) {
      expect((await api.call('PUT', `${Q}/loan-review/items/${it.id}/label`, { label: 'approve' }, as('ann'))).status).toBe(200);
      expect((await api.call('PUT', `${Q}/loan-review/items/${it.id}/label`, { label: k < 2 ? 'reject' : 'approve', comment: k < 2 ? 'income unverified' : undefined }, as('bob'))).status).toBe(200);
    }
    const refused = await api.call('PUT', `${Q}/loan-review/items/${items[0]!.id}/label`, { label: 'maybe' }, as('ann'));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("'label'");
    expect((await api.get(`${Q}/loan-review/items`, { status: 'todo', reviewer: 'ann' })).body.items).toEqual([]);

    const agreement = (await api.get(`${Q}/loan-review/agreement`)).body;
    expect(agreement).toMatchObject({ items: n, reviewers: ['ann', 'bob'] });
    expect(agreement.pairs[0].observed).toBeCloseTo((n - 2) / n, 12);
    expect(agreement.pairs[0].kappa).toBeCloseTo(0, 12);
    // Fleiss (Scott's π for two raters): pooled approve share q = (2n − 2)/2n; P̄e = q² + (1 − q)²; P̄ = (n − 2)/n.
    const q = (2 * n - 2) / (2 * n);
    const pe = q * q + (1 - q) * (1 - q);
    expect(agreement.fleiss.kappa).toBeCloseTo(((n - 2) / n - pe) / (1 - pe), 12);

    const detail = (await api.get(`${Q}/loan-review`)).body;
    expect(detail.stats).toMatchObject({ items: n, labelled: n, complete: n, labelCounts: { approve: 2 * n - 2, reject: 2 } });

    // The two split items are ties and stay out; the rest export with their majority label.
    const exported = await api.post(`${Q}/loan-review/export`, { dataset: 'loan-labels' });
    expect(exported.status).toBe(201);
    expect(exported.body).toMatchObject({ dataset: { name: 'loan-labels', version: 1 }, rows: n - 2, skipped: { unlabelled: 0, tooFewLabels: 0, ties: 2 } });
    const version = (await api.get('/api/v1/datasets/loan-labels/versions/1')).body;
    expect(version.rowCount).toBe(n - 2);
    const lineage = (await api.get(`/api/v1/lineage/dataset_version/${exported.body.dataset.id}`, { direction: 'upstream' })).body;
    expect(lineage.nodes.map((x: { kind: string; id: string }) => `${x.kind}:${x.id}`).sort()).toEqual(['dataset_version:' + exported.body.dataset.id, 'deployment:loans', 'model_version:loans/1', 'review_queue:loan-review'].sort());
  });

  it('collects LLM traces by rule, and pushed items once per id', async () => {
    const t0 = Date.now();
    const spans = [
      { traceId: 'a1'.repeat(16), spanId: '01'.repeat(8), name: 'answer', kind: 'llm', startTime: t0, endTime: t0 + 5, status: 'ok', input: 'What is 2+2?', output: '4', model: 'm' },
      { traceId: 'b2'.repeat(16), spanId: '02'.repeat(8), name: 'answer', kind: 'llm', startTime: t0 + 1, endTime: t0 + 9, status: 'error', error: 'timeout', input: 'Summarise', model: 'm' },
    ];
    expect((await api.post('/api/v1/traces', { spans })).status).toBe(200);
    expect((await api.post(Q, { name: 'llm-errors', scope: 'llm', labels: ['fine', 'harmful', 'wrong'], rule: "status = 'error'" })).status).toBe(201);
    expect((await api.post(`${Q}/llm-errors/pull`, {})).body).toMatchObject({ scanned: 2, added: 1, reasons: { rule: 1 } });
    const [item] = (await api.get(`${Q}/llm-errors/items`)).body.items;
    expect(item).toMatchObject({ source: { kind: 'trace', id: 'b2'.repeat(16) }, fields: { status: 'error', input: 'Summarise', output: null } });

    expect((await api.post(Q, { name: 'reports', scope: 'project', labels: ['spam', 'ham'] })).status).toBe(201);
    expect((await api.post(`${Q}/reports/pull`, {})).status).toBe(400);
    const pushed = await api.post(`${Q}/reports/items`, { items: [{ id: 'msg-1', fields: { text: 'win a prize' } }, { id: 'msg-2', fields: { text: 'lunch?' }, predicted: 'ham', confidence: 0.9 }] });
    expect(pushed.body.added).toBe(2);
    expect((await api.post(`${Q}/reports/items`, { items: [{ id: 'msg-1', fields: { text: 'again' } }] })).body.added).toBe(0);
    expect((await api.get(Q)).body.items.map((x: { name: string }) => x.name)).toEqual(['llm-errors', 'loan-review', 'reports']);
    expect((await api.call('DELETE', `${Q}/reports`)).status).toBe(200);
    expect((await api.get(`${Q}/reports`)).status).toBe(404);
  });
});
