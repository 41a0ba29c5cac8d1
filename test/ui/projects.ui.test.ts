import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, closePage, openPage } from '../support/browser.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';
import { checkView, signIn } from '../support/ui-page.js';

const ADMIN = { user: 'root', password: 'root-password-1' };
const ALICE = { user: 'alice', password: 'alice-password-1' };
const basicOf = ({ user, password }: { user: string; password: string }) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe.skipIf(!fs.existsSync(CHROMIUM))('web UI projects: the projects page and the project switcher', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ReturnType<typeof jsonClient>;
  const ok = async (method: string, path: string, body: unknown, who = ADMIN) => {
    const res = await api.call(method, path, body, basicOf(who));
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  beforeAll(async () => {
    server = await startTestServer({ auth: true }, { OPENEXPERT_ADMIN_USERNAME: ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: ADMIN.password });
    api = jsonClient(server.url);
    await ok('POST', '/api/v1/users', { username: ALICE.user, password: ALICE.password, role: 'member' });
    ({ browser, context, page } = await openPage());
  }, 120_000);
  afterAll(async () => {
    await closePage({ browser, context });
    await server?.close();
  });

  it('creates a project, adds a member with a role, and narrows the experiments list to the chosen project', async () => {
    await page.goto(`${server.url}/projects`);
    await signIn(page, ADMIN);
    await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor();
    const form = page.getByRole('form', { name: 'Create a project' });
    await form.getByLabel('Project name').fill('vision');
    await form.getByLabel('Description (optional)').fill('Object detection');
    await form.getByRole('button', { name: 'Create project' }).click();
    await page.getByTestId('project-row').filter({ hasText: 'vision' }).waitFor();
    await checkView(page, 'projects');

    await page.getByRole('link', { name: 'vision' }).click();
    await page.getByRole('heading', { name: 'Project vision' }).waitFor();
    const add = page.getByRole('form', { name: 'Add a member' });
    await add.getByLabel('Name').fill(ALICE.user);
    await add.getByLabel('Role').selectOption('editor');
    await add.getByRole('button', { name: 'Add member' }).click();
    await page.getByTestId('member-row').filter({ hasText: ALICE.user }).waitFor();
    // The server agrees: alice is an editor, so she may create in the project.
    const members = (await ok('GET', '/api/v1/projects/vision/members', undefined)) as { items: { principal: string; role: string }[] };
    expect(members.items.map((m) => [m.principal, m.role])).toEqual([['alice', 'editor'], ['root', 'admin']]);
    await ok('POST', '/api/v1/experiments', { name: 'detector', project: 'vision' }, ALICE);
    await ok('POST', '/api/v1/experiments', { name: 'churn' });
    await page.reload();
    await page.getByTestId('objects-table').getByRole('link', { name: /\d+/ }).waitFor();
    await checkView(page, 'project');

    // The switcher narrows the experiments list to the project; "All projects" shows everything again.
    await page.goto(`${server.url}/experiments`);
    const list = page.getByRole('main');
    await list.getByRole('link', { name: 'churn' }).waitFor();
    await page.getByLabel('Project', { exact: true }).selectOption('vision');
    await list.getByRole('link', { name: 'detector' }).waitFor();
    await expect.poll(() => list.getByRole('link', { name: 'churn' }).count()).toBe(0);
    await page.getByLabel('Project', { exact: true }).selectOption('');
    await list.getByRole('link', { name: 'churn' }).waitFor();
  }, 180_000);
});
