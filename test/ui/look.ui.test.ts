import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';
import { seedRegistry, seedTracking, type SeededRegistry, type SeededTracking } from '../support/ui-seed.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const THEMES = ['light', 'dark'] as const;

/**
 * The shell every page shares (sidebar, breadcrumbs, shortcuts, toasts, skeletons), the home page, empty states and
 * the lineage graph; each key page is saved as a screenshot in both themes under test-output/screenshots/.
 */
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: look and feel, home page, lineage graph', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tracking: SeededTracking;
  let registry: SeededRegistry;
  let evaluationId: string;

  const setTheme = async (theme: (typeof THEMES)[number]) => {
    await page.evaluate(`localStorage.setItem('openexpert.theme', '${theme}')`);
  };

  beforeAll(async () => {
    server = await startTestServer();
    tracking = await seedTracking(server.url);
    registry = await seedRegistry(server.url, tracking);
    const api = jsonClient(`${server.url}/api/v1`);
    // A dataset, a version derived from it, and an evaluation of the derived one: two hops of lineage each way.
    expect((await api.post('/datasets', { name: 'raw', files: [{ path: 'raw.csv', content: b64('y,p\n0,0.2\n1,0.7\n0,0.6\n1,0.9\n') }] })).status).toBe(201);
    const derived = await api.post('/datasets', { name: 'clean', derivedFrom: ['raw@1'], files: [{ path: 'clean.csv', content: b64('y,p\n0,0.2\n1,0.7\n0,0.4\n1,0.9\n') }] });
    expect(derived.status).toBe(201);
    const evaluation = await api.post('/evaluations', { name: 'holdout', task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 }, data: { dataset: 'clean@1' } });
    expect(evaluation.status).toBe(201);
    evaluationId = evaluation.body.id;
    expect((await api.post('/projects', { name: 'empty' })).status).toBe(201);
    ({ browser, context, page } = await openPage());
    await page.goto(`${server.url}/`);
    // bob reviews what alice asked for.
    await page.evaluate("localStorage.setItem('openexpert.user', 'bob')");
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  }, 120_000);

  it('home shows recent runs newest first, the request waiting for bob, and says how to fill the empty panels', async () => {
    for (const theme of THEMES) {
      await setTheme(theme);
      await visit(page, `${server.url}/`, `home-${theme}`, '[data-testid=home-runs] ul.feed');
      expect(await page.evaluate<string>('document.documentElement.dataset.theme')).toBe(theme);
    }
    // seedTracking starts run-NN at t0 + NN minutes: the 8 newest are run-11 down to run-04.
    const runs = await page.getByTestId('home-runs').locator('ul.feed li a').allTextContents();
    expect(runs).toEqual(['run-11', 'run-10', 'run-09', 'run-08', 'run-07', 'run-06', 'run-05', 'run-04']);
    expect(await page.getByTestId('home-runs').locator('ul.feed li').first().textContent()).toContain('failed');
    const waiting = page.getByTestId('home-promotions');
    expect(await waiting.locator('ul.feed li').count()).toBe(1);
    expect(await waiting.locator('ul.feed li').textContent()).toContain(`${registry.model} v1`);
    expect(await waiting.locator('ul.feed li').textContent()).toContain('by alice');
    expect(await page.getByTestId('home-alerts').getByTestId('empty-state').textContent()).toContain('openexpert monitor create');
    expect(await page.getByTestId('home-deployments').getByTestId('empty-state').textContent()).toContain('openexpert deploy');
    // alice asked, so nothing waits for her.
    await page.getByLabel('Acting as').fill('alice');
    await expect.poll(() => page.getByTestId('home-promotions').getByTestId('empty-state').count()).toBe(1);
    await page.getByLabel('Acting as').fill('bob');
  }, 120_000);

  it('breadcrumbs lead back up from every depth, ending with the page title', async () => {
    await visit(page, `${server.url}/models/${registry.model}/versions/1`, 'version-breadcrumbs', 'h1');
    const trail = page.getByTestId('breadcrumbs');
    await expect.poll(() => trail.locator('[aria-current=page]').textContent()).toBe(`${registry.model} v1`);
    expect(await trail.getByRole('link').allTextContents()).toEqual(['Home', 'Models', registry.model, 'Versions']);
    await trail.getByRole('link', { name: 'Models' }).click();
    await page.waitForURL(/\/models$/);
    await expect.poll(() => trail.locator('[aria-current=page]').textContent()).toBe('Models');
  }, 120_000);

  it('breadcrumbs name what the path holds as ids: the experiment of a chart workspace, the experiment and run of a run page', async () => {
    const trail = page.getByTestId('breadcrumbs');
    const links = async () => trail.getByRole('link').allTextContents();
    await visit(page, `${server.url}/experiments/${tracking.experimentId}/charts`, 'charts-breadcrumbs', '[data-testid=panel]');
    await expect.poll(() => trail.locator('[aria-current=page]').textContent()).toBe('churn · charts');
    expect(await links()).toEqual(['Home', 'Experiments', 'churn']);
    expect(await trail.getByRole('link', { name: 'churn' }).getAttribute('href')).toBe(`/experiments/${tracking.experimentId}`);

    await visit(page, `${server.url}/runs/${tracking.richRunId}/metrics`, 'run-breadcrumbs', 'h1');
    await expect.poll(() => trail.locator('[aria-current=page]').textContent()).toBe('Metrics · run-00');
    // Neither the 32-digit run id nor the path's "runs" part: the experiment the run belongs to, by name.
    await expect.poll(links).toEqual(['Home', 'Experiments', 'churn', 'run-00']);
    await trail.getByRole('link', { name: 'churn' }).click();
    await page.waitForURL(new RegExp(`/experiments/${tracking.experimentId}$`));
    await expect.poll(() => trail.locator('[aria-current=page]').textContent()).toBe('churn · runs');

    await page.goto(`${server.url}/runs/${tracking.richRunId}`);
    await expect.poll(() => trail.locator('[aria-current=page]').textContent()).toBe('Run run-00');
    await expect.poll(links).toEqual(['Home', 'Experiments', 'churn']);
  }, 180_000);

  it('keyboard: / focuses the filter, j/k move through rows, x ticks, c compares, ? lists the shortcuts', async () => {
    await visit(page, `${server.url}/experiments`, 'experiments', 'text=churn');
    await page.keyboard.press('/');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('experiment-name');
    await page.keyboard.press('Escape');
    await page.locator('h1').click();

    await page.goto(`${server.url}/experiments/${tracking.experimentId}`);
    await page.getByRole('link', { name: 'run-00' }).first().waitFor();
    await page.locator('h1').click();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const selectedName = async () => page.locator('tr.kbd-selected').getByRole('link').first().textContent();
    const first = await selectedName();
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    const second = await selectedName();
    expect(second).not.toBe(first);
    await page.keyboard.press('x');
    await expect.poll(() => page.getByRole('button', { name: /^Compare selected/ }).textContent()).toContain('(2)');
    await page.keyboard.press('c');
    await page.waitForURL(/\/compare\?runs=/);
    expect(new URL(page.url()).searchParams.get('runs')!.split(',')).toHaveLength(2);

    await page.locator('h1').first().click();
    await page.keyboard.press('?');
    const dialog = page.getByTestId('shortcuts');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.textContent()).toContain('Compare the ticked runs');
    await checkView(page, 'shortcuts');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // g then h goes home.
    await page.keyboard.press('g');
    await page.keyboard.press('h');
    await page.waitForURL(`${server.url}/`);
  }, 120_000);

  it('an approval says so in a toast', async () => {
    await visit(page, `${server.url}/promotions`, 'promotions', '[data-testid=promotion-request]');
    const card = page.getByTestId('promotion-request').filter({ hasText: `Request #${registry.requestId}` });
    await card.getByRole('button', { name: 'Approve as bob' }).click();
    await expect.poll(() => page.getByTestId('toasts').textContent()).toContain(`Request #${registry.requestId} (${registry.model} v1 → Production) is completed.`);
    await checkView(page, 'promotions-toast');
  }, 120_000);

  it('every list page of an empty project names the command that fills it', async () => {
    await page.evaluate("localStorage.setItem('openexpert.project', 'empty')");
    const pages: [string, string][] = [
      ['experiments', 'openexpert experiments create'],
      ['models', 'mlflow.register_model'],
      ['datasets', 'openexpert data add'],
      ['monitoring', 'openexpert monitor create'],
    ];
    for (const [path, command] of pages) {
      for (const theme of THEMES) {
        await setTheme(theme);
        await visit(page, `${server.url}/${path}`, `empty-${path}-${theme}`, '[data-testid=empty-state]');
      }
      expect(await page.getByTestId('empty-state').textContent(), path).toContain(command);
    }
    await page.evaluate("localStorage.removeItem('openexpert.project')");
    await setTheme('light');
  }, 120_000);

  it('draws lineage as a graph: upstream left, downstream right, zoom, and a click opens the node', async () => {
    const version = await jsonClient(`${server.url}/api/v1`).get('/datasets/clean/versions/1');
    for (const theme of THEMES) {
      await setTheme(theme);
      await visit(page, `${server.url}/datasets/clean/versions/1`, `lineage-graph-${theme}`, '[data-testid=lineage-graph] [data-node]');
    }
    const graph = page.getByTestId('lineage-graph');
    const xOf = async (key: string) => Number(/translate\(([-\d.]+)/.exec((await graph.locator(`[data-node="${key}"] g, g[data-node="${key}"]`).first().getAttribute('transform'))!)![1]);
    const raw = await jsonClient(`${server.url}/api/v1`).get('/datasets/raw/versions/1');
    const root = await xOf(`dataset_version:${version.body.id}`);
    expect(await xOf(`dataset_version:${raw.body.id}`)).toBeLessThan(root);
    expect(await xOf(`evaluation:${evaluationId}`)).toBeGreaterThan(root);
    await graph.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(() => graph.locator('svg[data-scale]').getAttribute('data-scale')).toBe('1.250');
    await graph.getByRole('button', { name: 'Fit the graph' }).click();
    await expect.poll(() => graph.locator('svg[data-scale]').getAttribute('data-scale')).toBe('1.000');
    await graph.getByRole('link', { name: new RegExp(evaluationId) }).click();
    await page.waitForURL(new RegExp(`/evaluations/${evaluationId}$`));
    await setTheme('light');
  });
});
