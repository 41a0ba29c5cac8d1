import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { meterProcess } from './usage-meter.js';

/**
 * A child that keeps a CPU busy for `ms` of its own CPU time (not wall time: the machine is shared) and prints what
 * it used, by its own account (process.cpuUsage), as JSON on its last line.
 */
const BUSY = (ms: number, holdBytes = 0) => `
const hold = Buffer.alloc(${holdBytes}, 1);
const t0 = process.cpuUsage();
let x = 0;
for (;;) { for (let i = 0; i < 1e5; i++) x += i; const u = process.cpuUsage(t0); if ((u.user + u.system) / 1000 >= ${ms}) break; }
const u = process.cpuUsage();
console.log(JSON.stringify({ cpuSeconds: (u.user + u.system) / 1e6, held: hold.length, x: x > 0 }));`;

function metered(command: string, args: string[]) {
  return new Promise<{ usage: Awaited<ReturnType<ReturnType<typeof meterProcess>['stop']>>; stdout: string }>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const meter = meterProcess(child.pid!, { intervalMs: 100, gpu: false });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', () => void meter.stop().then((usage) => resolve({ usage, stdout })));
  });
}

const reported = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as { cpuSeconds: number });

describe('usage meter', () => {
  it('measures the CPU-seconds a child burns, within a generous range of what the child itself counted', async () => {
    const { usage, stdout } = await metered(process.execPath, ['-e', BUSY(1500)]);
    const [own] = reported(stdout);
    expect(own!.cpuSeconds).toBeGreaterThanOrEqual(1.5);
    expect(usage.cpuSeconds).toBeGreaterThan(own!.cpuSeconds * 0.8);
    expect(usage.cpuSeconds).toBeLessThan(own!.cpuSeconds * 1.25 + 0.3);
    // One thread busy: never more CPU than wall time.
    expect(usage.wallSeconds).toBeGreaterThanOrEqual(usage.cpuSeconds * 0.95);
  }, 120_000);

  it('counts the whole tree: two grandchildren started by a shell, and their resident memory', async () => {
    const script = `node -e '${BUSY(800, 150 * 2 ** 20)}' & node -e '${BUSY(800)}'; wait`;
    const { usage, stdout } = await metered('/bin/sh', ['-c', script]);
    const own = reported(stdout);
    expect(own).toHaveLength(2);
    const sum = own.reduce((s, o) => s + o.cpuSeconds, 0);
    expect(usage.cpuSeconds).toBeGreaterThan(sum * 0.75);
    expect(usage.cpuSeconds).toBeLessThan(sum * 1.25 + 0.3);
    // The first grandchild holds a 150 MiB buffer it filled (resident) while it runs.
    expect(usage.peakMemoryBytes).toBeGreaterThan(150 * 2 ** 20);
  }, 120_000);
});
