import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: API reference', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists the operations of the server\'s OpenAPI document, filterable, with their parameters and replies', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const count = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).length, 0);
    await visit(page, `${server.url}/api-reference`, 'api-reference', '[data-testid=operation]');
    expect(await page.getByTestId('operation').count()).toBe(count);
    await page.getByLabel('Filter operations').fill('metrics/{key}/history');
    await expect.poll(() => page.getByTestId('operation').count()).toBe(1);
    const history = page.getByTestId('operation').first();
    await history.locator('summary').click();
    expect(await history.textContent()).toContain('GET /api/v1/runs/{id}/metrics/{key}/history');
    expect(await history.getByRole('table', { name: 'Responses' }).textContent()).toContain('Metric[]');
    await page.getByRole('link', { name: 'API', exact: true }).click();
    await page.waitForURL(/\/api-reference$/);
  });
});
