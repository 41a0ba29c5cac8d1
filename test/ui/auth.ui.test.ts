import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, signIn } from '../support/ui-page.js';

const ADMIN = { user: 'root', password: 'root-password-1' };
const VIEWER = { user: 'vera', password: 'vera-password-1' };
const MEMBER = { user: 'mia', password: 'mia-password-1' };
const MODEL = 'fraud-model';
const basic = ({ user, password }: { user: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

function check(res: { status: number; body: unknown }, what: string): void {
  if (res.status >= 300) throw new Error(`${what} → ${res.status}: ${JSON.stringify(res.body)}`);
}

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI with auth on: sign-in, hidden actions, permissions', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ReturnType<typeof jsonClient>;
  const asAdmin = basic(ADMIN);

  beforeAll(async () => {
    server = await startTestServer({ auth: true }, { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password });
    api = jsonClient(server.url);
    for (const [u, role] of [[VIEWER, 'viewer'], [MEMBER, 'member']] as const) {
      check(await api.call('POST', '/api/v1/users', { username: u.user, password: u.password, role }, asAdmin), `create ${u.user}`);
    }
    check(await api.call('POST', '/api/v1/models', { name: MODEL, description: 'Flags fraudulent payments' }, asAdmin), 'create model');
    check(await api.call('POST', `/api/v1/models/${MODEL}/versions`, { source: 's3://models/fraud/1' }, asAdmin), 'create version');
    check(await api.call('PUT', `/api/v1/models/${MODEL}/policy`, { stages: { Production: { checks: [{ type: 'approvals', required: 1 }] } } }, asAdmin), 'set policy');
    check(await api.call('POST', '/api/v1/promotion-requests', { name: MODEL, version: 1, target: 'Production', reason: 'ready' }, asAdmin), 'request promotion');
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  const signOut = async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to OpenExpert' }).waitFor();
  };
  const tab = (name: string) => page.getByRole('navigation', { name: 'Model views' }).getByRole('link', { name }).click();
  const count = (role: 'button' | 'heading', name: string | RegExp) => page.getByRole(role, { name }).count();

  it('shows the sign-in page to a visitor without a session, and says when the password is wrong', async () => {
    await page.goto(`${server.url}/models/${MODEL}`);
    await page.getByRole('heading', { name: 'Sign in to OpenExpert' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Modules' }).count()).toBe(0);
    await checkView(page, 'sign-in');
    await page.getByLabel('Username').fill(VIEWER.user);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Invalid credentials');
    await checkView(page, 'sign-in-failed');
  });

  it('lets a viewer read the model but hides promote, approve and rollback', async () => {
    await signIn(page, VIEWER);
    expect(await page.getByTestId('signed-in-user').textContent()).toBe(`Signed in as ${VIEWER.user}viewer`);
    // The deep link survives signing in.
    await page.getByRole('heading', { name: MODEL }).waitFor();
    await page.getByRole('link', { name: 'Version 1' }).waitFor();
    // Once the level is known, what it does not allow is absent (hidden, not disabled).
    await expect.poll(() => page.getByTestId('my-level').textContent()).toBe('READ');
    expect(await count('heading', 'Request a promotion')).toBe(0);
    expect(await page.getByRole('form', { name: 'Grant a permission' }).count()).toBe(0);
    await tab('Promotion requests');
    await page.getByTestId('promotion-request').waitFor();
    expect(await count('button', /Approve|Reject|Withdraw/)).toBe(0);
    await tab('History');
    await page.getByRole('heading', { name: 'Transition history' }).waitFor();
    expect(await count('button', 'Roll back')).toBe(0);
    await checkView(page, 'auth-viewer-history');
    await signOut();
  });

  it('shows an admin every action, and a grant made in the UI goes through the session cookie and CSRF token', async () => {
    await page.goto(`${server.url}/models/${MODEL}/history`);
    await signIn(page, ADMIN);
    await page.getByRole('button', { name: 'Roll back' }).waitFor();
    expect(await page.getByTestId('my-level').textContent()).toBe('MANAGE');
    // A reloaded page recovers the CSRF token from whoami: the grant below needs it.
    await page.reload();
    await page.getByRole('button', { name: 'Roll back' }).waitFor();
    await tab('Versions');
    await page.getByRole('heading', { name: 'Request a promotion' }).waitFor();
    await tab('Promotion requests');
    // The admin asked, so the request offers withdraw, not approve.
    await page.getByTestId('promotion-request').getByRole('button', { name: 'Withdraw' }).waitFor();

    const grant = page.getByRole('form', { name: 'Grant a permission' });
    await grant.getByLabel('Grant to').selectOption('user');
    await grant.getByLabel('Name').fill(MEMBER.user);
    await grant.getByLabel('Level').selectOption('EDIT');
    await grant.getByRole('button', { name: 'Grant' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Granted' }).textContent()).toBe(`Granted EDIT to user ${MEMBER.user}.`);
    await expect.poll(() => page.getByTestId('grants-table').getByRole('row', { name: new RegExp(`user ${MEMBER.user}`) }).textContent()).toContain('EDIT');
    await checkView(page, 'auth-admin-permissions');
    const grants = await api.call('GET', `/api/v1/permissions?kind=registered_model&id=${MODEL}`, undefined, asAdmin);
    expect(grants.body.grants).toContainEqual(expect.objectContaining({ principalType: 'user', principal: MEMBER.user, level: 'EDIT', grantedBy: ADMIN.user }));

    // The same session without the CSRF token is refused.
    const withoutCsrf = await page.evaluate(async (model) => {
      const res = await fetch('/api/v1/permissions', {
        method: 'PUT', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'registered_model', id: model, principalType: 'everyone', level: 'MANAGE' }),
      });
      return res.status;
    }, MODEL);
    expect(withoutCsrf).toBe(403);
    await signOut();
  });

  it('shows a member with an EDIT grant promote and approve, but not rollback or the grant form', async () => {
    await signIn(page, MEMBER);
    await expect.poll(() => page.getByTestId('my-level').textContent()).toBe('EDIT');
    await tab('Versions');
    await page.getByRole('heading', { name: 'Request a promotion' }).waitFor();
    await tab('Promotion requests');
    await page.getByTestId('promotion-request').getByRole('button', { name: `Approve as ${MEMBER.user}` }).waitFor();
    expect(await page.getByRole('form', { name: 'Grant a permission' }).count()).toBe(0);
    await tab('History');
    await page.getByRole('heading', { name: 'Transition history' }).waitFor();
    expect(await count('button', 'Roll back')).toBe(0);
    // On an experiment she created herself she manages the grants.
    const created = await api.call('POST', '/api/2.0/mlflow/experiments/create', { name: 'mia-exp' }, basic(MEMBER));
    check(created, 'create experiment');
    await page.goto(`${server.url}/experiments/${(created.body as { experiment_id: string }).experiment_id}`);
    await expect.poll(() => page.getByTestId('my-level').textContent()).toBe('MANAGE');
    await page.getByRole('form', { name: 'Grant a permission' }).waitFor();
    await checkView(page, 'auth-member-experiment-permissions');
  });

  it('returns to the sign-in page when the session is gone, and after signing out', async () => {
    await context.clearCookies();
    await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: 'Promotions' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'session' }).textContent()).toBe('Your session has ended. Sign in again.');
    await signIn(page, MEMBER);
    await signOut();
    // (Without X-Requested-With the 401 would carry a basic-auth challenge and the browser would open its password dialog.)
    const whoami = await page.evaluate(async () => (await fetch('/api/v1/auth/whoami', { credentials: 'same-origin', headers: { 'x-requested-with': 'XMLHttpRequest' } })).status);
    expect(whoami).toBe(401);
  });
});
