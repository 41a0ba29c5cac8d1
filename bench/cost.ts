/**
 * What measuring a command's usage costs. Run with `npm run bench -- cost`; prints JSON.
 *
 * - sample: the meter's own CPU time per /proc sample (the tree under the command through the kernel's children
 *   lists, each member's stat), measured with process.cpuUsage over a sleeping child sampled every 50 ms, beside
 *   the number of processes on the machine (what a sample would read without the children lists).
 * - overhead: the same CPU-bound child (1 s of its own CPU time) run 3 times unmetered and 3 times metered at the
 *   default 250 ms interval, wall and CPU time of this process (the meter's share of the CPU is what it costs the
 *   machine; the child's own time is unchanged by it).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { meterProcess } from '../src/domain/cost/usage-meter.js';

const BUSY = 'const t0 = process.cpuUsage(); let x = 0; for (;;) { for (let i = 0; i < 1e5; i++) x += i; const u = process.cpuUsage(t0); if (u.user + u.system >= 1e6) break; }';

function child(script: string, intervalMs: number | undefined): Promise<{ wallMs: number; meterCpuMs: number; samples: number }> {
  return new Promise((resolve) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const c = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const meter = intervalMs === undefined ? undefined : meterProcess(c.pid!, { intervalMs, gpu: false });
    c.on('close', async () => {
      await meter?.stop();
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      resolve({ wallMs, meterCpuMs: (used.user + used.system) / 1000, samples: intervalMs ? Math.floor(wallMs / intervalMs) + 1 : 0 });
    });
  });
}

export async function runCostBench(): Promise<unknown> {
  const processes = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
  const sleeping = await child('setTimeout(() => {}, 3000)', 50);
  const plain = [];
  const metered = [];
  for (let i = 0; i < 3; i++) {
    plain.push(await child(BUSY, undefined));
    metered.push(await child(BUSY, 250));
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return {
    processesOnMachine: processes,
    sample: { samples: sleeping.samples, cpuMsPerSample: sleeping.meterCpuMs / sleeping.samples, wallMs: sleeping.wallMs },
    overhead: {
      intervalMs: 250,
      unmetered: { wallMs: mean(plain.map((r) => r.wallMs)), parentCpuMs: mean(plain.map((r) => r.meterCpuMs)) },
      metered: { wallMs: mean(metered.map((r) => r.wallMs)), parentCpuMs: mean(metered.map((r) => r.meterCpuMs)) },
      meterCpuShare: (mean(metered.map((r) => r.meterCpuMs)) - mean(plain.map((r) => r.meterCpuMs))) / mean(metered.map((r) => r.wallMs)),
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) console.log(JSON.stringify(await runCostBench(), null, 2));
