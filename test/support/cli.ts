import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inject } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The CLI as a command line another program can run (a test's child process, a script inside `openexpert run`,
 * a monitor's retrain command): the bundle test/support/cli-bundle.global-setup.ts built from src/cli for this
 * test run, or src/cli/index.ts through tsx where no bundle was provided.
 */
export function cliArgv(): string[] {
  const bundled = bundledCli();
  if (bundled) return [process.execPath, bundled];
  return [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, path.join(root, 'src/cli/index.ts')];
}

/** The test run's bundle; none outside a vitest run (the benchmarks spawn servers through this too), where inject throws. */
function bundledCli(): string | undefined {
  try {
    return inject('cliEntry');
  } catch {
    return undefined;
  }
}

/** Runs the real CLI from source, as a user would, and returns what it printed. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliIn(root, args, env);
}

/** The CLI run from another working directory (a user's project). */
export function runCliIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const [node, ...cli] = cliArgv();
  return new Promise((resolve) => {
    execFile(node!, [...cli, ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
