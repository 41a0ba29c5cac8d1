import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';

/** Two versions of a prompt pushed, one labelled production: the list, the versions, the diff between them, the label moves. */
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: prompts', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    expect((await api.post('/prompts', { name: 'summarize', template: 'Summarize for {{audience}}:\n{{ticket}}\nBe brief.', description: 'ticket summaries', commitMessage: 'first' })).status).toBe(201);
    expect((await api.post('/prompts', { name: 'summarize', template: 'You are a support lead.\nSummarize for {{audience}}:\n{{ticket}}\nAnswer in {{language}}.', commitMessage: 'tone' })).status).toBe(201);
    expect((await api.call('PUT', '/prompts/summarize/labels/production', { version: 1, reason: 'first release' })).status).toBe(201);
    expect((await api.call('PUT', '/prompts/summarize/labels/production', { version: 2, reason: 'new tone' })).status).toBe(201);
    ({ browser, context, page } = await openPage());
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists prompts with their labels, and shows versions, a template, the diff and the label moves', async () => {
    await visit(page, `${server.url}/prompts`, 'prompts', '[data-testid=prompts-table]');
    const row = page.getByTestId('prompts-table').locator('tbody tr').first();
    expect((await row.locator('td').allTextContents()).slice(0, 3)).toEqual(['summarize', 'v2', 'production: v2']);
    await page.getByRole('link', { name: 'summarize' }).click();
    await page.waitForURL(/\/prompts\/summarize$/);
    await visit(page, page.url(), 'prompt', '[data-testid=diff-table]');
    expect(await page.getByTestId('versions-table').locator('tbody tr td:first-child').allTextContents()).toEqual(['v2', 'v1']);
    expect(await page.getByTestId('template').textContent()).toContain('You are a support lead.');
    // v1 → v2: one line added at the top, the last line replaced.
    const ops = await page.getByTestId('diff-table').locator('tbody tr[data-op]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-op')} ${r.lastElementChild!.textContent}`));
    expect(ops).toEqual(['added You are a support lead.', 'same Summarize for {{audience}}:', 'same {{ticket}}', 'removed Be brief.', 'added Answer in {{language}}.']);
    expect(await page.getByText('Variables added: language').count()).toBe(1);
    const moves = await page.getByTestId('history-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].slice(1).map((c) => c.textContent)));
    expect(moves).toEqual([['production', 'v1', '', 'anonymous', 'first release'], ['production', 'v2', 'v1', 'anonymous', 'new tone']]);
    // Picking the same version on both sides says so; another version's template shows when picked.
    await page.getByTestId('diff-from').selectOption('2');
    await page.getByTestId('diff-same').waitFor();
    await page.getByRole('button', { name: 'v1' }).click();
    expect(await page.getByTestId('template').textContent()).toContain('Be brief.');
    await checkView(page, 'prompt-v1');
  }, 120_000);
});
