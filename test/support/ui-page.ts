import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { cspViolationsOf, screenshot, seriousAccessibilityViolations } from './browser.js';

/** Opens a view, waits for `ready` (what a user would wait to see), saves a screenshot and checks accessibility. */
export async function visit(page: Page, url: string, name: string, ready: string): Promise<void> {
  await page.goto(url);
  await page.locator(ready).first().waitFor({ state: 'visible' });
  await checkView(page, name);
}

export async function checkView(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousAccessibilityViolations(page), `${name}: serious accessibility violations`).toEqual([]);
  expect(cspViolationsOf(page), `${name}: refused by the Content-Security-Policy`).toEqual([]);
}

/** Fills the sign-in page and waits until the header names the user. */
export async function signIn(page: Page, { user, password }: { user: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-user').filter({ hasText: user }).waitFor();
}
