import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';
import { basicAuth, seedRegistry, seedTracking, type SeededRegistry } from '../support/ui-seed.js';

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: registry, promotion approvals, rollback', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let registry: SeededRegistry;

  beforeAll(async () => {
    server = await startTestServer();
    registry = await seedRegistry(server.url, await seedTracking(server.url));
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  const stageOf = (version: number) => page.getByRole('row', { name: new RegExp(`^Version ${version}\\b`) }).getByTestId('stage').textContent();

  it('lists models and shows a version with its signature, source run and checks', async () => {
    await visit(page, `${server.url}/models`, 'models', 'text=churn-model');
    await page.getByRole('link', { name: 'churn-model', exact: true }).click();
    await expect.poll(() => stageOf(1)).toBe('None');
    await checkView(page, 'model-versions');
    await page.getByRole('link', { name: 'Version 1' }).click();
    await expect.poll(() => page.getByRole('row', { name: /churn_probability/ }).textContent()).toContain('double');
    expect(await page.getByRole('row', { name: /^age/ }).textContent()).toContain('long');
    await expect.poll(() => page.getByRole('row', { name: /approval/ }).textContent()).toContain('failed');
    expect(await page.getByRole('row', { name: /acc >= 0.5/ }).textContent()).toContain('passed');
    await checkView(page, 'model-version');
  });

  it('approves a promotion request as another user and the version moves to Production', async () => {
    await visit(page, `${server.url}/models/churn-model/requests`, 'promotion-request-pending', '[data-testid=promotion-request]');
    // alice asked; the requester cannot approve, so act as bob.
    await page.getByLabel('Acting as').fill('bob');
    const card = page.getByTestId('promotion-request').filter({ hasText: `Request #${registry.requestId}` });
    await card.getByLabel('Comment').fill('looks good');
    await card.getByRole('button', { name: 'Approve as bob' }).click();
    await expect.poll(() => page.getByTestId('promotion-request').filter({ hasText: `Request #${registry.requestId}` }).textContent()).toContain('(completed)');
    await checkView(page, 'promotion-request-approved');
    await page.getByRole('navigation', { name: 'Model views' }).getByRole('link', { name: 'Versions' }).click();
    await expect.poll(() => stageOf(1)).toBe('Production');
    const request = await jsonClient(server.url).get(`/api/v1/promotion-requests/${registry.requestId}`);
    expect(request.body).toMatchObject({ state: 'completed', approvals: [{ userId: 'bob', comment: 'looks good' }] });
  });

  it('offers the requester withdraw instead of approve, and follows the acting user as it changes', async () => {
    const api = jsonClient(server.url);
    const created = await api.post('/api/v1/promotion-requests', { name: 'churn-model', version: 2, target: 'Production' }, basicAuth('carol'));
    expect(created.status).toBe(201);
    await visit(page, `${server.url}/promotions`, 'promotions', '[data-testid=promotion-request]');
    await page.getByLabel('Acting as').fill('carol');
    const card = page.getByTestId('promotion-request').filter({ hasText: `Request #${created.body.id}` });
    // Her own request offers withdraw, not approve.
    await expect.poll(() => card.getByRole('button', { name: 'Withdraw' }).count()).toBe(1);
    expect(await card.getByRole('button', { name: /Approve/ }).count()).toBe(0);
    await page.getByLabel('Acting as').fill('dave');
    await card.getByRole('button', { name: 'Approve as dave' }).click();
    await expect.poll(() => card.textContent()).toContain('(completed)');
  });

  it('rolls Production back to the previous version from the history view', async () => {
    await visit(page, `${server.url}/models/churn-model/history`, 'model-history', '[data-testid=history-table]');
    await expect.poll(() => page.getByTestId('history-table').locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    await page.getByLabel('Reason').fill('v2 regressed');
    await page.getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Rolled back' }).textContent()).toBe('Rolled back from version 2 to version 1.');
    await expect.poll(() => page.getByTestId('history-table').locator('tbody tr').first().textContent()).toContain('rollback');
    await checkView(page, 'model-history-rolled-back');
    await page.getByRole('navigation', { name: 'Model views' }).getByRole('link', { name: 'Versions' }).click();
    await expect.poll(() => stageOf(1)).toBe('Production');
    expect(await stageOf(2)).toBe('Archived');
  });

  it('says “not found” for an unknown model', async () => {
    await visit(page, `${server.url}/models/no-such-model`, 'model-not-found', 'h1');
    expect(await page.locator('h1').textContent()).toBe('Model not found');
  });
});
