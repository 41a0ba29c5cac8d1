import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { meterProcess } from '../cost/usage-meter.js';
import type { Executor } from './pipeline-runner.js';

/** How long a step asked to stop (SIGTERM at its timeout) gets before it is killed. */
const GRACE_MS = 2_000;

/** Process groups of the steps running now: stopping the runner stops them (one exit listener for all of them). */
const running = new Set<number>();
let exitHookInstalled = false;
function stopOnExit(pid: number): void {
  running.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of running) signalGroup(group, 'SIGTERM');
  });
}

/**
 * Steps as local processes: the command through `/bin/sh -c`, in its own process group so a timeout stops
 * everything it started, with the memory limit applied as the address-space limit (`ulimit -v`) of the shell
 * and so of every process it starts.
 */
export const localExecutor: Executor = {
  run(step, ctx) {
    return new Promise((resolve, reject) => {
      const log = fs.openSync(ctx.logFile, 'w');
      const limit = step.memoryBytes ? `ulimit -v ${Math.max(1, Math.floor(step.memoryBytes / 1024))} || exit 125\n` : '';
      const child = spawn('/bin/sh', ['-c', `${limit}${step.command}`], {
        cwd: ctx.cwd,
        env: { ...process.env, ...ctx.env },
        stdio: ['ignore', log, log],
        detached: true,
      });
      fs.closeSync(log);
      // What the step's process tree uses is measured here, where it runs.
      const meter = child.pid !== undefined ? meterProcess(child.pid) : undefined;
      let timedOut = false;
      let killer: NodeJS.Timeout | undefined;
      const timer = step.timeoutMs
        ? setTimeout(() => {
          timedOut = true;
          signalGroup(child.pid, 'SIGTERM');
          killer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), GRACE_MS);
        }, step.timeoutMs)
        : undefined;
      // Stopping the runner stops its steps: their outputs were never cached, so the next run redoes them.
      if (child.pid !== undefined) stopOnExit(child.pid);
      child.on('error', (err) => {
        clearTimeout(timer);
        if (child.pid !== undefined) running.delete(child.pid);
        void meter?.stop();
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(killer);
        if (child.pid !== undefined) running.delete(child.pid);
        const usage = meter ? meter.stop() : Promise.resolve(undefined);
        void usage.then((u) => resolve({ exitCode: code, signal, timedOut, ...(u ? { usage: u } : {}) }));
      });
    });
  },
};

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
