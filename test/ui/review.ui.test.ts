import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';

/** A reviewer labels a queue from the keyboard; another reviewer's labels (sent through the API) make the agreement. */
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: labelling a review queue', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const Q = '/api/v1/review/queues/inbox';
  const bob = { authorization: `Basic ${Buffer.from('bob:x').toString('base64')}` };

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(server.url);
    expect((await api.post('/api/v1/review/queues', {
      name: 'inbox', scope: 'project', labels: ['spam', 'ham', 'unsure'], instructions: 'Spam is unsolicited bulk mail.', reviewers: ['ann', 'bob'], overlap: 1,
    })).status).toBe(201);
    const texts = ['WIN A PRIZE now', 'Lunch at noon?', 'Your invoice is attached'];
    const pushed = await api.post(`${Q}/items`, { items: texts.map((text, i) => ({ id: `m${i}`, fields: { text }, predicted: i === 0 ? 'spam' : 'ham', confidence: 0.6, time: 1000 * (i + 1) })) });
    expect(pushed.body.added).toBe(3);
    const ids = (await api.get(`${Q}/items`)).body.items.map((x: { id: string }) => x.id) as string[];
    for (const [i, label] of ['spam', 'ham', 'ham'].entries()) expect((await api.call('PUT', `${Q}/items/${ids[i]}/label`, { label }, bob)).status).toBe(200);
    ({ browser, context, page } = await openPage());
    await page.addInitScript("localStorage.setItem('openexpert.user', 'ann')");
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('labels with number keys and Enter, moves with j and k, and shows Cohen\'s and Fleiss\' kappa', async () => {
    await visit(page, `${server.url}/review`, 'review-queues', '[data-testid=queues-table]');
    await page.getByRole('link', { name: 'inbox' }).click();
    await visit(page, `${server.url}/review/inbox`, 'review-queue', '[data-testid=review-item]');
    const title = page.locator('#item-title');
    expect(await title.textContent()).toBe('Item 1 of 3');
    expect(await page.getByTestId('item-fields').textContent()).toContain('WIN A PRIZE now');
    expect(await page.getByTestId('instructions').textContent()).toContain('Spam is unsolicited bulk mail.');

    // j and k move between items without labelling.
    await page.keyboard.press('j');
    await expect.poll(() => title.textContent()).toBe('Item 2 of 3');
    await page.keyboard.press('k');
    await expect.poll(() => title.textContent()).toBe('Item 1 of 3');

    await page.keyboard.press('1');
    expect(await page.getByRole('button', { name: 'spam' }).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('review-status').textContent()).toBe('Labelled item 1 as spam.');
    // The labelled item leaves the to-do list: the next one is now first.
    await expect.poll(() => title.textContent()).toBe('Item 1 of 2');
    expect(await page.getByTestId('item-fields').textContent()).toContain('Lunch at noon?');
    await page.keyboard.press('2');
    await page.keyboard.press('Enter');
    await expect.poll(() => title.textContent()).toBe('Item 1 of 1');
    await page.getByLabel('Comment (optional)').fill('an invoice from a stranger');
    await page.keyboard.press('1');
    // Number keys in the comment box are text, not labels.
    expect(await page.getByRole('button', { name: 'spam' }).getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByLabel('Comment (optional)').inputValue()).toBe('an invoice from a stranger1');
    await page.getByLabel('Comment (optional)').fill('an invoice from a stranger');
    await page.getByRole('button', { name: 'spam' }).click();
    await page.getByRole('button', { name: 'Submit (Enter)' }).click();
    await page.getByTestId('queue-empty').waitFor();

    // Ann: spam, ham, spam; Bob: spam, ham, ham. Cohen: p_o = 2/3, p_e = (2/3)(1/3) + (1/3)(2/3) = 4/9, κ = 0.4.
    // Fleiss: pooled spam = ham = 1/2, P̄e = 1/2, P̄ = 2/3, κ = 1/3.
    await expect.poll(() => page.getByTestId('pairs').locator('tbody tr').textContent()).toBe('ann & bob30.6670.400');
    expect(await page.getByTestId('fleiss').textContent()).toContain('Fleiss\' κ = 0.333 (fair) over 3 items');
    expect(await page.getByTestId('progress').textContent()).toContain('3 items, 3 labelled, 3 complete');
    await checkView(page, 'review-queue-done');

    const stored = (await jsonClient(server.url).get(`${Q}/items`)).body.items as { labels: { reviewer: string; label: string; comment?: string }[] }[];
    expect(stored.map((i) => i.labels.find((l) => l.reviewer === 'ann'))).toMatchObject([{ label: 'spam' }, { label: 'ham' }, { label: 'spam', comment: 'an invoice from a stranger' }]);
  }, 180_000);
});
