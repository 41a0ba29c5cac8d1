import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';
import { seedTracking, type SeededTracking } from '../support/ui-seed.js';

/**
 * The runs table's count, grouped headers, grouping and saved views, and the chart workspace, over the seeded
 * experiment: 12 runs, lr 0.01 on even runs and 0.1 on odd ones, acc = 0.5 + i/100 at its last step, a loss
 * curve over 20 steps, optimizer adam when i % 4 < 2.
 */
// An accessibility check takes seconds on a busy two-core machine: a test gets two minutes.
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: runs table views and the chart workspace', { timeout: 120_000 }, () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let seeded: SeededTracking;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    seeded = await seedTracking(server.url);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    expect(pageErrors).toEqual([]);
  });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  /** Opens a view without an accessibility check (each test checks its main view once: axe takes seconds here). */
  const open = async (url: string, ready: string) => {
    await page.goto(url);
    await page.locator(ready).first().waitFor({ state: 'visible' });
  };
  const runsUrl = (query = '') => `${server.url}/experiments/${seeded.experimentId}${query}`;
  const count = () => page.getByTestId('run-count').textContent();

  it('counts every matching run from the first page, and puts params beside metrics under grouped headers', async () => {
    // Pages of 200 would hold all 12; the count must not depend on it, so ask through a filter too.
    await visit(page, runsUrl(), 'runs-grouped-headers', '[data-testid=run-count]:text("12 runs")');
    const groups = await page.locator('thead tr.header-groups th').allTextContents();
    expect(groups).toEqual(['Run', 'Attributes', 'Metrics', 'Parameters']);
    const columns = await page.locator('thead tr.header-columns th').allTextContents();
    expect(columns.slice(-4)).toEqual(['acc', 'loss', 'lr', 'optimizer']);
    await page.goto(runsUrl(`?filter=${encodeURIComponent("params.lr = '0.1'")}`));
    await expect.poll(count).toBe('6 runs');
  });

  it('groups runs by a param with mean, min and max rows, and folds a group', async () => {
    await open(runsUrl(), '[data-testid=run-count]:text("12 runs")');
    await page.getByLabel('Group by').selectOption('param:lr');
    expect(new URL(page.url()).searchParams.get('group')).toBe('param:lr');
    const groupRows = page.getByTestId('group-row');
    await expect.poll(() => groupRows.count()).toBe(2);
    // lr = 0.01: even runs 0..10, acc 0.50..0.60 → mean 0.55; lr = 0.1: odd runs, acc 0.51..0.61 → mean 0.56.
    const accOf = async (i: number) => (await groupRows.nth(i).locator('td').nth(3).textContent())?.trim();
    expect(await groupRows.nth(0).textContent()).toContain('lr = 0.01');
    expect(await groupRows.nth(0).textContent()).toContain('(6 runs)');
    expect(await accOf(0)).toBe('0.55');
    expect(await accOf(1)).toBe('0.56');
    await page.getByLabel('Group rows show').selectOption('max');
    expect(await accOf(0)).toBe('0.6');
    await page.getByLabel('Group rows show').selectOption('min');
    expect(await accOf(1)).toBe('0.51');
    await checkView(page, 'runs-grouped');
    await groupRows.nth(0).getByRole('button').click();
    expect(await groupRows.nth(0).getByRole('button').getAttribute('aria-expanded')).toBe('false');
    // 2 group rows and the 6 runs of the open group.
    await expect.poll(() => page.locator('tbody tr:not(.spacer)').count()).toBe(8);
  });

  it('saves a view on the server, opens it from the menu, and shares it by URL', async () => {
    await open(runsUrl(`?order=${encodeURIComponent('metrics.acc DESC')}&group=param%3Aoptimizer`), 'tr[data-testid=group-row]');
    await page.getByLabel('Save as').fill('by optimizer');
    await page.getByRole('button', { name: 'Save view' }).click();
    await expect.poll(() => page.getByLabel('View', { exact: true }).inputValue()).toBe('by optimizer');
    const saved = await jsonClient(server.url).get(`/api/v1/experiments/${seeded.experimentId}/views`);
    expect(saved.body.items).toEqual([expect.objectContaining({ name: 'by optimizer', query: 'order=metrics.acc+DESC&group=param%3Aoptimizer' })]);

    await page.goto(runsUrl());
    await page.getByLabel('View', { exact: true }).selectOption('by optimizer');
    await expect.poll(() => page.getByTestId('group-row').count()).toBe(2);
    expect(new URL(page.url()).searchParams.get('order')).toBe('metrics.acc DESC');

    await checkView(page, 'runs-saved-views');
    await page.getByRole('button', { name: 'Delete view' }).click();
    await expect.poll(async () => (await jsonClient(server.url).get(`/api/v1/experiments/${seeded.experimentId}/views`)).body.items).toEqual([]);
  });

  it('charts every metric of the visible runs, leaves hidden runs out, and adds and removes panels', async () => {
    const hidden = seeded.runIds.slice(0, 2).join(',');
    await open(`${runsUrl('/charts')}?hide=${hidden}`, '[data-testid=line-chart] canvas');
    expect(await page.getByTestId('chart-run-count').textContent()).toBe('10 runs charted, 2 hidden');
    const panels = page.getByTestId('panel');
    await expect.poll(() => panels.count()).toBe(2);
    expect(await panels.locator('h3').allTextContents()).toEqual(['acc', 'loss']);
    await expect.poll(() => page.locator('[data-testid=line-chart] canvas').count()).toBe(2);

    await page.getByLabel('Add', { exact: true }).selectOption('scatter');
    await page.getByLabel('X', { exact: true }).selectOption('param:lr');
    await page.getByLabel('Y', { exact: true }).selectOption('acc');
    await page.getByRole('button', { name: 'Add panel' }).click();
    await expect.poll(() => page.getByTestId('scatter').locator('circle').count()).toBe(10);
    await page.getByLabel('Add', { exact: true }).selectOption('parallel');
    await page.getByRole('button', { name: 'Add panel' }).click();
    await expect.poll(() => page.getByTestId('parallel-line').count()).toBe(10);
    await page.getByRole('button', { name: 'Remove panel loss' }).click();
    expect(new URL(page.url()).searchParams.getAll('panel')).toEqual(['line:acc', 'scatter:param%3Alr,metric%3Aacc', 'parallel:param%3Alr,param%3Aoptimizer,metric%3Aacc']);
    await checkView(page, 'chart-workspace-panels');

    // The panels go along to the runs table and back, and reload from the URL.
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await expect.poll(count).toBe('12 runs');
    await page.getByRole('link', { name: 'Charts', exact: true }).click();
    await expect.poll(() => panels.count()).toBe(3);
  });

  it('resizes columns by dragging or with the arrow keys, reorders them by dragging a header or from Columns, and keeps both in the URL', async () => {
    await open(runsUrl(), '[data-testid=run-count]:text("12 runs")');
    const header = (key: string) => page.locator('thead tr.header-columns th', { has: page.getByRole('button', { name: key, exact: true }) });
    const widthOf = async (key: string) => Math.round((await header(key).boundingBox())!.width);
    const headers = async () => (await page.locator('thead tr.header-columns th').allTextContents()).slice(-4);
    expect(await widthOf('acc')).toBe(130);

    // Keyboard: 16 px a press.
    await page.getByRole('separator', { name: 'Resize column acc' }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => widthOf('acc')).toBe(162);
    expect(new URL(page.url()).searchParams.get('widths')).toBe('162%3Ametric%3Aacc');

    // Pointer: the handle dragged 70 px to the right.
    // The table scrolls sideways beside the navigation: bring the handle into view first, as a user would.
    await page.getByRole('separator', { name: 'Resize column lr' }).scrollIntoViewIfNeeded();
    const handle = (await page.getByRole('separator', { name: 'Resize column lr' }).boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 35, handle.y + handle.height / 2, { steps: 3 });
    await page.mouse.move(handle.x + handle.width / 2 + 70, handle.y + handle.height / 2, { steps: 3 });
    await page.mouse.up();
    await expect.poll(() => widthOf('lr')).toBe(200);

    // Reorder: drag the loss header onto acc; move optimizer left from the Columns menu.
    await header('loss').dragTo(header('acc'));
    await expect.poll(headers).toEqual(['loss', 'acc', 'lr', 'optimizer']);
    await page.getByText('Columns (4)').click();
    await page.getByRole('button', { name: 'Move optimizer left' }).click();
    await expect.poll(headers).toEqual(['loss', 'acc', 'optimizer', 'lr']);
    expect(new URL(page.url()).searchParams.get('cols')).toBe('metric%3Aloss,metric%3Aacc,param%3Aoptimizer,param%3Alr');
    await checkView(page, 'runs-columns-resized');

    // The link shows the same table.
    await page.goto(page.url());
    await expect.poll(headers).toEqual(['loss', 'acc', 'optimizer', 'lr']);
    expect(await widthOf('acc')).toBe(162);
    expect(await widthOf('lr')).toBe(200);
  });

  it('brushes a scatter or parallel coordinates to narrow the charted runs, widens a panel, and has a legend', async () => {
    const q = new URLSearchParams();
    q.append('panel', 'line:acc');
    q.append('panel', 'scatter:param%3Alr,metric%3Aacc');
    q.append('panel', 'parallel:param%3Alr,metric%3Aacc');
    await open(`${runsUrl('/charts')}?${q}`, '[data-testid=line-chart] canvas');
    const legend = page.getByTestId('legend').locator('li');
    await expect.poll(() => legend.count()).toBe(12);
    // lr is 0.01 or 0.1, a factor of ten: a log axis, on the scatter and the parallel axis.
    expect(await page.getByTestId('scatter').getAttribute('aria-label')).toBe('Scatter of metrics.acc against params.lr, x on a log scale');
    expect(await page.getByTestId('parallel').getAttribute('aria-label')).toBe('Parallel coordinates over params.lr (log scale), metrics.acc');

    // A rectangle over the right half of the scatter (lr = 0.1 sits at the right end): the six odd runs.
    await page.getByTestId('scatter').scrollIntoViewIfNeeded();
    const box = (await page.getByTestId('scatter').boundingBox())!;
    const at = (x: number, y: number) => [box.x + (x * box.width) / 640, box.y + (y * box.height) / 360] as const;
    await page.mouse.move(...at(400, 4));
    await page.mouse.down();
    await page.mouse.move(...at(520, 200), { steps: 3 });
    await page.mouse.move(...at(636, 330), { steps: 3 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('brush-status').textContent()).toContain('Brushed: 6 of 12 runs');
    // Newest first, as the table lists them.
    await expect.poll(() => legend.allTextContents()).toEqual(['run-11', 'run-09', 'run-07', 'run-05', 'run-03', 'run-01']);
    await expect.poll(() => page.locator('[data-testid=scatter-point][data-brushed=true]').count()).toBe(6);
    // The line panel draws only the brushed runs (its legend: x and one row per run).
    await expect.poll(() => page.locator('[data-testid=line-chart] .u-legend .u-series').count()).toBe(7);
    await page.getByRole('button', { name: 'Clear brush' }).click();
    await expect.poll(() => legend.count()).toBe(12);

    // Along the lr axis of the parallel coordinates, the top fifth: lr = 0.1 again.
    await page.getByTestId('brush-zone').first().scrollIntoViewIfNeeded();
    const zone = (await page.getByTestId('brush-zone').first().boundingBox())!;
    await page.mouse.move(zone.x + zone.width / 2, zone.y + 2);
    await page.mouse.down();
    await page.mouse.move(zone.x + zone.width / 2, zone.y + zone.height * 0.1, { steps: 2 });
    await page.mouse.move(zone.x + zone.width / 2, zone.y + zone.height * 0.2, { steps: 2 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('brush-status').textContent()).toContain('Brushed: 6 of 12 runs');
    await expect.poll(() => page.locator('[data-testid=parallel-line][data-brushed=true]').count()).toBe(6);

    await page.getByRole('button', { name: 'Full width: acc', exact: true }).click();
    // The view's URL and the button follow the click once React has rendered it.
    await expect.poll(() => new URL(page.url()).searchParams.getAll('wide')).toEqual(['line:acc']);
    await expect.poll(() => page.getByRole('button', { name: 'Full width: acc', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await checkView(page, 'chart-workspace-brushed');
  });

  it('draws grouped runs as a mean line per group with a band', async () => {
    await visit(page, `${runsUrl('/charts')}?group=param%3Alr&panel=line%3Aacc`, 'chart-workspace-grouped', '[data-testid=line-chart] canvas');
    // Legend rows: x, and per group its mean (shown) and max/min (the band).
    const legend = await page.locator('.u-legend .u-series .u-label').allTextContents();
    expect(legend.filter((l) => l.includes('mean of'))).toEqual(['lr = 0.01 (mean of 6)', 'lr = 0.1 (mean of 6)']);
  });
});
