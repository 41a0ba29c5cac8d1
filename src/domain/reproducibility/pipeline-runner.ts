import fs from 'node:fs';
import path from 'node:path';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { sha256OfFile } from './capture.js';
import { canonicalDigest, type CachedFile, type StepCache } from './pipeline-cache.js';
import type { UsageInput } from '../cost/types.js';
import type { Pipeline, ResolvedStep } from './pipeline-spec.js';
import type { STEP_STATES } from './schemas.js';

export type StepState = (typeof STEP_STATES)[number] | 'would-run';

export interface StepReport {
  readonly step: string;
  readonly state: StepState;
  readonly cache?: 'hit' | 'miss';
  /** Why the step ran, was skipped or failed, in words. */
  readonly reason?: string;
  readonly key?: string;
  readonly runId?: string;
  readonly attempts: number;
  readonly durationMs?: number;
  readonly error?: string;
}

/** Where a step's process runs. Local processes by default; a Kubernetes executor submits Jobs instead. */
export interface Executor {
  /** `usage` when the executor measured what the step used (local processes do). */
  run(step: ResolvedStep, ctx: { cwd: string; env: Record<string, string>; logFile: string }): Promise<{ exitCode: number | null; signal: string | null; timedOut: boolean; usage?: UsageInput }>;
}

/** The server side of a tracked pipeline: each attempt of a step is a run, dataset inputs are fetched by version. */
export interface StepTracker {
  /** Fetches the dataset version into `dir` and returns its digest. */
  dataset(ref: string, dir: string): Promise<string>;
  start(step: ResolvedStep, key: string, upstreamRuns: readonly string[]): Promise<{ runId: string; env: Record<string, string> }>;
  finish(runId: string, step: ResolvedStep, outcome: { status: 'FINISHED' | 'FAILED' | 'KILLED'; files: readonly CachedFile[]; logFile: string; error?: string; usage?: UsageInput }): Promise<void>;
}

export interface RunPipelineOptions {
  readonly root: string;
  readonly pipeline: Pipeline;
  readonly cache: StepCache;
  readonly executor: Executor;
  readonly tracker?: StepTracker;
  readonly onEvent?: (report: StepReport) => void;
  /** Say what would run and why, run nothing. */
  readonly dryRun?: boolean;
  /** Ignore cache entries of these steps (they run again). */
  readonly force?: readonly string[];
  readonly lockFile: string;
}

interface LockedStep {
  key: string;
  command: string;
  params: Record<string, unknown>;
  env: Record<string, string>;
  deps: { path: string; sha256: string }[];
  outs: CachedFile[];
  runId?: string;
}

interface LockFile {
  schema: 1;
  pipeline: string;
  environment?: string;
  steps: Record<string, LockedStep>;
}

const LOCK_WRITE_DELAY_MS = 200;
const IGNORED_DIRS = new Set(['.git', '.openexpert', 'node_modules', '__pycache__']);

/** Files (not folders) under `rel` of `root`, POSIX paths relative to the root; empty when it does not exist. */
function filesUnder(root: string, rel: string): { path: string; absolute: string }[] {
  const absolute = path.join(root, rel);
  const stat = fs.statSync(absolute, { throwIfNoEntry: false });
  if (!stat) return [];
  if (stat.isFile()) return [{ path: rel, absolute }];
  return (fs.readdirSync(absolute, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => ({ absolute: path.join(d.parentPath, d.name), path: path.relative(root, path.join(d.parentPath, d.name)).split(path.sep).join('/') }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function hashAll(root: string, rels: readonly string[]): Promise<CachedFile[]> {
  const out: CachedFile[] = [];
  for (const rel of rels) {
    for (const f of filesUnder(root, rel)) out.push({ path: f.path, sha256: await sha256OfFile(f.absolute), size: fs.statSync(f.absolute).size });
  }
  return out;
}

/** Size and modification time of every file, minus what steps may write; before and after a step, to catch stray writes. */
function snapshot(root: string, declared: ReadonlySet<string>, lockFile: string): Map<string, string> {
  const files = new Map<string, string>();
  // A path is declared when it or one of its folders is: a set lookup per ancestor, not a scan of every output.
  const isDeclared = (rel: string) => {
    for (let at = rel.length; at > 0; at = rel.lastIndexOf('/', at - 1)) if (declared.has(rel.slice(0, at))) return true;
    return false;
  };
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const absolute = path.join(dir, entry.name);
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      if (isDeclared(rel) || absolute === lockFile) continue;
      if (entry.isDirectory()) {
        if (!IGNORED_DIRS.has(entry.name)) walk(absolute);
      } else {
        const s = fs.statSync(absolute, { throwIfNoEntry: false });
        if (s) files.set(rel, `${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(root);
  return files;
}

function strayWrites(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const changed = [...after].filter(([p, v]) => before.get(p) !== v).map(([p]) => p);
  const removed = [...before.keys()].filter((p) => !after.has(p)).map((p) => `${p} (deleted)`);
  return [...changed, ...removed].sort();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function readLock(file: string): LockFile | undefined {
  try {
    const lock = parseYaml(fs.readFileSync(file, 'utf8')) as LockFile;
    return lock && lock.schema === 1 && typeof lock.steps === 'object' ? lock : undefined;
  } catch {
    return undefined;
  }
}

/** What changed since the lock file's record of the step: the words of `pipeline status`. */
function changesSince(locked: LockedStep | undefined, now: Omit<LockedStep, 'outs' | 'runId' | 'key'>): string {
  if (!locked) return 'it has not run before';
  const what: string[] = [];
  if (locked.command !== now.command) what.push('its command changed');
  if (canonicalDigest(locked.params) !== canonicalDigest(now.params)) what.push('its parameters changed');
  if (canonicalDigest(locked.env) !== canonicalDigest(now.env)) what.push('its environment changed');
  const before = new Map(locked.deps.map((d) => [d.path, d.sha256]));
  const after = new Map(now.deps.map((d) => [d.path, d.sha256]));
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p)).sort();
  if (changed.length) what.push(`${changed.length === 1 ? 'input' : 'inputs'} ${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ` and ${changed.length - 5} more` : ''} changed`);
  return what.length ? what.join('; ') : 'no cache entry for its current inputs';
}

/**
 * Runs the pipeline's steps, independent ones in parallel up to `parallelism`. A step whose key (command, params,
 * environment, image, and the digests of its code, inputs and datasets) has a verified cache entry is not run: its
 * outputs are restored when the folder no longer holds them. A failing step is retried with exponential backoff;
 * steps after a failed one are skipped. Completed steps are recorded in the lock file as they finish.
 */
export async function runPipeline(opts: RunPipelineOptions): Promise<StepReport[]> {
  const { root, pipeline, cache } = opts;
  const lock: LockFile = readLock(opts.lockFile) ?? { schema: 1, pipeline: pipeline.name, steps: {} };
  const previous = structuredClone(lock.steps);
  lock.pipeline = pipeline.name;
  if (pipeline.environment) lock.environment = pipeline.environment;
  else delete lock.environment;
  const declared = new Set(pipeline.steps.flatMap((s) => s.outputs.map((o) => o.path)));
  const producers = new Map(pipeline.steps.flatMap((s) => s.outputs.map((o) => [o.path, s.name] as const)));
  const reports = new Map<string, StepReport>();
  const emit = (r: StepReport) => {
    reports.set(r.step, r);
    opts.onEvent?.(r);
  };
  const writeLock = () => {
    clearTimeout(lockTimer);
    lockTimer = undefined;
    lastLockWrite = performance.now();
    const partial = `${opts.lockFile}.${process.pid}.part`;
    fs.writeFileSync(partial, toYaml(lock, { sortMapEntries: true }));
    fs.renameSync(partial, opts.lockFile);
  };
  // Rewriting the whole lock file after every step made a 200-step cached run quadratic: a step finishing
  // soon after a write waits for the next one (steps finishing together share it); the last is written at the end.
  let lockTimer: NodeJS.Timeout | undefined;
  let lastLockWrite = -Infinity;
  const saveLock = () => {
    if (lockTimer) return;
    const wait = lastLockWrite + LOCK_WRITE_DELAY_MS - performance.now();
    if (wait <= 0) writeLock();
    else lockTimer = setTimeout(writeLock, wait);
  };
  const abs = (rel: string) => path.join(root, ...rel.split('/'));

  for (const s of pipeline.steps) emit({ step: s.name, state: 'pending', attempts: 0 });

  const execute = async (step: ResolvedStep): Promise<StepReport> => {
    const started = performance.now();
    const base = { step: step.name, attempts: 0 };
    const missing = [...step.fileInputs, ...step.code].filter((p) => !fs.existsSync(abs(p)));
    if (missing.length) {
      const why = missing.map((p) => (producers.has(p) ? `'${p}' (its producer did not write it)` : `'${p}' (no step declares it as an output and it is not in ${root})`));
      return { ...base, state: 'failed', reason: `missing ${missing.length === 1 ? 'input' : 'inputs'} ${why.join(', ')}`, error: 'missing input' };
    }
    const datasets: { ref: string; path: string; digest: string }[] = [];
    for (const d of step.datasetInputs) {
      if (!opts.tracker) return { ...base, state: 'failed', reason: `dataset input ${d.dataset} needs a server (run without --offline)`, error: 'offline' };
      datasets.push({ ref: d.dataset, path: d.path, digest: await opts.tracker.dataset(d.dataset, abs(d.path)) });
    }
    const deps = [...await hashAll(root, step.fileInputs), ...await hashAll(root, step.code)].map((f) => ({ path: f.path, sha256: f.sha256 }));
    const facts = { command: step.command, params: step.params, env: step.env, deps, datasets: datasets.map((d) => ({ ref: d.ref, digest: d.digest })), image: step.image ?? null };
    const key = canonicalDigest(facts);
    const record = (outs: CachedFile[], runId: string | undefined) => {
      lock.steps[step.name] = { key, command: step.command, params: step.params, env: step.env, deps, outs, ...(runId ? { runId } : {}) };
      saveLock();
    };

    let reason = changesSince(previous[step.name], facts);
    if (!opts.force?.includes(step.name)) {
      const found = await cache.lookup(key, !opts.dryRun);
      if (found.kind === 'hit') {
        const current = await hashAll(root, step.outputs.map((o) => o.path));
        const upToDate = canonicalDigest(current) === canonicalDigest(found.entry.files);
        if (!opts.dryRun) {
          if (!upToDate) {
            for (const o of step.outputs) fs.rmSync(abs(o.path), { recursive: true, force: true });
            cache.restore(found.entry, abs);
          }
          record([...found.entry.files], found.entry.runId);
        }
        return {
          ...base, state: 'cached', cache: 'hit', key, reason: upToDate ? 'unchanged since it last ran' : 'unchanged; outputs restored from the cache',
          ...(found.entry.runId ? { runId: found.entry.runId } : {}), durationMs: performance.now() - started,
        };
      }
      if (found.kind === 'corrupt') {
        cache.forget(key);
        reason = `the cache entry was corrupt (${found.reason})`;
      }
    } else reason = 'forced';
    if (opts.dryRun) return { ...base, state: 'would-run', cache: 'miss', key, reason };

    for (const o of step.outputs) fs.rmSync(abs(o.path), { recursive: true, force: true });
    const logDir = path.join(root, '.openexpert', 'logs', pipeline.name);
    fs.mkdirSync(logDir, { recursive: true });
    const upstreamRuns = step.needs.map((n) => reports.get(n)?.runId).filter((r): r is string => r !== undefined);
    let error = '';
    let attempts = 0;
    let runId: string | undefined;
    for (let attempt = 1; attempt <= step.retries + 1; attempt++) {
      attempts = attempt;
      if (attempt > 1) await sleep(pipeline.backoffMs * 2 ** (attempt - 2));
      emit({ ...base, state: 'running', cache: 'miss', key, reason, attempts, ...(runId ? { runId } : {}) });
      const logFile = path.join(logDir, `${step.name}.log`);
      const tracked = opts.tracker ? await opts.tracker.start(step, key, upstreamRuns) : undefined;
      runId = tracked?.runId;
      const before = snapshot(root, declared, opts.lockFile);
      const outcome = await opts.executor.run(step, { cwd: root, env: { ...step.env, ...(tracked?.env ?? {}) }, logFile });
      const stray = strayWrites(before, snapshot(root, declared, opts.lockFile));
      const absent = step.outputs.filter((o) => !fs.existsSync(abs(o.path))).map((o) => o.path);
      if (outcome.timedOut) error = `timed out after ${step.timeoutMs} ms`;
      else if (outcome.signal) error = `killed by ${outcome.signal}${step.memoryBytes ? ` (memory limit ${step.memoryBytes} bytes)` : ''}`;
      else if (outcome.exitCode !== 0) error = `exited ${outcome.exitCode}${step.memoryBytes ? ` (memory limit ${step.memoryBytes} bytes may apply)` : ''}; see ${path.relative(root, logFile)}`;
      else if (absent.length) error = `did not write its declared ${absent.length === 1 ? 'output' : 'outputs'} ${absent.join(', ')}`;
      else if (stray.length) error = `wrote outside its declared outputs: ${stray.slice(0, 10).join(', ')}${stray.length > 10 ? ` and ${stray.length - 10} more` : ''}`;
      else error = '';
      const files = error ? [] : await hashAll(root, step.outputs.map((o) => o.path));
      if (tracked) await opts.tracker!.finish(tracked.runId, step, { status: error ? (outcome.signal || outcome.timedOut ? 'KILLED' : 'FAILED') : 'FINISHED', files, logFile, ...(error ? { error } : {}), ...(outcome.usage ? { usage: outcome.usage } : {}) });
      if (!error) {
        await cache.store({ key, step: step.name, files, ...(runId ? { runId } : {}), createdAt: Date.now() }, abs);
        record(files, runId);
        return { ...base, state: 'succeeded', cache: 'miss', key, reason, attempts, ...(runId ? { runId } : {}), durationMs: performance.now() - started };
      }
      // Stray writes are the step's definition at fault, not bad luck: retrying would not help.
      if (stray.length) break;
    }
    for (const o of step.outputs) fs.rmSync(abs(o.path), { recursive: true, force: true });
    return { ...base, state: 'failed', cache: 'miss', key, reason, attempts, error, ...(runId ? { runId } : {}), durationMs: performance.now() - started };
  };

  // Start every step whose needs are done, up to the limit; a failed or skipped need skips the step.
  const done = new Set<string>();
  const inFlight = new Map<string, Promise<void>>();
  const ok = (name: string) => ['succeeded', 'cached', 'would-run'].includes(reports.get(name)!.state);
  while (done.size < pipeline.steps.length) {
    for (const step of pipeline.steps) {
      if (done.has(step.name) || inFlight.has(step.name) || !step.needs.every((n) => done.has(n))) continue;
      const blocked = step.needs.filter((n) => !ok(n));
      if (blocked.length) {
        emit({ step: step.name, state: 'skipped', attempts: 0, reason: `needs ${blocked.join(', ')}, which did not complete` });
        done.add(step.name);
        continue;
      }
      if (opts.dryRun && step.needs.some((n) => reports.get(n)!.state === 'would-run')) {
        const upstream = step.needs.filter((n) => reports.get(n)!.state === 'would-run');
        emit({ step: step.name, state: 'would-run', attempts: 0, reason: `it comes after ${upstream.join(', ')}, which would run` });
        done.add(step.name);
        continue;
      }
      if (inFlight.size >= pipeline.parallelism) continue;
      inFlight.set(step.name, execute(step).then(
        (r) => emit(r),
        (err: unknown) => emit({ step: step.name, state: 'failed', attempts: 0, error: err instanceof Error ? err.message : String(err) }),
      ).finally(() => {
        inFlight.delete(step.name);
        done.add(step.name);
      }));
    }
    if (inFlight.size) await Promise.race(inFlight.values());
  }
  if (lockTimer) writeLock();
  return pipeline.steps.map((s) => reports.get(s.name)!);
}
