import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, signIn } from '../support/ui-page.js';

const ADMIN = { user: 'root', password: 'root-password-1' };
const NEW_USER = { user: 'nina', password: 'nina-password-1', email: 'nina@example.com' };

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI admin module: users, groups, audit log', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ReturnType<typeof jsonClient>;

  beforeAll(async () => {
    server = await startTestServer({ auth: true }, { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password });
    api = jsonClient(server.url);
    ({ browser, context, page } = await openPage());
  });
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  const modulesNav = () => page.getByRole('navigation', { name: 'Modules' });

  it('lets the admin create a user, change its role, see the change in the audit log and verify the chain', async () => {
    await page.goto(`${server.url}/experiments`);
    await signIn(page, ADMIN);
    await modulesNav().getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByTestId('users-table').getByRole('row', { name: new RegExp(`^${ADMIN.user}`) }).waitFor();

    const form = page.getByRole('form', { name: 'Create a user' });
    await form.getByLabel('Username').fill(NEW_USER.user);
    await form.getByLabel('Password').fill(NEW_USER.password);
    await form.getByLabel('Role').selectOption('member');
    await form.getByLabel('E-mail (optional)').fill(NEW_USER.email);
    await form.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Created user' }).textContent()).toBe(`Created user ${NEW_USER.user} (member).`);
    const row = page.getByTestId('user-row').filter({ hasText: NEW_USER.email });
    await expect.poll(() => row.textContent()).toContain(NEW_USER.user);
    await checkView(page, 'admin-users');

    // Role change through the row's select; the server agrees.
    await row.getByLabel(`Role of ${NEW_USER.user}`, { exact: true }).selectOption('maintainer');
    await row.getByRole('button', { name: `Save the role of ${NEW_USER.user}` }).click();
    await expect.poll(async () => (await api.call('GET', `/api/v1/users/${NEW_USER.user}`, undefined, basicOf(ADMIN))).body.user.role).toBe('maintainer');
    await row.getByLabel(`Role of ${NEW_USER.user}`, { exact: true }).selectOption('member');
    await row.getByRole('button', { name: `Save the role of ${NEW_USER.user}` }).click();
    await expect.poll(async () => (await api.call('GET', `/api/v1/users/${NEW_USER.user}`, undefined, basicOf(ADMIN))).body.user.role).toBe('member');

    // Delete asks first.
    check(await api.call('POST', '/api/v1/users', { username: 'temp', password: 'temp-password-1', role: 'viewer' }, basicOf(ADMIN)), 'create temp');
    await page.reload();
    const temp = page.getByTestId('user-row').filter({ hasText: 'temp' });
    await temp.getByRole('button', { name: 'Delete temp' }).click();
    await temp.getByRole('button', { name: 'Yes, delete' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Deleted' }).textContent()).toBe('Deleted user temp.');
    await expect.poll(() => temp.count()).toBe(0);

    // Groups: create one, add the new user.
    await page.getByRole('navigation', { name: 'Admin views' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await page.getByLabel('Group name').fill('reviewers');
    await page.getByRole('button', { name: 'Create group' }).click();
    const group = page.getByTestId('group-row').filter({ hasText: 'reviewers' });
    await group.getByLabel('Username to add to reviewers').fill(NEW_USER.user);
    await group.getByRole('button', { name: 'Add' }).click();
    await group.getByRole('list', { name: 'Members of reviewers' }).getByText(NEW_USER.user).waitFor();
    await checkView(page, 'admin-groups');

    // The audit log shows the creation, filtered through the address.
    await page.getByRole('navigation', { name: 'Admin views' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Action').fill('POST /api/v1/users');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('action')).toBe('POST /api/v1/users');
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(2); // nina through the UI, temp through the API
    const entry = page.getByTestId('audit-row').filter({ hasText: `user:${NEW_USER.user}` });
    await expect.poll(() => entry.count()).toBe(1);
    expect(await entry.textContent()).toContain(ADMIN.user);
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await expect.poll(() => page.getByTestId('verify-result').textContent()).toMatch(/^OK: \d+ entries checked/);
    const href = await page.getByRole('link', { name: /Download CSV/ }).getAttribute('href');
    expect(href).toContain('/api/v1/audit/export?format=csv&redactPii=true');
    const csv = await page.evaluate(async (url) => (await fetch(url, { credentials: 'same-origin' })).text(), href!);
    expect(csv).toContain('POST /api/v1/users');
    expect(csv).not.toContain(NEW_USER.email);
    await checkView(page, 'admin-audit');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  it('hides the Admin entry from a member, and the admin pages tell her she may not', async () => {
    await context.clearCookies();
    await page.goto(`${server.url}/experiments`);
    await signIn(page, NEW_USER);
    await modulesNav().getByRole('link', { name: 'Experiments' }).waitFor();
    expect(await modulesNav().getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${server.url}/admin/audit`);
    await page.getByTestId('signed-in-user').filter({ hasText: NEW_USER.user }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Only an admin can manage users, groups and the audit log.');
  });
});

function check(res: { status: number; body: unknown }, what: string): void {
  if (res.status >= 300) throw new Error(`${what} → ${res.status}: ${JSON.stringify(res.body)}`);
}
const basicOf = ({ user, password }: { user: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
