import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/domain/monitoring/webhooks.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

const range = (n: number, f: (i: number) => unknown = (i) => i) => Array.from({ length: n }, (_, i) => f(i));
const rows = (n: number, shift: number) => range(n, (i) => ({ id: `p${shift}-${i}`, age: 20 + (i % 50) + shift, plan: i % 3 === 0 ? 'pro' : 'basic', score: i % 2 }));

describe('monitoring over HTTP', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const received: { body: string; headers: http.IncomingHttpHeaders }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      res.writeHead(200).end('ok');
    });
  });
  let hookUrl = '';

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(`${server.url}/api/v1`);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('creates a monitor, ingests a drifted batch, fires an alert to a signed webhook and exposes it all', async () => {
    const created = await api.post('/monitors', {
      name: 'churn-prod', modelName: 'churn', modelVersion: '3', window: 'batch',
      config: { idColumn: 'id', predictionColumn: 'score', task: 'classification' },
      reference: { rows: rows(400, 0) },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'churn-prod', referenceRows: 400, window: 'batch' });

    const rule = await api.post('/monitors/churn-prod/alert-rules', { name: 'age-drift', figure: 'drifted:age', op: '>=', threshold: 1, webhookUrl: hookUrl });
    expect(rule.status).toBe(201);
    const secret: string = rule.body.webhookSecret;
    expect(secret).toMatch(/^[0-9a-f]{48}$/);

    const ingest = await api.post('/monitors/churn-prod/ingest', { rows: rows(300, 30) });
    expect(ingest.status).toBe(200);
    const windowId: string = ingest.body.window.windowId;
    expect(ingest.body.window).toMatchObject({ status: 'closed', rows: 300 });
    expect(ingest.body.window.figures['drifted:age']).toBe(1);

    const window = await api.get(`/monitors/churn-prod/windows/${windowId}`);
    const age = window.body.result.report.columns.find((c: { name: string }) => c.name === 'age');
    expect(age.drift).toMatchObject({ test: 'ks', drifted: true, scoreKind: 'p_value', threshold: 0.05 });
    expect(window.body.result.report.columns.map((c: { name: string }) => c.name)).toEqual(['age', 'plan']);
    expect(window.body.result.report.predictionDrift.name).toBe('score');

    const until = Date.now() + 5000;
    while (received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1);
    const hit = received[0]!;
    expect(JSON.parse(hit.body)).toMatchObject({ type: 'alert', state: 'firing', rule: { name: 'age-drift' }, monitor: { name: 'churn-prod', modelVersion: '3' } });
    expect(verifyWebhookSignature(secret, hit.body, { signature: hit.headers['x-openexpert-signature'] as string, timestamp: hit.headers['x-openexpert-timestamp'] as string }, Math.floor(Date.now() / 1000))).toBe(true);

    const alerts = await api.get('/alerts', { state: 'firing' });
    expect(alerts.body.items).toEqual([expect.objectContaining({ name: 'age-drift', state: 'firing' })]);
    expect(alerts.body.items[0].webhookSecret).toBeUndefined();
    const deliveries = await api.get('/monitors/churn-prod/deliveries');
    expect(deliveries.body.items[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    expect(deliveries.body.items[0].secret).toBeUndefined();

    const silenced = await api.post(`/alerts/${rule.body.ruleId}/silence`, { durationMs: 3_600_000, reason: 'investigating' });
    expect(silenced.body).toMatchObject({ silenceReason: 'investigating' });

    const labels = await api.post('/monitors/churn-prod/labels', { labels: range(300, (i) => ({ predictionId: `p30-${i}`, label: i % 2 })) });
    expect(labels.body).toEqual({ stored: 300, windowsUpdated: 1 });

    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/openexpert_monitor_feature_drifted\{monitor="churn-prod",feature="age"\} 1/);
    expect(metrics).toMatch(/openexpert_monitor_dataset_drift_share\{monitor="churn-prod"\} 0\.5/);
    expect(metrics).toMatch(/openexpert_monitor_alert_state\{monitor="churn-prod",rule="age-drift",state="firing"\} 2/);
    expect(metrics).toMatch(/openexpert_monitor_alert_silenced\{monitor="churn-prod",rule="age-drift"\} 1/);
    expect(metrics).toMatch(/openexpert_monitor_performance\{monitor="churn-prod",metric="accuracy"\} 1/);
    expect(metrics).toMatch(/openexpert_monitor_feature_drift_score\{monitor="churn-prod",feature="plan",test="z",score_kind="p_value"\} /);

    const html = await fetch(`${server.url}/api/v1/monitors/churn-prod/windows/${windowId}/report.html`);
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const page = await html.text();
    expect(page.match(/<svg class="chart"/g)).toHaveLength(3);
    // Each test's exact rule: KS drifts at p ≤ 0.05, the Z-test (plan: two values) at p < 0.05.
    expect(page).toMatch(/data-column="age"[^]*?<th>rule<\/th><td>drifts when p ≤ 0.05<\/td>/);
    expect(page).toMatch(/data-column="plan"[^]*?<th>rule<\/th><td>drifts when p &lt; 0.05<\/td>/);
    expect(page).not.toMatch(/<script|https?:\/\/(?!www\.w3)/);

    const status = await api.get('/monitors/churn-prod/status');
    expect(status.body.latest).toMatchObject({ windowId, figures: expect.objectContaining({ accuracy: 1 }) });
  });

  it('records a retrain it sets off in the monitor\'s history and in lineage: alert → retrain → run → model version', async () => {
    expect((await api.post('/monitors', { name: 'retrained', modelName: 'churn', reference: { rows: rows(400, 0) } })).status).toBe(201);
    // A real command, run without a shell: `true` exits at once.
    const rule = await api.post('/monitors/retrained/alert-rules', { name: 'retrain-on-drift', figure: 'dataset_drift', op: '>=', threshold: 1, retrain: { command: ['true'] } });
    expect(rule.status).toBe(201);
    expect((await api.post('/monitors/retrained/ingest', { rows: rows(300, 30) })).body.window.figures.dataset_drift).toBe(1);

    const [request] = (await api.get('/monitors/retrained/retrain-requests')).body.items;
    expect(request).toMatchObject({ ruleId: rule.body.ruleId, target: 'true', status: 'started' });
    const fired = await api.get(`/lineage/alert_rule/${rule.body.ruleId}`, { direction: 'upstream' });
    expect(fired.body.edges).toContainEqual(expect.objectContaining({ from: { kind: 'monitor', id: expect.any(String) }, relation: 'fired' }));

    const done = await api.post(`/retrain-requests/${request.requestId}/outcome`, { status: 'completed', runId: 'run-42', modelName: 'churn', modelVersion: 4 });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', detail: 'run run-42, registered churn version 4' });
    expect((await api.get('/monitors/retrained/retrain-requests')).body.items[0]).toMatchObject({ status: 'completed' });

    const graph = await api.get(`/lineage/alert_rule/${rule.body.ruleId}`, { direction: 'downstream' });
    const edges = graph.body.edges.map((e: { from: { kind: string }; to: { kind: string; id: string }; relation: string }) => `${e.from.kind} -${e.relation}-> ${e.to.kind}:${e.to.kind === 'retrain_request' ? '' : e.to.id}`);
    expect(edges).toEqual(expect.arrayContaining(['alert_rule -triggered-> retrain_request:', 'retrain_request -started-> run:run-42', 'run -produced-> model_version:churn/4']));

    const half = await api.post(`/retrain-requests/${request.requestId}/outcome`, { status: 'completed', modelName: 'churn' });
    expect(half.status).toBe(400);
    expect(half.body.error.message).toContain("'modelVersion'");
    expect((await api.post('/retrain-requests/nope/outcome', { status: 'failed' })).status).toBe(404);
  });

  it('answers bad input with 400 naming the field, unknown monitors with 404', async () => {
    const badName = await api.post('/monitors', { name: 'bad name!' });
    expect(badName.status).toBe(400);
    expect(badName.body.error).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'name'") });
    const badTest = await api.post('/monitors', { name: 'm2', config: { stattest: 't-test' } });
    expect(badTest.status).toBe(400);
    expect(badTest.body.error.message).toContain("'config.stattest'");
    await api.post('/monitors', { name: 'm3', reference: { columns: { x: [1, 2, 3] } } });
    const ragged = await api.post('/monitors/m3/ingest', { columns: { x: [1, 2], y: [1] } });
    expect(ragged.status).toBe(400);
    const both = await api.post('/monitors/m3/ingest', { rows: [{ x: 1 }], columns: { x: [1] } });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toContain("'rows'");
    const badRule = await api.post('/monitors/m3/alert-rules', { name: 'r', figure: 'drift:x', op: '>', threshold: 1 });
    expect(badRule.status).toBe(400);
    expect(badRule.body.error.message).toContain("'figure'");
    const badUrl = await api.post('/monitors/m3/alert-rules', { name: 'r', figure: 'drifted:x', op: '>', threshold: 1, webhookUrl: 'ftp://x' });
    expect(badUrl.status).toBe(400);
    expect((await api.get('/monitors/nope')).status).toBe(404);
    expect((await api.post('/monitors/nope/ingest', { rows: [] })).status).toBe(404);
    expect((await api.post('/monitors', { name: 'm3' })).status).toBe(409);
    expect((await api.get('/monitors/m3/windows')).body.items).toEqual([]);
  });

  it('a one-off report as JSON and as HTML, with findings for bad columns', async () => {
    const body = {
      reference: { columns: { a: range(50), gone: range(50), c: range(50, (i) => (i % 2 ? 'x' : 'y')) } },
      current: { columns: { a: range(40, (i) => i + 0.5), extra: range(40), c: range(40, () => null) } },
    };
    const json = await api.post('/monitoring/report', body);
    expect(json.status).toBe(200);
    expect(json.body.findings.map((f: { code: string }) => f.code)).toEqual(expect.arrayContaining(['missing_column', 'extra_column', 'all_missing']));
    expect(json.body.datasetDrift).toMatchObject({ testedColumns: 1 });
    const html = await fetch(`${server.url}/api/v1/monitoring/report?format=html`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('missing from the current data');
  });
});
