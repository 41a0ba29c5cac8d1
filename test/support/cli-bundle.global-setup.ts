import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Inside the checkout, so the bundle finds node_modules, package.json and dist/web exactly as src/cli/index.ts does. */
const bundles = path.join(root, 'test', '.cli-bundle');

declare module 'vitest' {
  export interface ProvidedContext {
    /** The CLI entry this run's tests start (`node <cliEntry> …`); see test/support/cli.ts. */
    cliEntry: string;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The tests run the real CLI as a child process hundreds of times. Started from source with tsx, each start
 * transpiles and loads ~1,500 modules (about 4 s of CPU); bundled once per test run by esbuild (the
 * transpiler tsx itself uses) into one ES module with lazily loaded chunks, it starts in a fraction of a
 * second. Same sources, same dependencies from node_modules (native addons stay external), same behaviour.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  fs.mkdirSync(bundles, { recursive: true });
  // Bundles of runs that ended without their teardown (killed): their process is gone.
  for (const name of fs.readdirSync(bundles)) {
    const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
    if (pid && !alive(pid)) fs.rmSync(path.join(bundles, name), { recursive: true, force: true });
  }
  const outdir = path.join(bundles, `run-${process.pid}`);
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(root, 'src/cli/index.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Native addons and what the server resolves at run time by path stay in node_modules.
    external: ['better-sqlite3', '@duckdb/*', 'onnxruntime-node', 'pg-native', 's3rver'],
    // CommonJS dependencies bundled into an ES module still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __oeCreateRequire } from 'node:module'; const require = __oeCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  project.provide('cliEntry', path.join(outdir, 'index.js'));
  return () => fs.rmSync(outdir, { recursive: true, force: true });
}
