import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { loadConfig, type ConfigFlags } from '../../src/config/config.js';
import { buildServer } from '../../src/main.js';
import { CHECKED_REPLIES } from './server.js';

/** The admin every auth-on test server bootstraps. */
export const TEST_ADMIN = { user: 'root', password: 'root-password-1' } as const;

export const basicAuth = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * An in-process server with auth on (driven with `app.inject`), in a temp home; `onRoute` sees every route as it
 * is registered (for tests generated from the route table). `close` also removes the home.
 */
export async function startAuthApp(flags: ConfigFlags = {}, onRoute?: (method: string, url: string, route: RouteOptions) => void): Promise<{ app: FastifyInstance; home: string; close(): Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-auth-'));
  const config = loadConfig({ home, port: 0, logLevel: 'silent', auth: true, ...flags }, { ...CHECKED_REPLIES, OPENEXPERT_ADMIN_USERNAME: TEST_ADMIN.user, OPENEXPERT_ADMIN_PASSWORD: TEST_ADMIN.password });
  const server = await buildServer(config);
  if (onRoute) {
    server.app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) if (method !== 'HEAD' && method !== 'OPTIONS') onRoute(method, r.url, r);
    });
  }
  await server.app.ready();
  return {
    app: server.app,
    home,
    close: async () => {
      await server.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
