import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/core/net.js';
import { TEST_ADMIN } from '../support/auth-app.js';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { OIDC_CLIENT, startTestProvider, type TestProvider } from '../support/oidc.js';
import { startTestServer } from '../support/server.js';
import { checkView, signIn } from '../support/ui-page.js';

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI: single sign-on in Chromium against a real OpenID Provider', () => {
  let provider: TestProvider;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let url: string;
  let opened: { browser: Browser; context: BrowserContext; page: Page };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    provider = await startTestProvider([`${url}/api/v1/auth/oidc/callback`]);
    provider.groups.set('frank', ['ml-reviewers']);
    server = await startTestServer(
      { port, auth: true, oidcIssuer: provider.issuer, oidcClientId: OIDC_CLIENT.id, oidcGroupMap: 'ml-reviewers=reviewers' },
      { OPENEXPERT_ADMIN_USERNAME: TEST_ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: TEST_ADMIN.password, OPENEXPERT_OIDC_CLIENT_SECRET: OIDC_CLIENT.secret },
    );
    opened = await openPage();
    // Everything stays on this machine: the provider's development pages ask for a web font, which is refused here.
    await opened.context.route('**/*', (route) => (new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort()));
  }, 60_000);
  afterAll(async () => {
    await closePage(opened ?? {});
    await server?.close();
    await provider?.close();
  });

  /** What a person does on the provider's development pages: any name and password, then consent. */
  async function atProvider(page: Page, login: string) {
    await page.waitForURL((u) => u.origin === provider.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('signs a new user in with single sign-on from the sign-in page, and lands where they were going', async () => {
    const { page } = opened;
    await page.goto(`${url}/models`);
    await page.getByRole('heading', { name: 'Sign in to OpenExpert' }).waitFor();
    const sso = page.getByRole('link', { name: 'Sign in with single sign-on' });
    await sso.waitFor();
    await checkView(page, 'sso-sign-in');
    await sso.click();
    await atProvider(page, 'frank');
    await page.getByTestId('signed-in-user').filter({ hasText: 'frank' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/models');
    expect(await page.getByTestId('signed-in-user').textContent()).toBe('Signed in as frankmember');
    await page.getByRole('heading', { name: 'Registered models' }).waitFor();
    await checkView(page, 'sso-signed-in');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to OpenExpert' }).waitFor();
  });

  it('shows why a single sign-on was refused, and a local user still signs in with a password', async () => {
    const { page } = opened;
    // The provider remembers frank's sign-in from the test before; a new person at this browser signs in afresh.
    await opened.context.clearCookies();
    await page.goto(`${url}/`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    // The provider vouches for "root", but a local admin of that name exists: not taken over.
    await atProvider(page, TEST_ADMIN.user);
    await page.getByRole('heading', { name: 'Sign in to OpenExpert' }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/A user 'root' already exists and is not linked/);
    expect(new URL(page.url()).hash).toBe('');
    await checkView(page, 'sso-refused');
    await signIn(page, { user: TEST_ADMIN.user, password: TEST_ADMIN.password });
    expect(await page.getByTestId('signed-in-user').textContent()).toBe('Signed in as rootadmin');
  });
});
