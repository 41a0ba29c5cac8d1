import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const webDir = path.join(root, 'web');
const built = path.join(root, 'dist', 'web', 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * The browser tests load the UI the server serves from dist/web. `npm ci` builds it (prepare → build);
 * a developer who edited web/ since gets a fresh build here, once per test run, before any server starts.
 */
export default async function setup(): Promise<void> {
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestMtime(webDir)) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' });
}
