import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Two views applied and checked through the API as a team would: one materialized and fresh, one never loaded;
 * a skew check on the first, with one served value off. The pages must show exactly that.
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
});
