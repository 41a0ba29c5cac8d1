import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeDrift } from '../../src/domain/monitoring/analysis.js';
import { renderReportHtml } from '../../src/domain/monitoring/report-html.js';
import { columnarTable } from '../../src/domain/monitoring/table.js';

const CHROMIUM = '/usr/bin/chromium';
const range = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

describe.skipIf(!fs.existsSync(CHROMIUM))('the HTML drift report in Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-report-'));
  });
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens offline from a file and shows one chart per feature, with the verdicts', async () => {
    const report = await analyzeDrift(
      columnarTable({ income: range(2000, (i) => i * 1.5), city: range(2000, (i) => ['Lyon', 'Oslo', 'Kyiv'][i % 3]), empty: range(2000, (i) => i) }),
      columnarTable({ income: range(1500, (i) => i * 1.5 + 900), city: range(1500, (i) => ['Lyon', 'Oslo', 'Kyiv'][i % 3]), empty: range(1500, () => null) }),
    );
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, renderReportHtml(report, 'Nightly <drift> report'));
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);

    expect(await page.title()).toBe('Nightly <drift> report');
    const sections = page.locator('section.column');
    expect(await sections.count()).toBe(3);
    for (const name of ['income', 'city']) {
      const chart = page.locator(`section[data-column="${name}"] svg.chart`);
      await expect.poll(() => chart.count()).toBe(1);
      const box = await chart.boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      // Both series are drawn with visible bars.
      const heights = await chart.locator('rect.cur').evaluateAll((rects) => rects.map((r) => (r as unknown as { getBBox(): { height: number } }).getBBox().height));
      expect(Math.max(...heights)).toBeGreaterThan(10);
      expect(await chart.locator('rect.ref').count()).toBeGreaterThan(0);
    }
    expect(await page.locator('section[data-column="empty"] svg').count()).toBe(0);
    await expect.poll(() => page.locator('section[data-column="income"] h3').innerText()).toContain('drift detected');
    expect(await page.locator('section[data-column="city"] h3').innerText()).toContain('no drift');
    expect(await page.locator('section[data-column="empty"] h3').innerText()).toContain('not tested');
    expect(await page.locator('#summary').innerText()).toContain('1 / 2');
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: true });
    await context.close();
  });
});
