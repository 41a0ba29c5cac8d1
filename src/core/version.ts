import { createRequire } from 'node:module';

/** The package version, read once from package.json (two levels up from both src/core and dist/src/core). */
const require = createRequire(import.meta.url);
function readVersion(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(candidate) as { name?: string; version?: string };
      if (pkg.name === 'openexpert' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
export const VERSION = readVersion();
