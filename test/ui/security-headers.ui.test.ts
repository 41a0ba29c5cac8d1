import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, cspViolationsOf, openPage } from '../support/browser.js';
import { spawnServer, type ChildServer } from '../support/child-server.js';
import { checkView } from '../support/ui-page.js';

const ARTIFACT = '0/4a1b/artifacts/model/weights.bin';
const BYTES = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));

/** The directives of a Content-Security-Policy header, as a map of directive → sources. */
const directives = (csp: string | null): Record<string, string[]> =>
  Object.fromEntries((csp ?? '').split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name!, sources]));

describe.skipIf(!fs.existsSync(CHROMIUM))('security headers on the API and the web UI, and downloads sent once', () => {
  let server: ChildServer;
  let home: string;
  let opened: { browser: Browser; context: BrowserContext; page: Page };

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-headers-'));
    server = await spawnServer(['--home', home]);
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${ARTIFACT}`, { method: 'PUT', body: BYTES });
    expect(put.status).toBe(200);
    opened = await openPage();
  }, 60_000);
  afterAll(async () => {
    await closePage(opened ?? {});
    await server?.stop();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('sends nosniff, no-referrer, DENY framing and a deny-all policy with every API reply, errors included', async () => {
    for (const [url, status] of [['/api/v1/experiments', 200], ['/api/2.0/mlflow/experiments/search?max_results=5', 200], ['/api/v1/runs/nope', 404], ['/metrics', 200]] as const) {
      const res = await fetch(server.url + url);
      await res.arrayBuffer();
      expect({ url, status: res.status }).toEqual({ url, status });
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(res.headers.get('x-frame-options'), url).toBe('DENY');
      const csp = directives(res.headers.get('content-security-policy'));
      expect(csp['default-src'], url).toEqual(["'none'"]);
      expect(csp['frame-ancestors'], url).toEqual(["'none'"]);
    }
  });

  it('gives the UI a strict policy: its own scripts, styles and API only, the one inline script by hash, never framed', async () => {
    for (const url of ['/', '/models/some-model', '/index.html']) {
      const res = await fetch(server.url + url);
      const html = await res.text();
      expect(res.headers.get('content-type'), url).toContain('text/html');
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), url).toBe('no-referrer');
      const csp = directives(res.headers.get('content-security-policy'));
      expect(csp['frame-ancestors'], url).toEqual(["'none'"]);
      expect(csp['object-src'], url).toEqual(["'none'"]);
      expect(csp['connect-src'], url).toEqual(["'self'"]);
      expect(csp['style-src'], url).toEqual(["'self'"]);
      // The one inline script (the theme set before the first paint), admitted by its sha256 and nothing looser.
      const inline = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
      const { createHash } = await import('node:crypto');
      expect(csp['script-src'], url).toEqual(["'self'", `'sha256-${createHash('sha256').update(inline).digest('base64')}'`]);
      expect(Object.values(csp).flat().filter((s) => s.includes('unsafe')), url).toEqual([]);
    }
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${server.url}/`)).text())![1]!;
    const js = await fetch(server.url + asset);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(directives(js.headers.get('content-security-policy'))['default-src']).toEqual(["'none'"]);
  });

  it('runs the built UI in Chromium under that policy: nothing refused, the inline theme script ran, injected inline code is refused', async () => {
    const { page } = opened;
    await page.goto(`${server.url}/`);
    await page.getByRole('navigation', { name: 'Modules' }).waitFor();
    expect(['light', 'dark']).toContain(await page.evaluate<string>('document.documentElement.dataset.theme'));
    await checkView(page, 'csp-home');
    await page.goto(`${server.url}/models`);
    await page.getByRole('navigation', { name: 'Modules' }).waitFor();
    expect(cspViolationsOf(page)).toEqual([]);
    // What an injected script would try: run inline code. The policy refuses it, and the refusal is what the UI tests watch for.
    const ran = await page.evaluate<boolean>(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.head.append(s);
      return window.injected === true;
    })()`);
    expect(ran).toBe(false);
    await expect.poll(() => cspViolationsOf(page).length).toBe(1);
  });

  it('cannot be framed by another page', async () => {
    const page = await opened.context.newPage();
    try {
      await page.setContent(`<iframe title="framed" src="${server.url}/" width="800" height="600"></iframe>`);
      const frame = await (await page.waitForSelector('iframe')).contentFrame();
      await page.waitForTimeout(1_000);
      // A refused frame shows Chromium's error page: the app never loads in it.
      expect(await frame!.locator('nav[aria-label="Modules"]').count()).toBe(0);
      expect(await frame!.evaluate<string>('location.href').catch(() => 'refused')).not.toBe(`${server.url}/`);
    } finally {
      await page.close();
    }
  });

  it('sends an HTML report with its inline style admitted by hash, and it renders styled in Chromium', async () => {
    const columns = (shift: number) => ({ income: Array.from({ length: 200 }, (_, i) => i + shift), city: Array.from({ length: 200 }, (_, i) => ['Lyon', 'Oslo'][i % 2]) });
    const res = await fetch(`${server.url}/api/v1/monitoring/report?format=html`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reference: { columns: columns(0) }, current: { columns: columns(150) } }),
    });
    const html = await res.text();
    expect(res.status).toBe(200);
    const csp = directives(res.headers.get('content-security-policy'));
    const { createHash } = await import('node:crypto');
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp['style-src']).toEqual(["'self'", `'sha256-${createHash('sha256').update(style).digest('base64')}'`]);
    expect(csp['script-src']).toEqual(["'self'"]);
    // Served as a page the way a user opens it: the style applies (its absence would leave the body in the default serif font).
    const page = await opened.context.newPage();
    try {
      const body = Buffer.from(html);
      await page.route(`${server.url}/report.html`, (route) => route.fulfill({ status: 200, body, headers: Object.fromEntries(res.headers) }));
      await page.goto(`${server.url}/report.html`);
      expect(await page.evaluate<string>('getComputedStyle(document.body).fontFamily')).not.toMatch(/^"?Times/);
      expect(cspViolationsOf(page)).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('sends each download once: no "reply already sent" in the server log, whole files and ranges intact', async () => {
    const whole = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${ARTIFACT}`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(BYTES)).toBe(true);
    const part = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${ARTIFACT}`, { headers: { range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(BYTES.subarray(1000, 2000))).toBe(true);
    // The web UI's download of a run's artifact (MLflow's get-artifact, sent as an attachment).
    const json = { 'content-type': 'application/json' };
    const exp = (await (await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'downloads' }) })).json()) as { experiment_id: string };
    const run = (await (await fetch(`${server.url}/api/2.0/mlflow/runs/create`, { method: 'POST', headers: json, body: JSON.stringify({ experiment_id: exp.experiment_id }) })).json()) as { run: { info: { run_id: string; artifact_uri: string } } };
    const root = run.run.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
    expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${root}/weights.bin`, { method: 'PUT', body: BYTES })).status).toBe(200);
    const ui = await fetch(`${server.url}/get-artifact?path=weights.bin&run_uuid=${run.run.info.run_id}`);
    expect(ui.headers.get('content-disposition')).toContain('attachment');
    expect(Buffer.from(await ui.arrayBuffer()).equals(BYTES)).toBe(true);
    const metrics = await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=nope&metric_key=m&max_results=1`);
    await metrics.arrayBuffer();
    // The log is written asynchronously; give it a moment before reading it.
    await new Promise((r) => setTimeout(r, 500));
    expect(server.output()).not.toContain('FST_ERR_REP_ALREADY_SENT');
    expect(server.output()).not.toMatch(/already sent/i);
  });
});
