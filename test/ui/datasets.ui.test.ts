import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, visit } from '../support/ui-page.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const PREDICTIONS = 'y,p,segment\n0,0.1,a\n0,0.4,b\n1,0.35,a\n1,0.8,b\n';
// A table in two files; the second has a column the first lacks. Five rows in all: above the server's exact-profile
// limit of four set below, so the whole table's profile is estimated while each part's is exact.
const PART_0 = 'id,score\n1,0.5\n2,1.5\n';
const PART_1 = 'id,score,note\n3,2.5,x\n4,3.5,y\n5,4.5,z\n';

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: datasets and evaluations', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let evaluationId: string;

  beforeAll(async () => {
    server = await startTestServer({}, { OPENEXPERT_EXACT_PROFILE_ROWS: '4' });
    const api = jsonClient(`${server.url}/api/v1`);
    expect((await api.post('/datasets', { name: 'eval-set', files: [{ path: 'preds.csv', content: b64(PREDICTIONS) }] })).status).toBe(201);
    const suite = { name: 'eval-set', expectations: [{ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'p' } }] };
    expect((await api.post('/datasets/eval-set/versions/1/validations', { suite })).status).toBe(201);
    const evaluation = await api.post('/evaluations', { name: 'holdout', task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 }, data: { dataset: 'eval-set@1' } });
    expect(evaluation.status).toBe(201);
    expect(evaluation.body.result.metrics.roc_auc.value).toBe(0.75);
    evaluationId = evaluation.body.id;
    const parted = await api.post('/datasets', { name: 'parted', files: [{ path: 'part-0.csv', content: b64(PART_0) }, { path: 'part-1.csv', content: b64(PART_1) }] });
    expect(parted.status).toBe(201);
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
    // The lineage graph links the evaluation made from this version to its page.
    const lineage = page.getByTestId('lineage-graph');
    await expect.poll(() => lineage.getByRole('link', { name: `evaluation ${evaluationId}` }).count()).toBe(1);
    await visit(page, `${server.url}/datasets/no-such-dataset`, 'dataset-not-found', 'text=Dataset not found');
  });

  it('shows each part of a partitioned dataset, how their schemas differ, and marks estimated figures', async () => {
    await visit(page, `${server.url}/datasets/parted/versions/1`, 'dataset-version-parts', '[data-testid=parts-table]');
    const parts = page.getByTestId('parts-table');
    expect(await parts.getByRole('rowheader').allTextContents()).toEqual(['part-0.csv', 'part-1.csv']);
    expect(await parts.getByRole('row', { name: /part-0\.csv/ }).getByRole('cell').allTextContents()).toEqual(['2', 'id, score']);
    expect(await parts.getByRole('row', { name: /part-1\.csv/ }).getByRole('cell').allTextContents()).toEqual(['3', 'id, score, note']);
    // note is in part-1.csv only.
    const differences = page.getByTestId('schema-differences');
    expect(await differences.getByRole('rowheader').allTextContents()).toEqual(['note']);
    expect(await differences.getByRole('row', { name: /^note/ }).getByRole('cell').allTextContents()).toEqual(['part-0.csv', 'VARCHAR in part-1.csv']);
    // The whole (5 rows) is above the limit of 4: its distinct counts and quartiles are marked as estimates, with the
    // bounds of a 64-register HyperLogLog (1.04/√64 = 13 % relative standard error).
    const whole = page.getByTestId('profile-table');
    expect(await whole.getByRole('row', { name: /^score/ }).textContent()).toContain('≈');
    expect(await page.getByTestId('profile-table-note').textContent()).toContain('±13%');
    // Each part (2 and 3 rows) is exact: no marks, and part-0's quartiles are pandas' linear ones of [0.5, 1.5].
    await page.getByText('Profile of part-0.csv').click();
    const part0 = page.getByTestId('part-profile-table').first();
    await part0.waitFor({ state: 'visible' });
    const score = await part0.getByRole('row', { name: /^score/ }).textContent();
    expect(score).not.toContain('≈');
    expect(score).toContain('0.75 / 1 / 1.25');
    await checkView(page, 'dataset-version-part-profile');
  });

  it('lists evaluations and shows metrics with a link to the report', async () => {
    await visit(page, `${server.url}/evaluations`, 'evaluations', 'text=holdout');
    expect(await page.getByTestId('evaluations-table').textContent()).toContain('roc_auc 0.75');
    await page.getByRole('link', { name: 'holdout' }).click();
    const metrics = page.getByTestId('metrics-table');
    await metrics.waitFor({ state: 'visible' });
    expect(await metrics.getByRole('row', { name: /^roc_auc/ }).textContent()).toContain('0.75');
    await visit(page, page.url(), 'evaluation', '[data-testid=metrics-table]');
    // A binary evaluation with scores: ROC and PR curves, calibration, threshold sweep and the confusion matrix.
    for (const id of ['roc-curve', 'pr-curve', 'calibration', 'threshold-sweep']) expect(await page.getByTestId(id).locator('[data-testid=curve]').count(), id).toBeGreaterThan(0);
    const cells = await page.getByTestId('confusion-matrix').locator('tbody td').allTextContents();
    expect(cells).toHaveLength(4);
    const report = await page.getByRole('link', { name: 'HTML report' }).getAttribute('href');
    const html = await fetch(server.url + report!);
    expect(html.headers.get('content-type')).toContain('text/html');
    await visit(page, `${server.url}/evaluations/${'0'.repeat(32)}`, 'evaluation-not-found', 'text=Evaluation not found');
  });
});
