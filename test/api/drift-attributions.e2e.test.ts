import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { randomTrees, treeEnsembleModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';

const FEATURES = ['tenure', 'charges', 'calls', 'age'];
/** Row i of the data: each feature cycles through 11 values; `shift` moves tenure only. */
const value = (i: number, j: number, shift = 0) => ((i * 7 + j * 3) % 11) + 0.5 + (j === 0 ? shift : 0);

/*
 * A deployment of a tree ensemble whose version 1 has a stored explanation (TreeSHAP), a monitor of that version fed
 * by the deployment's prediction log, and predictions where tenure moved by 20: the drift alert names tenure with the
 * rank and mean |φ| the stored explanation gives it, and links the version's explanation page.
 */
describe('drift alerts name the drifted features with their attributions', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const received: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end('ok');
    });
  });
  /** tenure's place and mean |φ| in the stored explanation, read back from it. */
  let expected: { rank: number; attribution: number; features: number; explanationId: string };
  let ruleId = '';

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const onnx = treeEnsembleModel({ kind: 'regressor', features: 4, trees: randomTrees({ seed: 11, trees: 5, depth: 3, features: 4, rows: 100 }), hitrates: 'covers' });
    for (const [file, body] of [['MLmodel', 'flavors:\n  onnx:\n    model_file: model.onnx\n'], ['model.onnx', onnx]] as const) {
      expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/forest/${file}`, { method: 'PUT', body })).status).toBe(200);
    }
    expect((await api.post('/api/2.0/mlflow/registered-models/create', { name: 'forest' })).status).toBe(200);
    expect((await api.post('/api/2.0/mlflow/model-versions/create', { name: 'forest', source: 'mlflow-artifacts:/models/forest' })).status).toBe(200);

    const columns = Object.fromEntries(FEATURES.map((c, j) => [c, Array.from({ length: 30 }, (_, i) => value(i, j))]));
    const explained = await api.post('/api/v1/explanations', { model: 'forest', version: 1, data: { columns, name: 'sample.csv' }, methods: ['tree_shap'], rows: 10 });
    expect(explained.status).toBe(201);
    const stored = (await api.get(`/api/v1/explanations/${explained.body.id}`)).body;
    const global = [...stored.result.treeShap.global as { feature: string; meanAbs: number }[]].sort((a, b) => b.meanAbs - a.meanAbs);
    const at = global.findIndex((g) => g.feature === 'tenure');
    expected = { rank: at + 1, attribution: global[at]!.meanAbs, features: global.length, explanationId: stored.id };

    expect((await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'forest', alias: 'live', version: '1' })).status).toBe(200);
    const deployed = await api.post('/api/v1/deployments', { name: 'forest', model: 'forest', alias: 'live', logging: { sampleRate: 1 } });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    const monitor = await api.post('/api/v1/monitors', {
      name: 'forest-prod', modelName: 'forest', modelVersion: '1', window: 'hour',
      config: { features: FEATURES.map((name) => ({ name, type: 'numeric' })) },
      reference: { rows: Array.from({ length: 400 }, (_, i) => Object.fromEntries(FEATURES.map((f, j) => [f, value(i, j)]))) },
    });
    expect(monitor.status).toBe(201);
    const rule = await api.post('/api/v1/monitors/forest-prod/alert-rules', { name: 'feature-drift', figure: 'drifted_columns', op: '>=', threshold: 1, webhookUrl: hookUrl });
    expect(rule.status).toBe(201);
    ruleId = rule.body.ruleId;

    const rows = 220;
    const data = Array.from({ length: rows }, (_, i) => FEATURES.map((_f, j) => value(i, j, 20))).flat();
    expect((await api.post('/v2/models/forest/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [rows, 4], data }] })).status).toBe(200);
    // The prediction log reaches the monitor off the request path: wait for the rows, then close the hour's window.
    const logged = async () => ((await api.get('/api/v1/monitors/forest-prod/status')).body.openWindows as { rows: number }[]).reduce((s, w) => s + w.rows, 0);
    for (const until = Date.now() + 60_000; (await logged()) < rows && Date.now() < until;) await new Promise((r) => setTimeout(r, 250));
    expect(await logged()).toBe(rows);
    expect((await api.post('/api/v1/monitors/forest-prod/windows/close', {})).status).toBe(200);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('names the drifted feature with the stored explanation\'s rank and value in the webhook and the API', async () => {
    await expect.poll(() => received.length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    const hook = JSON.parse(received[0]!);
    const drift = {
      model: { name: 'forest', version: '1' },
      explanation: { id: expected.explanationId, method: 'tree_shap', features: expected.features },
      link: '/models/forest/versions/1#explanation',
      features: [expect.objectContaining({ feature: 'tenure', drifted: true, rank: expected.rank, attribution: expected.attribution })],
    };
    expect(hook).toMatchObject({ type: 'alert', state: 'firing', rule: { name: 'feature-drift' }, drift });
    // Only tenure moved.
    expect(hook.drift.features).toHaveLength(1);

    const detail = await api.get(`/api/v1/alerts/${ruleId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ state: 'firing', drift: { ...drift, windowId: expect.any(String) } });
  });

  it('says when the model version has no explanation, and gives the command', async () => {
    const monitor = await api.post('/api/v1/monitors', {
      name: 'forest-v2', modelName: 'forest', modelVersion: '2', window: 'batch',
      reference: { rows: Array.from({ length: 400 }, (_, i) => ({ tenure: value(i, 0), age: value(i, 3) })) },
    });
    expect(monitor.status).toBe(201);
    const rule = await api.post('/api/v1/monitors/forest-v2/alert-rules', { name: 'tenure-drift', figure: 'drifted:tenure', op: '>=', threshold: 1 });
    expect((await api.post('/api/v1/monitors/forest-v2/ingest', { rows: Array.from({ length: 200 }, (_, i) => ({ tenure: value(i, 0, 20), age: value(i, 3) })) })).status).toBe(200);
    const detail = await api.get(`/api/v1/alerts/${rule.body.ruleId}`);
    expect(detail.body.drift).toMatchObject({
      explanation: null, note: "Model 'forest' version 2 has no stored explanation.", command: 'openexpert explain forest@2 --data sample.csv',
      features: [{ feature: 'tenure', drifted: true }],
    });
    expect(detail.body.drift.features[0].rank).toBeUndefined();
  });

  describe.skipIf(!fs.existsSync(CHROMIUM))('in the web UI', () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    beforeAll(async () => {
      ({ browser, context, page } = await openPage());
    });
    afterAll(async () => {
      await closePage({ browser, context });
    });

    it('shows the drifted feature\'s rank on the monitor page and links the explanation, which opens', { timeout: 120_000 }, async () => {
      page.setDefaultTimeout(30_000);
      await visit(page, `${server.url}/monitoring/forest-prod`, 'monitor-drift-attributions', '[data-testid=drift-attributions] tbody tr');
      const row = page.getByTestId('drift-attributions').locator('tbody tr').first();
      expect(await row.textContent()).toContain('tenure');
      expect(await row.textContent()).toContain(`#${expected.rank} of ${expected.features}`);
      const link = page.getByTestId('explanation-link');
      expect(await link.getAttribute('href')).toBe('/models/forest/versions/1#explanation');
      await link.click();
      await page.getByTestId('importance-bars').waitFor({ state: 'visible' });
      expect(new URL(page.url()).pathname).toBe('/models/forest/versions/1');
      await checkView(page, 'version-explanation-from-alert');
    });
  });
});
