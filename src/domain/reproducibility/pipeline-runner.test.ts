import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { localExecutor } from './local-executor.js';
import { StepCache } from './pipeline-cache.js';
import { runPipeline, type StepReport } from './pipeline-runner.js';
import { parsePipelineText, resolvePipeline } from './pipeline-spec.js';

/** Pipelines of real shell steps in temp folders: the DAG, the cache, retries, limits and stray writes. */
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-pipeline-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let folders = 0;
function folder(files: Record<string, string> = {}): string {
  const dir = path.join(tmp, `p${++folders}`);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function run(dir: string, spec: unknown, extra: { dryRun?: boolean; environment?: string } = {}): Promise<Record<string, StepReport>> {
  const pipeline = resolvePipeline(parsePipelineText(toYaml(spec)), extra.environment);
  const reports = await runPipeline({
    root: dir, pipeline, cache: new StepCache(path.join(dir, '.openexpert', 'cache')), executor: localExecutor,
    lockFile: path.join(dir, 'openexpert.pipeline.lock'), ...(extra.dryRun ? { dryRun: true } : {}),
  });
  return Object.fromEntries(reports.map((r) => [r.step, r]));
}

const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8');

/** A random DAG: step i may read the outputs of steps before it (so there is no cycle), plus its own source file. */
const dagArb = fc.integer({ min: 2, max: 9 }).chain((n) =>
  fc.tuple(
    fc.constant(n),
    fc.array(fc.array(fc.boolean(), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }),
    fc.integer({ min: 0, max: n - 1 }),
  ));

describe('pipeline DAGs', () => {
  it('runs generated DAGs in dependency order, caches every step, and reruns exactly the descendants of a changed input', async () => {
    await fc.assert(fc.asyncProperty(dagArb, async ([n, matrix, changed]) => {
      const deps = (i: number) => Array.from({ length: i }, (_, j) => j).filter((j) => matrix[i]![j]);
      const files: Record<string, string> = {};
      for (let i = 0; i < n; i++) files[`in/s${i}.txt`] = `source ${i}\n`;
      const dir = folder(files);
      const steps = Object.fromEntries(Array.from({ length: n }, (_, i) => {
        const inputs = [`in/s${i}.txt`, ...deps(i).map((j) => `out/s${j}.txt`)];
        return [`s${i}`, { command: `mkdir -p out && cat ${inputs.join(' ')} > out/s${i}.txt`, inputs, outputs: [`out/s${i}.txt`] }];
      }));
      const spec = { name: 'generated', parallelism: 3, steps };
      // What each output must hold, computed from the graph alone.
      const expected = (i: number, sources: Record<string, string>): string => sources[`in/s${i}.txt`]! + deps(i).map((j) => expected(j, sources)).join('');
      // Steps fed (directly or through others) by step k's input.
      const descendants = (k: number): Set<number> => {
        const out = new Set([k]);
        for (let i = k + 1; i < n; i++) if (deps(i).some((j) => out.has(j))) out.add(i);
        return out;
      };

      const first = await run(dir, spec);
      expect(Object.values(first).map((r) => r.state)).toEqual(Array(n).fill('succeeded'));
      for (let i = 0; i < n; i++) expect(read(dir, `out/s${i}.txt`)).toBe(expected(i, files));

      const again = await run(dir, spec);
      expect(Object.values(again).map((r) => [r.state, r.cache])).toEqual(Array(n).fill(['cached', 'hit']));

      files[`in/s${changed}.txt`] = 'edited\n';
      fs.writeFileSync(path.join(dir, `in/s${changed}.txt`), 'edited\n');
      const dry = await run(dir, spec, { dryRun: true });
      const rerun = descendants(changed);
      expect(Object.values(dry).filter((r) => r.state === 'would-run').map((r) => r.step).sort()).toEqual([...rerun].map((i) => `s${i}`).sort());
      expect(dry[`s${changed}`]!.reason).toBe(`input in/s${changed}.txt changed`);
      const third = await run(dir, spec);
      for (let i = 0; i < n; i++) {
        expect(third[`s${i}`]!.state, `s${i}`).toBe(rerun.has(i) ? 'succeeded' : 'cached');
        expect(read(dir, `out/s${i}.txt`)).toBe(expected(i, files));
      }
    }), { numRuns: 6 });
  }, 300_000);

  it('runs independent steps in parallel up to the limit, however many there are', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (const [steps, parallelism] of [[6, 3], [12, 12]] as const) {
        const dir = folder();
        // Each step notes when it started and ended (nanoseconds) in its own output.
        const spec = { name: 'wide', parallelism, steps: Object.fromEntries(Array.from({ length: steps }, (_, i) => [`s${i}`, {
          command: `date +%s%N > o${i}.txt && sleep 0.4 && date +%s%N >> o${i}.txt`, outputs: [`o${i}.txt`],
        }])) };
        expect(Object.values(await run(dir, spec)).map((r) => r.state)).toEqual(Array(steps).fill('succeeded'));
        const spans = Array.from({ length: steps }, (_, i) => read(dir, `o${i}.txt`).trim().split('\n').map(BigInt) as [bigint, bigint]);
        const most = Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length));
        expect(most).toBeLessThanOrEqual(parallelism);
        expect(most).toBeGreaterThan(1);
      }
    } finally {
      process.off('warning', onWarning);
    }
    // Twelve steps at once used to add twelve exit listeners to the process (a MaxListenersExceededWarning).
    expect(warnings).toEqual([]);
  });

  it('refuses cycles, naming them, and unknown needs', () => {
    const cyclic = { name: 'c', steps: { a: { command: 'true', inputs: ['c.txt'], outputs: ['a.txt'] }, b: { command: 'true', inputs: ['a.txt'], outputs: ['b.txt'] }, c: { command: 'true', inputs: ['b.txt'], outputs: ['c.txt'] } } };
    expect(() => resolvePipeline(parsePipelineText(toYaml(cyclic)))).toThrow('The pipeline has a cycle: a → c → b → a');
    expect(() => resolvePipeline(parsePipelineText(toYaml({ name: 'n', steps: { a: { command: 'true', needs: ['ghost'] } } })))).toThrow("Step 'a' needs 'ghost', which is not a step of the pipeline");
    expect(() => resolvePipeline(parsePipelineText(toYaml({ name: 'n', steps: { a: { command: 'true', outputs: ['d'] }, b: { command: 'true', outputs: ['d/x'] } } })))).toThrow("Steps 'a' and 'b' both declare output 'd'");
    expect(() => parsePipelineText('name: n\nsteps:\n  a:\n    command: "true"\n    outputs: [../escape]\n')).toThrow("Invalid openexpert.pipeline.yaml at 'steps.a.outputs.0': must be a path inside the pipeline folder");
    expect(() => resolvePipeline(parsePipelineText(toYaml({ name: 'n', steps: { a: { command: 'echo ${params.lr}' } } })))).toThrow("Step 'a' uses ${params.lr} but has no parameter 'lr'");
  });

  it('fails a step with a missing input and skips what comes after it', async () => {
    const dir = folder();
    const r = await run(dir, { name: 'm', steps: { a: { command: 'cp raw.csv a.csv', inputs: ['raw.csv'], outputs: ['a.csv'] }, b: { command: 'cp a.csv b.csv', inputs: ['a.csv'], outputs: ['b.csv'] } } });
    expect(r.a).toMatchObject({ state: 'failed', reason: `missing input 'raw.csv' (no step declares it as an output and it is not in ${dir})` });
    expect(r.b).toMatchObject({ state: 'skipped', reason: 'needs a, which did not complete' });
  });

  it('fails, and does not cache, a step that writes outside its outputs or leaves one out', async () => {
    const dir = folder({ 'in.txt': 'x' });
    const spec = { name: 'w', steps: {
      stray: { command: 'cp in.txt out.txt && echo oops > stray.txt', inputs: ['in.txt'], outputs: ['out.txt'] },
      lazy: { command: 'cp in.txt one.txt', inputs: ['in.txt'], outputs: ['one.txt', 'two.txt'] },
    }, parallelism: 1 };
    const r = await run(dir, spec);
    expect(r.stray).toMatchObject({ state: 'failed', error: 'wrote outside its declared outputs: stray.txt' });
    expect(r.lazy).toMatchObject({ state: 'failed', error: 'did not write its declared output two.txt' });
    // Nothing of a failed step is kept, so the next run tries again rather than trusting it.
    expect(fs.existsSync(path.join(dir, 'out.txt'))).toBe(false);
    fs.rmSync(path.join(dir, 'stray.txt'));
    expect((await run(dir, spec)).stray!.cache).toBe('miss');
  });

  it('retries a failing step with backoff, and stops a step at its timeout without caching it', async () => {
    const counter = path.join(tmp, `count-${Date.now()}`);
    const dir = folder({ 'in.txt': 'x' });
    const r = await run(dir, { name: 'r', defaults: { backoff: '50ms' }, steps: {
      flaky: { command: `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ] && cp in.txt ok.txt`, inputs: ['in.txt'], outputs: ['ok.txt'], retries: 3 },
      slow: { command: 'sleep 30 && echo done > slow.txt', outputs: ['slow.txt'], resources: { timeout: '300ms' } },
    } });
    expect(r.flaky).toMatchObject({ state: 'succeeded', attempts: 3 });
    expect(r.slow).toMatchObject({ state: 'failed', attempts: 1, error: 'timed out after 300 ms' });
    expect(r.slow!.durationMs).toBeLessThan(25_000);
    const lock = read(dir, 'openexpert.pipeline.lock');
    expect(lock).toContain('flaky:');
    expect(lock).not.toContain('slow:');
  }, 60_000);

  it('enforces a step memory limit', async () => {
    const dir = folder();
    const r = await run(dir, { name: 'mem', steps: {
      hog: { command: 'python3 -c "b = bytearray(400 * 1024 * 1024); open(\'hog.txt\', \'w\').write(\'x\')"', outputs: ['hog.txt'], resources: { memory: '150Mi' } },
      fits: { command: 'python3 -c "b = bytearray(20 * 1024 * 1024); open(\'fits.txt\', \'w\').write(\'x\')"', outputs: ['fits.txt'], resources: { memory: '150Mi' } },
    } });
    expect(r.hog).toMatchObject({ state: 'failed' });
    expect(r.hog!.error).toContain('memory limit 157286400 bytes');
    expect(r.fits!.state).toBe('succeeded');
  }, 60_000);

  it('detects a corrupt cache entry by its digest and reruns the step', async () => {
    const dir = folder({ 'in.txt': 'payload' });
    const spec = { name: 'k', steps: { copy: { command: 'cp in.txt out.txt', inputs: ['in.txt'], outputs: ['out.txt'] } } };
    expect((await run(dir, spec)).copy!.state).toBe('succeeded');
    const objects = path.join(dir, '.openexpert/cache/objects');
    const [shard] = fs.readdirSync(objects);
    const [object] = fs.readdirSync(path.join(objects, shard!));
    fs.writeFileSync(path.join(objects, shard!, object!), 'tampered');
    fs.rmSync(path.join(dir, 'out.txt'));
    const r = await run(dir, spec);
    expect(r.copy).toMatchObject({ state: 'succeeded', cache: 'miss' });
    expect(r.copy!.reason).toMatch(/^the cache entry was corrupt \(cached copy of 'out.txt' has digest [0-9a-f]{12}…, not [0-9a-f]{12}…\)$/);
    expect(read(dir, 'out.txt')).toBe('payload');
    // Restored from a now-sound cache when the output goes away again.
    fs.rmSync(path.join(dir, 'out.txt'));
    expect((await run(dir, spec)).copy).toMatchObject({ state: 'cached', reason: 'unchanged; outputs restored from the cache' });
    expect(read(dir, 'out.txt')).toBe('payload');
  });

  it('keys the cache on command, parameters, environment overrides and code', async () => {
    const dir = folder({ 'train.sh': 'echo "lr=$1 mode=$MODE" > model.txt\n' });
    const spec = (lr: number) => ({ name: 'p', environments: { prod: { env: { MODE: 'prod' } } }, steps: {
      train: { command: 'sh train.sh ${params.lr}', code: ['train.sh'], outputs: ['model.txt'], params: { lr }, env: { MODE: 'dev' } },
    } });
    expect((await run(dir, spec(0.1))).train!.state).toBe('succeeded');
    expect(read(dir, 'model.txt')).toBe('lr=0.1 mode=dev\n');
    expect((await run(dir, spec(0.1))).train!.state).toBe('cached');
    expect((await run(dir, spec(0.2), { dryRun: true })).train).toMatchObject({ state: 'would-run', reason: 'its command changed; its parameters changed' });
    expect((await run(dir, spec(0.1), { environment: 'prod', dryRun: true })).train).toMatchObject({ state: 'would-run', reason: 'its environment changed' });
    expect((await run(dir, spec(0.1), { environment: 'prod' })).train!.state).toBe('succeeded');
    expect(read(dir, 'model.txt')).toBe('lr=0.1 mode=prod\n');
    fs.appendFileSync(path.join(dir, 'train.sh'), '# comment\n');
    expect((await run(dir, spec(0.1), { environment: 'prod', dryRun: true })).train).toMatchObject({ state: 'would-run', reason: 'input train.sh changed' });
  });

  it('applies a pipeline-wide parameter override only to the steps that declare that parameter', async () => {
    const dir = folder({ 'raw.csv': '2\n1\n' });
    const spec = { name: 'p', environments: { staging: { params: { lr: 0.5 } } }, steps: {
      prepare: { command: 'sort raw.csv > clean.csv', inputs: ['raw.csv'], outputs: ['clean.csv'] },
      train: { command: 'echo "lr=${params.lr}" > model.txt && cat clean.csv >> model.txt', inputs: ['clean.csv'], outputs: ['model.txt'], params: { lr: 0.1 } },
    } };
    expect(Object.values(await run(dir, spec)).map((r) => r.state)).toEqual(['succeeded', 'succeeded']);
    const staging = await run(dir, spec, { environment: 'staging' });
    expect(staging.prepare).toMatchObject({ state: 'cached', cache: 'hit' });
    expect(staging.train).toMatchObject({ state: 'succeeded', reason: 'its command changed; its parameters changed' });
    expect(read(dir, 'model.txt')).toBe('lr=0.5\n1\n2\n');
  });
});
