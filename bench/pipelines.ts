/**
 * Pipeline scheduling and caching. Run with `npm run bench -- pipelines`; prints JSON.
 *
 * - dag200: a 200-step DAG (20 layers of 10; each step concatenates two outputs of the layer before) run by the
 *   pipeline runner with 2 steps at once, against the same 200 commands spawned directly (no hashing, no cache,
 *   no lock file) in the same order and with the same parallelism: the difference per step is the runner's
 *   overhead. Then the run again with every step cached: its time per step is the cost of a cache hit (hash the
 *   inputs, look the key up, re-hash the cached outputs, write the lock file).
 * - lookup: StepCache.lookup alone for 200 entries of 4 KiB outputs, with and without re-hashing the objects.
 * - speedup: 6 independent CPU-bound steps at parallelism 1 and 2 (on this 2-core machine the ceiling is 2).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { localExecutor } from '../src/domain/reproducibility/local-executor.js';
import { canonicalDigest, StepCache } from '../src/domain/reproducibility/pipeline-cache.js';
import { runPipeline } from '../src/domain/reproducibility/pipeline-runner.js';
import { parsePipelineText, resolvePipeline, type Pipeline } from '../src/domain/reproducibility/pipeline-spec.js';

const LAYERS = 20;
const WIDTH = 10;

function dagSpec() {
  const steps: Record<string, unknown> = {};
  for (let l = 0; l < LAYERS; l++) {
    for (let w = 0; w < WIDTH; w++) {
      const inputs = l === 0 ? ['seed.txt'] : [`out/s${l - 1}-${w}.txt`, `out/s${l - 1}-${(w + 1) % WIDTH}.txt`];
      steps[`s${l}-${w}`] = { command: `cat ${inputs.join(' ')} | head -c 4096 > out/s${l}-${w}.txt`, inputs, outputs: [`out/s${l}-${w}.txt`] };
    }
  }
  return { name: 'bench', parallelism: 2, steps };
}

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-pipelines-'));
  fs.mkdirSync(path.join(dir, 'out'));
  fs.writeFileSync(path.join(dir, 'seed.txt'), 'x'.repeat(2048));
  return dir;
}

const sh = (command: string, cwd: string) => new Promise<void>((resolve, reject) => {
  const child = spawn('/bin/sh', ['-c', command], { cwd, stdio: 'ignore' });
  child.on('error', reject);
  child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
});

/** The pipeline's commands with nothing around them: each starts once its needs are done, two at a time. */
async function direct(pipeline: Pipeline, cwd: string, parallelism: number): Promise<number> {
  const started = performance.now();
  const done = new Set<string>();
  const running = new Map<string, Promise<void>>();
  while (done.size < pipeline.steps.length) {
    for (const s of pipeline.steps) {
      if (done.has(s.name) || running.has(s.name) || running.size >= parallelism || !s.needs.every((n) => done.has(n))) continue;
      running.set(s.name, sh(s.command, cwd).then(() => {
        running.delete(s.name);
        done.add(s.name);
      }));
    }
    await Promise.race(running.values());
  }
  return performance.now() - started;
}

async function viaRunner(pipeline: Pipeline, dir: string): Promise<{ ms: number; states: Record<string, number> }> {
  const started = performance.now();
  const reports = await runPipeline({
    root: dir, pipeline, cache: new StepCache(path.join(dir, '.openexpert', 'cache')), executor: localExecutor, lockFile: path.join(dir, 'openexpert.pipeline.lock'),
  });
  const states: Record<string, number> = {};
  for (const r of reports) states[r.state] = (states[r.state] ?? 0) + 1;
  return { ms: performance.now() - started, states };
}

async function dag200() {
  const pipeline = resolvePipeline(parsePipelineText(toYaml(dagSpec())));
  const plain = folder();
  const tracked = folder();
  try {
    const directMs = await direct(pipeline, plain, 2);
    const cold = await viaRunner(pipeline, tracked);
    const warm = await viaRunner(pipeline, tracked);
    const steps = pipeline.steps.length;
    return {
      steps,
      parallelism: 2,
      directMs: Math.round(directMs),
      runnerColdMs: Math.round(cold.ms),
      runnerColdStates: cold.states,
      overheadPerStepMs: +((cold.ms - directMs) / steps).toFixed(2),
      overheadRatio: +(cold.ms / directMs).toFixed(2),
      allCachedMs: Math.round(warm.ms),
      allCachedStates: warm.states,
      cacheHitPerStepMs: +(warm.ms / steps).toFixed(2),
    };
  } finally {
    fs.rmSync(plain, { recursive: true, force: true });
    fs.rmSync(tracked, { recursive: true, force: true });
  }
}

async function lookup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-bench-cache-'));
  try {
    const cache = new StepCache(path.join(dir, 'cache'));
    const keys: string[] = [];
    for (let i = 0; i < 200; i++) {
      const file = path.join(dir, `o${i}.bin`);
      fs.writeFileSync(file, Buffer.alloc(4096, i));
      const key = canonicalDigest({ i });
      keys.push(key);
      const { createHash } = await import('node:crypto');
      await cache.store({ key, step: `s${i}`, files: [{ path: `o${i}.bin`, sha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex'), size: 4096 }], createdAt: 0 }, (p) => path.join(dir, p));
    }
    const time = async (verify: boolean) => {
      const started = performance.now();
      for (const k of keys) if ((await cache.lookup(k, verify)).kind !== 'hit') throw new Error('expected a hit');
      return +(((performance.now() - started) * 1000) / keys.length).toFixed(1);
    };
    await time(true);
    return { entries: keys.length, outputBytes: 4096, verifiedLookupUs: await time(true), unverifiedLookupUs: await time(false) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function speedup() {
  const steps = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [
    `cpu${i}`, { command: `i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; echo $i > c${i}.txt`, outputs: [`c${i}.txt`] },
  ]));
  const at = async (parallelism: number) => {
    const dir = folder();
    try {
      return (await viaRunner(resolvePipeline(parsePipelineText(toYaml({ name: 'cpu', parallelism, steps }))), dir)).ms;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const one = await at(1);
  const two = await at(2);
  return { steps: 6, cores: os.cpus().length, loadAverage1m: +os.loadavg()[0]!.toFixed(1), parallelism1Ms: Math.round(one), parallelism2Ms: Math.round(two), speedup: +(one / two).toFixed(2) };
}

export async function runPipelinesBench() {
  return { dag200: await dag200(), lookup: await lookup(), speedup: await speedup() };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await runPipelinesBench(), null, 2));
