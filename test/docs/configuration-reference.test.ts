import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Variables the product reads that are not its configuration: the OS user, Kubernetes' in-cluster discovery, seeds it passes on. */
const NOT_CONFIGURATION = new Set(['USER', 'USERNAME', 'PGUSER', 'MODE', 'PYTHONHASHSEED', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('configuration reference (docs/operations.md)', () => {
  it('documents every environment variable the server, CLI and SDK read', () => {
    const read = new Set<string>();
    for (const file of sourceFiles(path.join(root, 'src'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\.env\('([A-Z][A-Z0-9_]+)'\)/g)) read.add((m[1] ?? m[2])!);
    }
    const doc = fs.readFileSync(path.join(root, 'docs/operations.md'), 'utf8');
    const missing = [...read].filter((v) => !NOT_CONFIGURATION.has(v) && !doc.includes(`\`${v}\``));
    expect(read.size).toBeGreaterThan(20);
    expect(missing, 'add these to the configuration table in docs/operations.md').toEqual([]);
  });
});
