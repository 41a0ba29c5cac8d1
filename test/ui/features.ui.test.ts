import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { linearModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';

const DAY = 86_400_000;
const MLMODEL = `flavors:
  onnx:
    model_file: model.onnx
    onnx_version: 1.17.0
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "y"}]'
`;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Two views applied and checked through the API as a team would: one materialized and fresh, one never loaded;
 * a skew check on the first, with one served value off; a deployment that fetches the first view's features and
 * scored users 1 and 2. The pages must show exactly that.
 */
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: feature views', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    const now = Date.now();
    const stats = path.join(server.home, 'user_stats.csv');
    fs.writeFileSync(stats, `user_id,event_timestamp,user_spend_sum_7d,user_orders_count_7d\n1,${iso(now - DAY)},120,4\n2,${iso(now - DAY)},30,1\n`);
    const applied = await api.post('/features/apply', { definitions: {
      entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
      feature_views: [
        {
          name: 'user_stats', entity: 'user', source: { path: stats }, ttl: '7d', owner: 'growth-team', tags: { team: 'growth' },
          schema: [{ name: 'user_spend_sum_7d', dtype: 'float64' }, { name: 'user_orders_count_7d', dtype: 'int64' }],
          transformations: [{ name: 'user_spend_per_order_avg_7d', expression: 'user_spend_sum_7d / user_orders_count_7d' }],
        },
        { name: 'user_profile', entity: 'user', source: { path: stats }, ttl: '1d', schema: [{ name: 'user_spend_sum_7d', dtype: 'float64' }] },
      ],
    } });
    expect(applied.status).toBe(200);
    expect((await api.post('/features/materialize', { views: ['user_stats'], start: now - 3 * DAY, end: now })).status).toBe(200);
    const at = iso(now - 60_000);
    const skew = await api.post('/features/skew', {
      features: ['user_stats:user_spend_sum_7d', 'user_stats:user_orders_count_7d'],
      rows: [{ user_id: 1, event_timestamp: at, user_spend_sum_7d: 95, user_orders_count_7d: 4 }, { user_id: 2, event_timestamp: at, user_spend_sum_7d: 30, user_orders_count_7d: 1 }],
    });
    expect(skew.status).toBe(200);
    const trainingSet = await api.post('/features/historical', { features: ['user_stats:user_spend_sum_7d'], entities: [{ user_id: 1, event_timestamp: at }] });
    expect(trainingSet.status).toBe(200);
    // A deployment fetching both stored features of user_stats, which logged the vectors of two requests.
    const put = (p: string, body: Uint8Array | string) => fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${p}`, { method: 'PUT', body });
    await put('models/spend/v1/MLmodel', MLMODEL);
    await put('models/spend/v1/model.onnx', linearModel([[2, 3]], [1]));
    const mlflow = jsonClient(`${server.url}/api/2.0/mlflow`);
    expect((await mlflow.post('/registered-models/create', { name: 'spend' })).status).toBe(200);
    expect((await mlflow.post('/model-versions/create', { name: 'spend', source: 'mlflow-artifacts:/models/spend/v1' })).status).toBe(200);
    expect((await mlflow.post('/registered-models/alias', { name: 'spend', alias: 'live', version: '1' })).status).toBe(200);
    const deployed = await api.post('/deployments', {
      model: 'spend', alias: 'live', logging: { sampleRate: 1 }, features: { features: ['user_stats:user_spend_sum_7d', 'user_stats:user_orders_count_7d'] },
    });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    for (const user of [1, 2]) {
      const scored = await jsonClient(server.url).post('/v2/models/spend/infer', { inputs: [{ name: 'user_id', shape: [1], datatype: 'INT64', data: [user] }] });
      expect(scored.status, JSON.stringify(scored.body)).toBe(200);
    }
    for (let tries = 0; tries < 300; tries++) {
      if ((await api.get('/deployments/spend/predictions')).body.items.length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    ({ browser, context, page } = await openPage());
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists views with their TTL and whether their online values are fresh, stale or never loaded', async () => {
    await visit(page, `${server.url}/features`, 'feature-views', '[data-testid=feature-views-table]');
    const cells = async (view: string) => page.locator(`[data-testid=feature-views-table] tr[data-view=${view}] td`).allTextContents();
    const stats = await cells('user_stats');
    expect(stats.slice(0, 4)).toEqual(['user_stats', 'user', '3', '1w']);
    // Materialized up to now: the values are as fresh as the window that loaded them.
    expect(stats[4]).toMatch(/^FRESH · (\d+ s|\d+ min \d+ s) old$/);
    expect(stats.slice(5, 7)).toEqual(['growth-team', 'team=growth']);
    expect((await cells('user_profile'))[4]).toBe('NOT MATERIALIZED');
  });

  it('shows a view: schema with the computed feature, the latest skew report, versions and lineage', async () => {
    await page.getByRole('link', { name: 'user_stats' }).click();
    await page.waitForURL(/\/features\/user_stats$/);
    await visit(page, page.url(), 'feature-view', '[data-testid=skew-table]');
    const schema = await page.getByTestId('feature-schema').locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent)));
    expect(schema).toEqual([
      ['user_spend_sum_7d', 'float64', ''],
      ['user_orders_count_7d', 'int64', ''],
      ['user_spend_per_order_avg_7d', 'float64', 'user_spend_sum_7d / user_orders_count_7d'],
    ]);
    expect(await page.getByTestId('skew-summary').textContent()).toMatch(/^2 served rows checked/);
    const skew = await page.getByTestId('skew-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(0, 5).map((c) => c.textContent)));
    // Served 95 where the offline value is 120: one mismatch of two on spend, none on orders.
    expect(skew).toEqual([['user_spend_sum_7d', '2', '1', '50%', '0'], ['user_orders_count_7d', '2', '0', '0%', '0']]);
    expect(await page.getByTestId('feature-view-versions').locator('tbody tr').count()).toBe(1);
    await page.getByRole('button', { name: 'Table' }).click();
    await page.getByLabel('Direction').selectOption('downstream');
    await page.getByTestId('lineage-table').waitFor();
    expect(await page.getByTestId('lineage-table').textContent()).toContain('training set');
  }, 60_000);

  it('shows the vectors a deployment that fetches the view\'s features logged, and checks them for skew', async () => {
    await visit(page, `${server.url}/features/user_stats`, 'feature-view-logged-vectors', '[data-testid=logged-vectors]');
    const section = page.locator('[data-testid=deployment-vectors][data-deployment=spend]');
    const headers = await section.locator('[data-testid=logged-vectors] thead th').allTextContents();
    expect(headers).toEqual(['Time', 'Entity', 'user_spend_sum_7d', 'user_orders_count_7d']);
    const rows = await section.locator('[data-testid=logged-vectors] tbody tr').evaluateAll((trs) => trs.map((r) => [...r.querySelectorAll('td')].slice(1).map((c) => c.textContent)));
    // The online values materialized from the CSV above, by user.
    expect(rows.sort()).toEqual([['user_id=1', '120', '4'], ['user_id=2', '30', '1']]);
    await section.getByRole('button', { name: 'Check skew against the logged vectors' }).click();
    await section.getByTestId('deployment-skew-table').waitFor({ timeout: 60_000 });
    expect(await section.getByTestId('deployment-skew-summary').textContent()).toMatch(/^2 logged vectors of spend recomputed offline/);
    const skew = await section.getByTestId('deployment-skew-table').locator('tbody tr').evaluateAll((trs) => trs.map((r) => [...r.querySelectorAll('td')].slice(0, 5).map((c) => c.textContent)));
    // What the model was given is what the offline store says for the same users and times: no skew.
    expect(skew).toEqual([['user_spend_sum_7d', '2', '0', '0%', '0'], ['user_orders_count_7d', '2', '0', '0%', '0']]);
    // The check becomes the view's latest skew report.
    await expect.poll(async () => page.getByTestId('skew-summary').textContent(), { timeout: 60_000 }).toMatch(/^2 served rows checked/);
    await expect.poll(async () => (await page.getByTestId('skew-table').locator('tbody tr td:nth-child(3)').allTextContents()).join(','), { timeout: 60_000 }).toBe('0,0');
    await checkView(page, 'feature-view-skew-checked');
  }, 120_000);
});
