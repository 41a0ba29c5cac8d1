import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

const capture = (python: string, exitCode: number) => ({
  command: ['python3', 'train.py', '--seed', '7'], cwd: '', exitCode, wallTimeMs: 1500, seeds: { seed: '7' },
  git: { commit: 'a'.repeat(40), root: '/src/churn', dirty: false },
  environment: { os: { platform: 'linux', release: '6.1', arch: 'x64' }, interpreters: { python }, lockFiles: [{ path: 'requirements.txt', sha256: 'b'.repeat(64), size: 13 }] },
  hardware: { cpus: 2, cpuModel: 'Test CPU', memoryBytes: 8 * 2 ** 30 },
});

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: pipelines and reproducibility', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let source = '';
  let pipelineRun = '';

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    const exp = (await api.post('/experiments', { name: 'churn' })).body.experimentId as string;
    const run = async (acc: number) => {
      const id = (await api.post('/runs', { experimentId: exp, userId: 'alice' })).body.info.runId as string;
      await api.post(`/runs/${id}/batch`, { metrics: [{ key: 'accuracy', value: acc, timestamp: 1 }] });
      return id;
    };
    source = await run(0.91);
    const rerun = await run(0.87);
    expect((await api.call('PUT', `/runs/${source}/capture`, capture('3.11.7', 0))).status).toBe(200);
    expect((await api.call('PUT', `/runs/${rerun}/capture`, capture('3.12.1', 0))).status).toBe(200);
    expect((await api.post('/reproductions', { sourceRunId: source, runId: rerun, tolerance: 'accuracy=0.01' })).status).toBe(201);
    pipelineRun = 'c'.repeat(32);
    const steps = [
      { name: 'prepare', needs: [], state: 'cached', cache: 'hit', attempts: 0, durationMs: 40 },
      { name: 'train', needs: ['prepare'], state: 'failed', cache: 'miss', attempts: 2, durationMs: 2500, error: 'exited 1; see .openexpert/logs/churn/train.log' },
      { name: 'report', needs: ['train'], state: 'skipped', attempts: 0, reason: 'needs train, which did not complete' },
    ];
    const put = await api.call('PUT', `/pipeline-runs/${pipelineRun}`, { name: 'churn', experimentId: exp, status: 'failed', fileSha256: 'd'.repeat(64), startedAt: Date.now() - 5000, finishedAt: Date.now(), steps });
    expect(put.status).toBe(200);
    ({ browser, context, page } = await openPage());
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists pipeline runs and draws the DAG with each step\'s state, cache hit or miss and duration', async () => {
    await visit(page, `${server.url}/pipelines`, 'pipelines', '[data-testid=pipeline-runs-table]');
    const row = page.getByTestId('pipeline-runs-table').locator('tbody tr').first();
    expect((await row.locator('td').allTextContents()).slice(1, 5)).toEqual(['failed', '0', '1', '2']);
    await page.getByRole('link', { name: 'churn' }).click();
    await page.waitForURL(new RegExp(`/pipelines/${pipelineRun}$`));
    await visit(page, page.url(), 'pipeline-run', '[data-testid=pipeline-dag]');
    const dag = page.getByTestId('pipeline-dag');
    expect(await dag.locator('g.dag-node').evaluateAll((nodes) => nodes.map((n) => `${n.getAttribute('data-step')}:${n.getAttribute('class')}`))).toEqual([
      'prepare:dag-node step-cached', 'train:dag-node step-failed', 'report:dag-node step-skipped',
    ]);
    expect(await dag.locator('path.dag-edge').count()).toBe(2);
    expect(await dag.locator('g[data-step=prepare] .dag-detail').textContent()).toBe('cached · cache hit · 40 ms');
    expect(await dag.locator('g[data-step=train] .dag-detail').textContent()).toBe('failed · cache miss · 3 s');
    expect(await page.getByTestId('pipeline-steps-table').getByRole('row', { name: /^train/ }).textContent()).toContain('exited 1');
  }, 120_000);

  it('shows a run\'s captured environment beside its reproductions, with the metric deltas', async () => {
    await visit(page, `${server.url}/reproducibility/runs/${source}`, 'reproducibility', '[data-testid=capture-table]');
    const table = page.getByTestId('capture-table');
    const python = table.getByRole('row', { name: /^python/ });
    expect(await python.locator('td').allTextContents()).toEqual(['3.11.7', '3.12.1 (differs)']);
    expect(await python.locator('td.differs').count()).toBe(1);
    expect(await table.getByRole('row', { name: /^seed seed/ }).locator('td.differs').count()).toBe(0);
    const metrics = page.locator('[data-testid^=reproduction-]');
    // 0.87 − 0.91 = −0.04, outside an absolute tolerance of 0.01.
    expect(await metrics.getByRole('row', { name: /^accuracy/ }).locator('td').allTextContents()).toEqual(['0.91', '0.87', '-0.04', '0.01', 'no']);
    expect(await page.getByRole('heading', { level: 3 }).textContent()).toContain('Not reproduced by anonymous');
  }, 120_000);
});
