import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/core/net.js';
import { cliArgv } from './cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export { freePort };

export interface ChildServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far (its log, at --log-level warn unless the args say otherwise). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The real CLI (`openexpert server`) in a child process (see cliArgv), ready when its health check answers; `port` to start one again where it was. */
export async function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}, port?: number): Promise<ChildServer> {
  port ??= await freePort();
  const [node, ...cli] = cliArgv();
  const child = spawn(node!, [...cli, 'server', '--port', String(port), '--log-level', 'warn', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000; // a loaded machine starts tsx slowly
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
