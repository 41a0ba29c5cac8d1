import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

/** An agent trace (a chat call and a failing tool call under it) and a plain one, sent as the SDK sends them. */
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: traces', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const agent = 'a1'.repeat(16);

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    const t0 = Date.now() - 60_000;
    const res = await api.post('/traces', {
      spans: [
        { traceId: agent, spanId: '01'.repeat(8), name: 'support-agent', kind: 'agent', startTime: t0, endTime: t0 + 2400, status: 'ok', userId: 'u-42', input: { ticket: 'write to jane@example.com' } },
        { traceId: agent, spanId: '02'.repeat(8), parentSpanId: '01'.repeat(8), name: 'chat gpt-4o-mini', kind: 'llm', startTime: t0 + 100, endTime: t0 + 1300, status: 'ok', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1000, outputTokens: 200, promptName: 'triage', promptVersion: '2', input: [{ role: 'user', content: 'Refund please' }], output: 'Refund issued.' },
        { traceId: agent, spanId: '03'.repeat(8), parentSpanId: '01'.repeat(8), name: 'refund-tool', kind: 'tool', startTime: t0 + 1400, endTime: t0 + 2300, status: 'error', error: 'refund service timed out' },
        { traceId: 'b2'.repeat(16), spanId: '04'.repeat(8), name: 'summarize', kind: 'llm', startTime: t0 + 5000, endTime: t0 + 5400, status: 'ok', provider: 'anthropic', model: 'claude-3-5-haiku-20241022', inputTokens: 50, outputTokens: 10 },
      ],
    });
    expect(res.status).toBe(200);
    ({ browser, context, page } = await openPage());
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists traces with their cost and filters them, then shows a trace as its span tree with inputs, outputs and errors', async () => {
    await visit(page, `${server.url}/traces`, 'traces', '[data-testid=traces-table]');
    const names = await page.getByTestId('traces-table').locator('tbody tr td:first-child').allTextContents();
    expect(names).toEqual(['summarize', 'support-agent']);
    const agentRow = page.getByTestId('traces-table').locator('tbody tr').nth(1);
    // 1000 × $0.15 + 200 × $0.60 per million tokens (gpt-4o-mini's default price).
    expect((await agentRow.locator('td').allTextContents()).slice(2, 10)).toEqual(['error', '2.40 s', '3', '1000/200', '$0.000270', 'gpt-4o-mini', 'triage v2', 'u-42']);
    await page.getByLabel('Model').fill('claude-3-5-haiku-20241022');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/model=claude/);
    await expect.poll(() => page.getByTestId('traces-table').locator('tbody tr').count()).toBe(1);
    await page.goto(`${server.url}/traces`);
    await page.getByRole('link', { name: 'support-agent' }).click();
    await page.waitForURL(new RegExp(`/traces/${agent}$`));
    await visit(page, page.url(), 'trace', '[data-testid=span-tree]');
    expect(await page.getByTestId('trace-summary').textContent()).toContain('error, 3 spans, 2.40 s; 1000 tokens in, 200 out; $0.000270');
    const rows = page.getByTestId('span-tree').locator('tbody tr');
    expect(await rows.evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-depth')}:${r.querySelector('button')?.textContent}`))).toEqual(['0:support-agent', '1:chat gpt-4o-mini', '1:refund-tool']);
    expect(await page.getByTestId('span-input').textContent()).toContain('write to [REDACTED:EMAIL]');
    await page.getByRole('button', { name: 'chat gpt-4o-mini' }).click();
    expect(await page.getByTestId('span-output').textContent()).toBe('Refund issued.');
    expect(await page.getByTestId('span-detail').textContent()).toContain('openai / gpt-4o-mini');
    await page.getByRole('button', { name: 'refund-tool' }).click();
    expect(await page.getByTestId('span-error').textContent()).toBe('refund service timed out');
  }, 180_000);
});
