import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const PREDICTIONS = 'y,p,segment\n0,0.1,a\n0,0.4,b\n1,0.35,a\n1,0.8,b\n';

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: datasets and evaluations', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let evaluationId: string;

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    expect((await api.post('/datasets', { name: 'eval-set', files: [{ path: 'preds.csv', content: b64(PREDICTIONS) }] })).status).toBe(201);
    const suite = { name: 'eval-set', expectations: [{ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'p' } }] };
    expect((await api.post('/datasets/eval-set/versions/1/validations', { suite })).status).toBe(201);
    const evaluation = await api.post('/evaluations', { name: 'holdout', task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 }, data: { dataset: 'eval-set@1' } });
    expect(evaluation.status).toBe(201);
    expect(evaluation.body.result.metrics.roc_auc.value).toBe(0.75);
    evaluationId = evaluation.body.id;
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists datasets and shows versions, the profile, validations and lineage', async () => {
    await visit(page, `${server.url}/datasets`, 'datasets', 'text=eval-set');
    await page.getByRole('link', { name: 'eval-set', exact: true }).click();
    const versions = page.getByTestId('versions-table');
    await expect.poll(() => versions.locator('tbody tr').count()).toBe(1);
    expect(await versions.locator('tbody tr').first().textContent()).toContain('v1');
    await page.getByRole('link', { name: 'Version 1' }).click();
    await page.waitForURL(/\/datasets\/eval-set\/versions\/1$/);
    await visit(page, page.url(), 'dataset-version', '[data-testid=profile-table]');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('eval-set v1');
    expect(await page.getByTestId('profile-table').getByRole('rowheader').allTextContents()).toEqual(['y', 'p', 'segment']);
    expect(await page.getByTestId('validation').textContent()).toContain('passed');
    const lineage = page.getByTestId('lineage-table');
    await expect.poll(() => lineage.getByRole('link', { name: evaluationId }).count()).toBe(1);
    await visit(page, `${server.url}/datasets/no-such-dataset`, 'dataset-not-found', 'text=Dataset not found');
  });

  it('lists evaluations and shows metrics with a link to the report', async () => {
    await visit(page, `${server.url}/evaluations`, 'evaluations', 'text=holdout');
    expect(await page.getByTestId('evaluations-table').textContent()).toContain('roc_auc 0.75');
    await page.getByRole('link', { name: 'holdout' }).click();
    const metrics = page.getByTestId('metrics-table');
    await metrics.waitFor({ state: 'visible' });
    expect(await metrics.getByRole('row', { name: /^roc_auc/ }).textContent()).toContain('0.75');
    await visit(page, page.url(), 'evaluation', '[data-testid=metrics-table]');
    const report = await page.getByRole('link', { name: 'HTML report' }).getAttribute('href');
    const html = await fetch(server.url + report!);
    expect(html.headers.get('content-type')).toContain('text/html');
    await visit(page, `${server.url}/evaluations/${'0'.repeat(32)}`, 'evaluation-not-found', 'text=Evaluation not found');
  });
});
