import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, screenshot } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';
import { seedTracking, type SeededTracking } from '../support/ui-seed.js';

// An accessibility check takes seconds on a busy two-core machine: a test gets two minutes (the compare test makes four).
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: experiments, runs, run page, compare', { timeout: 120_000 }, () => {
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
  });
  beforeEach(async () => {
    await context?.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  afterAll(() => {
    expect(pageErrors).toEqual([]);
  });

  const count = () => page.getByTestId('run-count').textContent();

  it('lists experiments and opens one into its runs table', async () => {
    await visit(page, `${server.url}/experiments`, 'experiments', 'text=churn');
    await page.getByRole('link', { name: 'churn' }).click();
    await page.waitForURL(`**/experiments/${seeded.experimentId}`);
    await expect.poll(count).toBe('12 runs');
    await checkView(page, 'runs-table');
    // Latest acc of run-11 is 0.5 + 11/100, shown in the default metric columns.
    await expect.poll(() => page.getByRole('row', { name: /run-11/ }).textContent()).toContain('0.61');
  });

  it('filters with the search grammar, shows syntax errors inline and keeps the filter in history', async () => {
    await visit(page, `${server.url}/experiments/${seeded.experimentId}`, 'runs-before-filter', '[data-testid=run-count]:text("12 runs")');
    const box = page.getByLabel('Filter runs');
    await box.fill('metrics.acc >> 1');
    const error = page.getByRole('alert');
    await expect.poll(() => error.textContent()).toContain("Expected a value (a number or a quoted string) at position 13, found '>'");
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('button', { name: 'Apply' }).isDisabled()).toBe(true);
    await screenshot(page, 'runs-filter-error');

    // acc = 0.5 + i/100: runs 10 and 11 are above 0.595.
    await box.fill('metrics.acc > 0.595');
    await box.press('Enter');
    await expect.poll(count).toBe('2 runs');
    expect(new URL(page.url()).searchParams.get('filter')).toBe('metrics.acc > 0.595');
    await box.fill("params.optimizer = 'sgd' and attributes.status = 'FINISHED'");
    await box.press('Enter');
    // sgd on runs with i % 4 ∈ {2, 3}: 2, 3, 6, 7, 10, 11; run-11 FAILED.
    await expect.poll(count).toBe('5 runs');
    await page.goBack();
    await expect.poll(count).toBe('2 runs');
    await page.goBack();
    await expect.poll(count).toBe('12 runs');
    await page.goForward();
    await expect.poll(count).toBe('2 runs');
    expect(await box.inputValue()).toBe('metrics.acc > 0.595');
  });

  it('shows the server’s message for a filter it rejects, opened from a link', async () => {
    await page.goto(`${server.url}/experiments/${seeded.experimentId}?filter=${encodeURIComponent("metrics.acc LIKE '%1'")}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain("Invalid comparator 'LIKE' for metric 'acc'");
  });

  it('sorts by a metric column and adds a tag column from the chooser', async () => {
    await visit(page, `${server.url}/experiments/${seeded.experimentId}`, 'runs-sort', '[data-testid=run-count]:text("12 runs")');
    await page.getByRole('button', { name: /^acc/ }).click();
    await expect.poll(() => page.locator('tbody tr').nth(0).textContent()).toContain('run-11');
    await page.getByRole('button', { name: /^acc/ }).click();
    await expect.poll(() => page.locator('tbody tr').nth(0).textContent()).toContain('run-00');
    expect(new URL(page.url()).searchParams.get('order')).toBe('metrics.acc ASC');

    await page.getByText(/^Columns/).click();
    // The columns are in the URL: the box shows as checked once the navigation commits.
    await page.getByRole('group', { name: 'Tags' }).getByLabel('team').click();
    // A data column's header is named by its key and its resize handle ("team Resize column team").
    await expect.poll(() => page.getByRole('columnheader', { name: /^team\b/ }).count()).toBe(1);
    await checkView(page, 'runs-columns');
  });

  it('renders only the rows in view and loads further pages as the table scrolls', async () => {
    const api = jsonClient(server.url);
    const exp = await api.post('/api/v1/experiments', { name: 'many' });
    for (let i = 0; i < 450; i++) {
      const run = await api.post('/api/v1/runs', { experimentId: exp.body.experimentId, runName: `r${i}`, startTime: 1_700_000_000_000 + i });
      expect(run.status).toBe(201);
    }
    // The count is the server's, from the first page on; the rows load 200 at a time.
    await visit(page, `${server.url}/experiments/${exp.body.experimentId}`, 'runs-many', '[data-testid=run-count]:text("450 runs")');
    const loaded = page.getByTestId('loaded-count');
    expect(await loaded.textContent()).toBe('200 loaded, more as you scroll');
    expect(await page.locator('tbody tr:not(.spacer)').count()).toBeLessThan(80);
    for (let i = 0; i < 10 && (await loaded.count()) > 0; i++) {
      await page.getByRole('region', { name: /Runs table/ }).evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.waitForTimeout(150);
    }
    expect(await loaded.count()).toBe(0);
    expect(await count()).toBe('450 runs');
    await page.getByRole('region', { name: /Runs table/ }).evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect.poll(() => page.locator('tbody tr:not(.spacer)').last().textContent()).toContain('r0');
  });

  it('shows a run: overview, params, metric charts, tags, inputs and models', async () => {
    const run = `${server.url}/runs/${seeded.richRunId}`;
    await visit(page, run, 'run-overview', 'h1:has-text("run-00")');
    const facts = await page.locator('dl.facts').textContent();
    expect(facts).toContain('train.py (LOCAL)');
    expect(facts).toContain('3f2c1a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39');
    expect(facts).toContain('1 min 35 s');

    await page.getByRole('link', { name: 'Parameters' }).click();
    await expect.poll(() => page.getByRole('row', { name: /optimizer/ }).textContent()).toContain('adam');

    await page.getByRole('link', { name: 'Metrics' }).click();
    await page.waitForURL(`${run}/metrics`);
    await expect.poll(() => page.locator('figure[role=img] canvas').count()).toBe(2);
    await expect.poll(() => page.getByTestId('point-count').allTextContents()).toEqual(['(20 points)', '(20 points)']);
    // The settings live in the URL; the checkbox shows the new state once the navigation commits.
    await page.getByLabel('Log scale').click();
    await expect.poll(() => page.getByLabel('Log scale').isChecked()).toBe(true);
    await page.getByLabel('Smoothing').fill('0.6');
    await expect.poll(() => new URL(page.url()).searchParams.get('smooth')).toBe('0.6');
    expect(new URL(page.url()).searchParams.get('log')).toBe('1');
    await expect.poll(() => page.locator('figure[role=img] canvas').count()).toBe(2);
    await checkView(page, 'run-metrics');

    await page.getByRole('link', { name: 'Inputs' }).click();
    await expect.poll(() => page.getByRole('row', { name: /churn-train/ }).textContent()).toContain('a1b2c3d4');
    expect(await page.getByRole('row', { name: /churn-train/ }).textContent()).toContain('training');
    await checkView(page, 'run-inputs');

    await page.getByRole('link', { name: 'Tags' }).click();
    await expect.poll(() => page.getByRole('row', { name: /mlflow.source.name/ }).textContent()).toContain('train.py');

    await page.getByRole('navigation', { name: 'Run views' }).getByRole('link', { name: 'Models' }).click();
    await expect.poll(() => page.getByText('This run logged no models.').count()).toBe(1);
  });

  it('opens the run and experiment links the MLflow client prints, and draws a metric logged once as a point with its value', async () => {
    const api = jsonClient(server.url);
    // Its own experiment: the other tests count the seeded experiment's runs.
    const experimentId = (await api.post('/api/2.0/mlflow/experiments/create', { name: 'links' })).body.experiment_id as string;
    const runId = (await api.post('/api/2.0/mlflow/runs/create', { experiment_id: experimentId, run_name: 'one-shot' })).body.run.info.run_id as string;
    await api.post('/api/2.0/mlflow/runs/log-metric', { run_id: runId, key: 'final_auc', value: 0.875, timestamp: 1_700_000_000_000, step: 3 });

    // `mlflow.start_run()` prints http://host/#/experiments/<id>/runs/<run id>; the page of that run opens.
    await visit(page, `${server.url}/#/experiments/${experimentId}/runs/${runId}`, 'mlflow-run-link', 'h1:has-text("one-shot")');
    expect(new URL(page.url()).pathname).toBe(`/runs/${runId}`);
    await visit(page, `${server.url}/#/experiments/${experimentId}`, 'mlflow-experiment-link', '[data-testid=run-count]:text("1 run")');
    expect(new URL(page.url()).pathname).toBe(`/experiments/${experimentId}`);

    await visit(page, `${server.url}/runs/${runId}/metrics`, 'run-single-point', 'figure[role=img] canvas');
    await expect.poll(() => page.getByTestId('single-points').textContent()).toBe('final_auc: 0.875 at step 3 (one point logged)');
  });

  it('browses and previews artifacts: JSON, CSV as a table, text, images, with downloads', async () => {
    await visit(page, `${server.url}/runs/${seeded.richRunId}/artifacts`, 'run-artifacts', 'text=metrics.json');
    await page.getByRole('link', { name: /metrics\.json/ }).click();
    await expect.poll(() => page.getByTestId('text-preview').textContent()).toBe('{\n  "accuracy": 0.5,\n  "f1": 0.42\n}');
    const href = await page.getByRole('link', { name: 'Download' }).getAttribute('href');
    const download = await fetch(server.url + href!);
    expect(await download.json()).toEqual({ accuracy: 0.5, f1: 0.42 });

    await page.getByRole('link', { name: /^data\// }).click();
    await page.getByRole('link', { name: /sample\.csv/ }).click();
    await expect.poll(() => page.getByTestId('csv-preview').locator('td').allTextContents()).toEqual(['34', 'pro, annual', 'no', '51', 'basic', 'yes']);
    await checkView(page, 'run-artifacts-csv');

    await page.getByRole('link', { name: '.. (up)' }).click();
    await page.getByRole('link', { name: /^plots\// }).click();
    await page.getByRole('link', { name: /confusion\.png/ }).click();
    const img = page.getByRole('img', { name: 'Artifact confusion.png' });
    await expect.poll(() => img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBe(1);
    await page.goBack();
    await expect.poll(() => page.getByRole('link', { name: /confusion\.png/ }).count()).toBe(1);
    expect(await page.getByRole('img', { name: 'Artifact confusion.png' }).count()).toBe(0);
  });

  it('compares runs: overlaid curves, a diff table, scatter and parallel coordinates', async () => {
    await visit(page, `${server.url}/experiments/${seeded.experimentId}`, 'runs-select', '[data-testid=run-count]:text("12 runs")');
    for (const name of ['run-00', 'run-01', 'run-02']) await page.getByLabel(`Select run ${name}`).check();
    await page.getByRole('button', { name: 'Compare selected (3)' }).click();
    await page.waitForURL('**/compare?runs=*');
    await expect.poll(() => page.locator('figure[role=img] canvas').count()).toBe(2);
    // One legend entry per run in each overlay chart.
    await expect.poll(() => page.locator('.u-legend .u-series').count()).toBe(2 * 4);
    await checkView(page, 'compare-curves');

    await page.getByRole('link', { name: 'Differences' }).click();
    const table = page.getByTestId('diff-table');
    await expect.poll(() => table.locator('tr[data-differs]').count()).toBeGreaterThan(0);
    expect(await table.getByRole('row', { name: /^lr/ }).getAttribute('data-differs')).toBe('true');
    expect(await table.getByRole('row', { name: /^optimizer/ }).getAttribute('data-differs')).toBe('true');
    await page.getByLabel('Only rows that differ').check();
    expect(await table.getByRole('rowheader').allTextContents()).not.toContain('team');
    await checkView(page, 'compare-diff');

    await page.getByRole('link', { name: 'Scatter' }).click();
    await expect.poll(() => page.getByTestId('scatter').locator('circle').count()).toBe(3);
    await checkView(page, 'compare-scatter');

    await page.getByRole('link', { name: 'Parallel coordinates' }).click();
    await expect.poll(() => page.getByTestId('parallel').locator('path').count()).toBe(3);
    await checkView(page, 'compare-parallel');
  });

  it('says “not found” for unknown ids and addresses, and reads errors out', async () => {
    await visit(page, `${server.url}/runs/does-not-exist`, 'run-not-found', 'h1');
    expect(await page.locator('h1').textContent()).toBe('Run not found');
    expect(await page.getByRole('alert').textContent()).toContain("does-not-exist");
    await visit(page, `${server.url}/experiments/999999`, 'experiment-not-found', 'h1');
    expect(await page.locator('h1').textContent()).toBe('Experiment not found');
    await visit(page, `${server.url}/no/such/page`, 'page-not-found', 'h1');
    expect(await page.locator('h1').textContent()).toBe('Page not found');
    // API paths and missing bundles are never answered with the app.
    expect((await fetch(`${server.url}/api/v1/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`)).headers.get('content-type')).toContain('text/plain');
  });

  it('switches to the dark theme and keeps it across reloads', async () => {
    await visit(page, `${server.url}/experiments`, 'experiments-light', 'text=churn');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.evaluate<string>('document.documentElement.dataset.theme')).toBe('dark');
    await page.reload();
    await page.getByText('churn').first().waitFor();
    expect(await page.evaluate<string>('document.documentElement.dataset.theme')).toBe('dark');
    expect(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).toBe('true');
    await checkView(page, 'experiments-dark');
    await visit(page, `${server.url}/runs/${seeded.richRunId}/metrics`, 'run-metrics-dark', 'figure[role=img] canvas');
  });
});
