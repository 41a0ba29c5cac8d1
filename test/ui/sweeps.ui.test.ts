import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { visit } from '../support/ui-page.js';

/** A sweep driven through the API as a controller would: four trials, the third stopped early by the median rule. */
describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: sweeps', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let sweep = '';
  let experiment = '';
  const runs: string[] = [];
  let imp = '';

  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    const exp = (await api.post('/experiments', { name: 'sweeps-ui' })).body.experimentId as string;
    experiment = exp;
    const curves = ['10,8,6', '10,9,8', '11,10', '9,7,5'];
    const created = await api.post('/sweeps', {
      name: 'lr-search', experimentId: exp,
      config: { method: 'grid', metric: { name: 'loss' }, parameters: { curve: { type: 'categorical', values: curves } }, earlyStopping: { type: 'median', nStartupTrials: 2, nWarmupSteps: 1 } },
    });
    expect(created.status).toBe(201);
    sweep = created.body.id as string;
    for (let i = 0; i < curves.length; i++) {
      const trial = (await api.post(`/sweeps/${sweep}/trials`, {})).body.trial as { number: number; runId: string };
      const metrics = curves[i]!.split(',').map((v, step) => ({ key: 'loss', value: Number(v), timestamp: 1, step }));
      await api.post(`/runs/${trial.runId}/batch`, { metrics });
      // 900 CPU-seconds a trial: $0.01 at the default $0.04 per CPU-hour (memory and GPU none).
      await api.post(`/runs/${trial.runId}/usage`, { cpuSeconds: 900, peakMemoryBytes: 0, wallSeconds: 900, source: 'sweep-trial' });
      runs.push(trial.runId);
      // Trial 2: best 10 at step 1 is worse than the median 8.5 of trials 0 and 1 there.
      if (i === 2) expect((await api.post(`/sweeps/${sweep}/trials/2/prune-check`, {})).body.stop).toBe(true);
      await api.post(`/sweeps/${sweep}/trials/${trial.number}/finish`, i === 2 ? { exitCode: null, signal: 'SIGTERM' } : { exitCode: 0 });
    }
    // A random sweep over f = 10·x1 + 0.1·x2 + 0·x3: x1 explains 100/100.01 of the variance, x3 none.
    const uniform = { type: 'uniform', min: 0, max: 1 };
    const impExp = (await api.post('/experiments', { name: 'sweeps-ui-importance' })).body.experimentId as string;
    imp = (await api.post('/sweeps', { name: 'importance', experimentId: impExp, trials: 30, config: { method: 'random', seed: 4, metric: { name: 'loss' }, parameters: { x1: uniform, x2: uniform, x3: uniform } } })).body.id as string;
    for (;;) {
      const trial = (await api.post(`/sweeps/${imp}/trials`, {})).body.trial as { number: number; runId: string; params: Record<string, number> } | null;
      if (!trial) break;
      await api.post(`/runs/${trial.runId}/batch`, { metrics: [{ key: 'loss', value: 10 * trial.params.x1! + 0.1 * trial.params.x2!, timestamp: 1, step: 0 }] });
      await api.post(`/sweeps/${imp}/trials/${trial.number}/finish`, { exitCode: 0 });
    }
    ({ browser, context, page } = await openPage());
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('lists sweeps and shows one with parallel coordinates, the best-so-far curve and the stopped trial marked', async () => {
    await visit(page, `${server.url}/sweeps`, 'sweeps', '[data-testid=sweeps-table]');
    const row = page.getByTestId('sweeps-table').locator('tbody tr', { hasText: 'lr-search' });
    expect((await row.locator('td').allTextContents()).slice(1, 6)).toEqual(['grid', 'FINISHED', '4/4', '1', 'loss 5 (trial 3)']);
    await page.getByRole('link', { name: 'lr-search' }).click();
    await page.waitForURL(new RegExp(`/sweeps/${sweep}$`));
    await visit(page, page.url(), 'sweep', '[data-testid=trials-table]');
    expect(await page.getByTestId('sweep-summary').textContent()).toContain('4/4 trials, 3 complete, 1 stopped early (median rule), 0 failed');
    expect(await page.getByTestId('sweep-best').textContent()).toContain('trial 3, loss = 5');
    const states = await page.getByTestId('trials-table').locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    expect(states).toEqual(['COMPLETE', 'COMPLETE', 'PRUNED', 'COMPLETE']);
    const stopped = page.getByTestId('trials-table').locator('tbody tr').nth(2);
    expect(await stopped.locator('td').nth(1).textContent()).toBe('STOPPED EARLY');
    expect(await stopped.locator('td').last().textContent()).toMatch(/stopped at step 1 by the median rule/);
    const lines = page.getByTestId('parallel').getByTestId('parallel-line');
    expect(await lines.count()).toBe(4);
    expect(await lines.evaluateAll((ls) => ls.map((l) => l.getAttribute('stroke-dasharray')))).toEqual([null, null, '5 4', null]);
    expect(await page.locator('figure canvas, .uplot canvas').count()).toBeGreaterThan(0);
  }, 120_000);

  it('shows compute cost on the sweep (its trials), a trial\'s run and the experiment (its runs)', async () => {
    await visit(page, `${server.url}/sweeps/${sweep}`, 'sweep-cost', '[data-testid=cost-line]');
    expect(await page.getByTestId('cost-line').textContent()).toMatch(/Compute cost of its trials: \$0\.04 \(3600 CPU-s/);
    await visit(page, `${server.url}/runs/${runs[0]}`, 'run-cost', '[data-testid=run-cost]');
    expect(await page.getByTestId('run-cost').textContent()).toMatch(/Cost\$0\.01CPU900 s/);
    await visit(page, `${server.url}/experiments/${experiment}`, 'experiment-cost', '[data-testid=cost-line]');
    expect(await page.getByTestId('cost-line').textContent()).toMatch(/Compute cost of its runs: \$0\.04/);
  }, 120_000);

  it('draws parameter importance as bars, most important first', async () => {
    await visit(page, `${server.url}/sweeps/${imp}`, 'sweep-importance', '[data-testid=importance-bars]');
    const bars = page.getByTestId('importance-bar');
    expect(await bars.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-name')))).toEqual(expect.arrayContaining(['x1', 'x2', 'x3']));
    expect(await bars.first().getAttribute('data-name')).toBe('x1');
    expect(Number(await bars.first().getAttribute('data-importance'))).toBeGreaterThan(0.9);
    expect(await page.getByTestId('importance-bars').getAttribute('aria-label')).toMatch(/^Parameter importance: x1 9\d\.\d%/);
  }, 120_000);
});
