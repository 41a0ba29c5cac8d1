import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the real CLI from source, as a user would, and returns what it printed. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/index.ts'), ...args], { cwd: root, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The CLI run from another working directory (a user's project), with tsx loaded from this repository. */
export function runCliIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsx, path.join(root, 'src/cli/index.ts'), ...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The CLI as a command line another program can run (a script inside `openexpert run`, a monitor's retrain command). */
export function cliArgv(): string[] {
  return [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, path.join(root, 'src/cli/index.ts')];
}
