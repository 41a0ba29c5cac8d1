import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage, SCREENSHOTS } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { seedRegistry, seedTracking, type SeededRegistry, type SeededTracking } from '../support/ui-seed.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const THEMES = ['light', 'dark'] as const;
/** The size of the guide's pictures: a laptop screen. */
const VIEWPORT = { width: 1280, height: 800 } as const;
const GUIDE = path.join(SCREENSHOTS, 'guide');
const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => ({ age: 20 + (i % 50) + shift, plan: i % 3 === 0 ? 'pro' : 'basic' }));

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/**
 * The key pages as docs/web-ui.md shows them, in both themes, from a seeded server: one screen (1280 × 800) each,
 * saved under test-output/screenshots/guide/ for a person to review before they replace docs/images/.
 */
describe.skipIf(!fs.existsSync(CHROMIUM))("web UI: the guide's screenshots", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tracking: SeededTracking;
  let registry: SeededRegistry;

  beforeAll(async () => {
    server = await startTestServer();
    tracking = await seedTracking(server.url);
    registry = await seedRegistry(server.url, tracking);
    const api = jsonClient(`${server.url}/api/v1`);
    expect((await api.post('/datasets', { name: 'raw', files: [{ path: 'raw.csv', content: b64('y,p\n0,0.2\n1,0.7\n0,0.6\n1,0.9\n') }] })).status).toBe(201);
    expect((await api.post('/datasets', { name: 'clean', derivedFrom: ['raw@1'], files: [{ path: 'clean.csv', content: b64('y,p\n0,0.2\n1,0.7\n0,0.4\n1,0.9\n') }] })).status).toBe(201);
    expect((await api.post('/evaluations', { name: 'holdout', task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 }, data: { dataset: 'clean@1' } })).status).toBe(201);
    expect((await api.post('/monitors', { name: 'churn-prod', modelName: registry.model, window: 'batch', reference: { rows: rows(400, 0) } })).status).toBe(201);
    expect((await api.post('/monitors/churn-prod/alert-rules', { name: 'age-drift', figure: 'drifted:age', op: '>=', threshold: 1 })).status).toBe(201);
    // Six daily batches, the ages drifting older from the third on.
    for (const [day, shift] of [0, 0, 2, 5, 12, 30].entries()) {
      expect((await api.post('/monitors/churn-prod/ingest', { rows: rows(300, shift), timestamp: Date.UTC(2026, 10, 1 + day, 12) })).status).toBe(200);
    }
    ({ browser, context, page } = await openPage());
    await page.setViewportSize(VIEWPORT);
    page.setDefaultTimeout(60_000);
    await page.goto(`${server.url}/`);
    await page.evaluate("localStorage.setItem('openexpert.user', 'bob')");
  }, 180_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  }, 120_000);

  /** Each page: its path and what a reader waits to see before the picture is taken. */
  const pages = () => [
    { name: 'home', path: '/', ready: '[data-testid=home-runs] ul.feed' },
    { name: 'runs-table', path: `/experiments/${tracking.experimentId}`, ready: '[data-testid=run-count]' },
    { name: 'chart-workspace', path: `/experiments/${tracking.experimentId}/charts`, ready: '[data-testid=panel] canvas' },
    { name: 'run-page', path: `/runs/${tracking.richRunId}/metrics`, ready: 'figure[role=img] canvas' },
    { name: 'model-registry', path: `/models/${registry.model}`, ready: 'h1' },
    // The charts, not the facts above them.
    { name: 'monitoring', path: '/monitoring/churn-prod', ready: '[data-testid=feature-histogram]', scrollTo: 'h2:has-text("Drift over time")' },
    { name: 'lineage-graph', path: '/datasets/clean/versions/1', ready: '[data-testid=lineage-graph] [data-node]', scrollTo: '#lineage-title' },
  ];

  it('saves one screen of each key page in light and dark', async () => {
    fs.mkdirSync(GUIDE, { recursive: true });
    for (const theme of THEMES) {
      await page.evaluate(`localStorage.setItem('openexpert.theme', '${theme}')`);
      for (const p of pages()) {
        await page.goto(server.url + p.path);
        await page.locator(p.ready).first().waitFor({ state: 'visible' });
        if (p.scrollTo) await page.locator(p.scrollTo).first().evaluate((el: { style: { scrollMarginTop: string }; scrollIntoView(o: object): void }) => {
          // Clear of the sticky header.
          el.style.scrollMarginTop = '64px';
          el.scrollIntoView({ block: 'start' });
        });
        // Charts draw in the next animation frame.
        await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
        expect(await page.evaluate<string>('document.documentElement.dataset.theme')).toBe(theme);
        const file = path.join(GUIDE, `${p.name}-${theme}.png`);
        await page.screenshot({ path: file });
        expect(pngSize(file)).toEqual(VIEWPORT);
      }
    }
  }, 600_000);
});
