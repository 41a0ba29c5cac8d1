import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { randomTrees, treeEnsembleModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: feature attributions on the model version page', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(server.url);
    const onnx = treeEnsembleModel({ kind: 'regressor', features: 4, trees: randomTrees({ seed: 3, trees: 5, depth: 3, features: 4, rows: 100 }), hitrates: 'covers' });
    for (const [file, body] of [['MLmodel', 'flavors:\n  onnx:\n    model_file: model.onnx\n'], ['model.onnx', onnx]] as const) {
      expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/forest/${file}`, { method: 'PUT', body })).status).toBe(200);
    }
    expect((await api.post('/api/2.0/mlflow/registered-models/create', { name: 'forest' })).status).toBe(200);
    expect((await api.post('/api/2.0/mlflow/model-versions/create', { name: 'forest', source: 'mlflow-artifacts:/models/forest' })).status).toBe(200);
    const columns = Object.fromEntries(['tenure', 'charges', 'calls', 'age'].map((c, j) => [c, Array.from({ length: 30 }, (_, i) => ((i * 7 + j * 3) % 11) + 0.5)]));
    const y = columns.tenure!.map((v, i) => v - columns.calls![i]!);
    const e = await api.post('/api/v1/explanations', { model: 'forest', version: 1, data: { columns: { ...columns, y }, name: 'sample.csv' }, label: 'y', rows: 10 });
    expect(e.status).toBe(201);
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('draws global importance, a beeswarm and a waterfall for one row, with permutation importance beside them', async () => {
    await visit(page, `${server.url}/models/forest/versions/1`, 'version-explanation', '[data-testid=waterfall]');
    const bars = page.getByTestId('importance-bars');
    expect(await bars.getAttribute('aria-label')).toBe('Global importance: mean |TreeSHAP| per feature');
    expect(await bars.locator('rect').count()).toBe(4);
    // Ten explained rows, four features: forty dots.
    expect(await page.getByTestId('beeswarm').locator('circle').count()).toBe(40);
    expect(await page.getByTestId('waterfall').locator('rect').count()).toBe(4);
    expect(await page.getByTestId('permutation-table').locator('tbody tr').count()).toBe(4);
  });
});
