import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => ({ age: 20 + (i % 50) + shift, plan: i % 3 === 0 ? 'pro' : 'basic' }));

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: monitoring', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    expect((await api.post('/monitors', { name: 'churn-prod', modelName: 'churn-model', window: 'batch', reference: { rows: rows(400, 0) } })).status).toBe(201);
    expect((await api.post('/monitors/churn-prod/alert-rules', { name: 'age-drift', figure: 'drifted:age', op: '>=', threshold: 1 })).status).toBe(201);
    // A batch like the reference, then one with every age 30 years older.
    expect((await api.post('/monitors/churn-prod/ingest', { rows: rows(300, 0) })).status).toBe(200);
    expect((await api.post('/monitors/churn-prod/ingest', { rows: rows(300, 30) })).status).toBe(200);
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  // Two accessibility checks on a busy two-core machine: two minutes.
  it('lists monitors and shows windows, drift over time and alerts', { timeout: 120_000 }, async () => {
    page.setDefaultTimeout(25_000);
    await visit(page, `${server.url}/monitoring`, 'monitors', 'text=churn-prod');
    await page.getByRole('link', { name: 'churn-prod' }).click();
    const windows = page.getByTestId('windows-table');
    await expect.poll(() => windows.locator('tbody tr').count()).toBe(2);
    // Newest first: the shifted batch drifted on age (1 of 2 features), the first did not.
    expect(await windows.locator('tbody tr').nth(0).textContent()).toContain('0.5 drift');
    expect(await windows.locator('tbody tr').nth(1).textContent()).toContain('0');
    // The drifted share, and the two features' p-values (KS for age, chi-square for plan) on their own chart: no distances here.
    await expect.poll(() => page.locator('figure[role=img] canvas').count()).toBe(2);
    expect(await page.getByTestId('distance-chart').count()).toBe(0);
    expect(await page.getByTestId('p-value-chart').locator('.u-legend .u-series').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringContaining('age (threshold 0.05)'), expect.stringContaining('plan (threshold 0.05)')]));
    expect(await page.getByRole('row', { name: /age-drift/ }).textContent()).toContain('firing');
    // The newest window's histograms: age drifted (every age 30 years older), plan did not.
    const histograms = page.getByTestId('feature-histogram');
    await expect.poll(() => histograms.count()).toBe(2);
    expect(await histograms.filter({ hasText: 'age' }).locator('figcaption').textContent()).toMatch(/^age drifted/);
    expect(await histograms.filter({ hasText: 'plan' }).locator('figcaption').textContent()).toMatch(/^plan no drift/);
    // The alert fired on the second window, and the timeline shows it.
    await expect.poll(() => page.locator('[data-testid=alert-segment][data-state=firing]').count()).toBe(1);
    await visit(page, page.url(), 'monitor', '[data-testid=windows-table]');
    const report = await page.getByRole('link', { name: 'Histograms and tests' }).first().getAttribute('href');
    const html = await fetch(server.url + report!);
    expect(html.headers.get('content-type')).toContain('text/html');
  });
});
