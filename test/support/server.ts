import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type ConfigFlags } from '../../src/config/config.js';
import { startServer, type RunningServer } from '../../src/main.js';

/** Every server a test starts checks its native API replies against their declared schemas (a mismatch is a 500). */
export const CHECKED_REPLIES = { OPENEXPERT_CHECK_REPLIES: '1' } as const;

/**
 * A real server on a free port with its own temp data directory (SQLite unless `db` is given); `env` is the
 * environment its config reads (e.g. the bootstrap admin of a server started with `auth: true`).
 */
export async function startTestServer(flags: ConfigFlags = {}, env: Record<string, string> = {}): Promise<RunningServer & { home: string }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-test-'));
  const config = loadConfig({ home, port: 0, logLevel: 'silent', ...flags }, { ...CHECKED_REPLIES, ...env });
  const server = await startServer(config);
  return {
    ...server,
    home,
    close: async () => {
      await server.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
