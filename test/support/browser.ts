import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright-core brings no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

const cspViolations = new WeakMap<Page, string[]>();

/** What the server's Content-Security-Policy refused on this page so far (Chromium reports each as a console error). */
export function cspViolationsOf(page: Page): string[] {
  return cspViolations.get(page) ?? [];
}

/**
 * Every context of the browser records CSP refusals per page, so each view a UI test checks also proves that the
 * UI works under the policy the server sends (a refused script or style would otherwise fail silently).
 */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options) => {
    const context = await newContext(options);
    context.on('console', (msg) => {
      const page = msg.page();
      if (!page || msg.type() !== 'error' || !/Content Security Policy/i.test(msg.text())) return;
      cspViolations.set(page, [...cspViolationsOf(page), msg.text()]);
    });
    return context;
  };
  return browser;
}

/** A browser with one desktop-sized page, as every UI test starts. */
export async function openPage(): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  return { browser, context, page: await context.newPage() };
}

/** Closes what `openPage` opened (either may be missing when set-up failed early). */
export async function closePage(opened: { browser?: Browser; context?: BrowserContext }): Promise<void> {
  await opened.context?.close();
  await opened.browser?.close();
}

export const SCREENSHOTS = path.resolve('test-output', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** axe-core's serious and critical findings on the page as it is now, each with the elements it found. */
export async function seriousAccessibilityViolations(page: Page): Promise<{ id: string; help: string; targets: string[] }[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}
