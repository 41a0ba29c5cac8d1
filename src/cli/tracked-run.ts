import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { clientUrl } from '../config/config.js';
import { invalid } from '../core/errors.js';
import { artifactPathOf } from '../domain/artifacts/artifact-uri.js';
import type { DatasetVersion } from '../domain/datasets/types.js';
import { environmentFacts, findLockFiles, gitState, hardwareFacts, paramsOf, seedsOf, sha256OfFile } from '../domain/reproducibility/capture.js';
import type { UsageInput } from '../domain/cost/types.js';
import { meterProcess } from '../domain/cost/usage-meter.js';
import type { CaptureInput } from '../domain/reproducibility/schemas.js';
import type { Capture } from '../domain/reproducibility/types.js';
import type { Run } from '../domain/tracking/types.js';
import { authHeaders, collectFiles, getFile, progress, putFile } from './dataset-transfer.js';
import { HttpClient, type RequestOptions } from '../sdk/http.js';
import type { Common } from './models.command.js';

const enc = encodeURIComponent;
const ARTIFACT_PROXY = '/api/2.0/mlflow-artifacts/artifacts';
/** Where `openexpert run` keeps what it captured, under the run's artifact root. */
export const CAPTURE_DIR = 'openexpert';

export interface TrackedRunOptions extends Common {
  /** The experiment by name (created when missing), or by id. */
  readonly experiment?: string;
  readonly experimentId?: string;
  readonly runName?: string;
  /** Files or folders the command reads, relative to `cwd`: hashed and kept with the run. */
  readonly inputs?: readonly string[];
  /** `name@version` or `name@version:dir`: fetched into `dir` (default `data/<name>`) before the command starts. */
  readonly datasets?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  /** Extra environment for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the command's output is echoed besides the log: its own streams (the default), all to stderr, or nowhere. */
  readonly echo?: Echo;
  /** Attach to this existing run (a sweep's trial) instead of creating one; its tags are left as they are. */
  readonly runId?: string;
  /** What was gathered about the working directory and environment for an earlier command in the same place. */
  readonly prepared?: PreparedCapture;
  /** Runs the command as the leader of its own process group; told its pid, so the whole group can be signalled. */
  readonly onSpawn?: (pid: number) => void;
}

/** What `openexpert run` gathers before the command starts; the same for every trial of a sweep run from one place. */
export interface PreparedCapture {
  readonly git: Awaited<ReturnType<typeof gitState>>;
  readonly datasets: CaptureInput['datasets'];
  readonly inputs: readonly { path: string; absolute: string; size: number; sha256: string }[];
  readonly lockFiles: readonly { path: string; absolute: string; size: number; sha256: string }[];
  readonly environment: Awaited<ReturnType<typeof environmentFacts>>;
}

export type Echo = 'inherit' | 'stderr' | 'none';

export interface TrackedRunResult {
  readonly runId: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly capture: Capture;
}

/** The native API as the command's user: `--user` (auth off), else a bearer token from the environment. */
export function apiOf(opts: Common) {
  const http = new HttpClient(clientUrl(opts.url), undefined, fetch);
  const headers = authHeaders(opts);
  return <T>(method: string, urlPath: string, options: RequestOptions = {}) => http.request<T>(method, urlPath, { ...options, headers: { ...headers, ...options.headers } });
}

const artifactUrl = (opts: Common, run: Run, relative: string) =>
  `${ARTIFACT_PROXY}/${[...artifactPathOf(run.info.artifactUri).split('/'), ...relative.split('/')].map(enc).join('/')}`;

async function putText(opts: Common, run: Run, relative: string, text: string): Promise<void> {
  const res = await fetch(clientUrl(opts.url) + artifactUrl(opts, run, relative), { method: 'PUT', body: text, headers: authHeaders(opts) });
  if (!res.ok) throw invalid(`Keeping '${relative}' with run ${run.info.runId} failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

async function putPath(opts: Common, run: Run, relative: string, file: string): Promise<void> {
  const size = fs.statSync(file).size;
  await putFile(opts, artifactUrl(opts, run, relative), file, size, new PassThrough());
}

/** Downloads one kept file, checking it against the digest recorded with the run. */
export async function fetchArtifact(opts: Common, run: Run, relative: string, sha256: string, size: number, out: string): Promise<void> {
  await getFile(opts, artifactUrl(opts, run, relative), { path: relative, sha256, size }, `run ${run.info.runId}`, out, new PassThrough());
}

/** `name@3:dir` → the dataset, its version and where its files go. */
function parseDatasetSpec(spec: string): { name: string; ref: string; dir: string } {
  const m = /^([^@:]+)@([^:]+)(?::(.+))?$/.exec(spec);
  if (!m) throw invalid(`Invalid dataset '${spec}': write name@version, optionally :dir (e.g. churn@3:data/churn)`);
  return { name: m[1]!, ref: m[2]!, dir: m[3] ?? path.join('data', m[1]!) };
}

async function materializeDatasets(opts: Common, specs: readonly string[], cwd: string): Promise<CaptureInput['datasets']> {
  const api = apiOf(opts);
  const out: CaptureInput['datasets'][number][] = [];
  for (const spec of specs) {
    const { name, ref, dir } = parseDatasetSpec(spec);
    const base = `/api/v1/datasets/${enc(name)}/versions/${enc(ref)}`;
    const v = await api<DatasetVersion>('GET', base);
    const bar = progress(`fetching ${name}@${v.version}`, v.size);
    try {
      for (const f of v.files) await getFile(opts, `${base}/file?path=${enc(f.path)}`, f, `${name}@${v.version}`, path.join(cwd, dir, ...f.path.split('/')), bar.counter());
    } finally {
      bar.stop();
    }
    out.push({ name: v.name, version: v.version, digest: v.digest, path: dir.split(path.sep).join('/') });
  }
  return out;
}

function osUser(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return process.env.USER || undefined;
  }
}

/**
 * Runs `command` in `cwd` as a tracked run: the run is created first, so the MLflow client inside the command
 * attaches to it through MLFLOW_RUN_ID; afterwards the output log, the uncommitted diff, lock files and input
 * files are kept with the run and the capture is stored. The run ends FINISHED, FAILED or KILLED by exit status.
 */
export async function prepareCapture(opts: TrackedRunOptions, command: readonly string[], cwd: string): Promise<PreparedCapture> {
  const git = await gitState(cwd);
  const datasets = await materializeDatasets(opts, opts.datasets ?? [], cwd);
  const inputFiles = (opts.inputs ?? []).flatMap((i) => {
    const absolute = path.resolve(cwd, i);
    const files = collectFiles(absolute);
    const base = fs.statSync(absolute).isFile() ? path.dirname(absolute) : absolute;
    return files.map((f) => ({ ...f, path: path.relative(cwd, path.join(base, f.path)).split(path.sep).join('/') }));
  });
  const inputs = await Promise.all(inputFiles.map(async (f) => ({ path: f.path, absolute: f.absolute, size: f.size, sha256: await sha256OfFile(f.absolute) })));
  const lockPaths = findLockFiles([...new Set([cwd, ...(git ? [git.root] : [])])]);
  const lockFiles = await Promise.all(lockPaths.map(async (file) => ({
    path: path.relative(git?.root ?? cwd, file).split(path.sep).join('/'), absolute: file, size: fs.statSync(file).size, sha256: await sha256OfFile(file),
  })));
  const environment = await environmentFacts(command, cwd);
  return { git, datasets, inputs, lockFiles, environment };
}

export async function trackedRun(opts: TrackedRunOptions, command: readonly string[], cwd: string): Promise<TrackedRunResult> {
  if (command.length === 0) throw invalid('Give the command to run after --, e.g. openexpert run --experiment churn -- python train.py');
  const api = apiOf(opts);
  const { git, datasets, inputs, lockFiles, environment } = opts.prepared ?? await prepareCapture(opts, command, cwd);
  const childEnv: Record<string, string> = { ...(opts.env ?? {}) };
  const seeds = seedsOf(command, { ...process.env, ...childEnv });

  const experimentId = opts.experimentId ?? (opts.experiment !== undefined ? await experimentIdOf(opts, opts.experiment) : '0');
  const user = opts.user ?? osUser();
  const tags: Record<string, string> = {
    'mlflow.source.name': command.join(' ').slice(0, 500),
    'mlflow.source.type': 'LOCAL',
    ...(user ? { 'mlflow.user': user } : {}),
    ...(git ? { 'mlflow.source.git.commit': git.commit, ...(git.remote ? { 'mlflow.source.git.repoURL': git.remote } : {}), ...(git.branch ? { 'mlflow.source.git.branch': git.branch } : {}) } : {}),
    ...Object.fromEntries(Object.entries(seeds).map(([k, v]) => [`openexpert.seed.${k}`, v])),
    ...(datasets.length ? { dataset_version: datasets.map((d) => `${d.name}@${d.version}`).join(',') } : {}),
    ...(opts.tags ?? {}),
  };
  const run = opts.runId ? await api<Run>('GET', `/api/v1/runs/${opts.runId}`) : await api<Run>('POST', '/api/v1/runs', {
    body: {
      experimentId, ...(opts.runName ? { runName: opts.runName } : {}), ...(user ? { userId: user } : {}), startTime: Date.now(),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    },
    headers: { 'idempotency-key': randomUUID() },
  });
  const runId = run.info.runId;
  // The server links a run tagged `dataset_version=name@N` to that version itself; a list of several needs edges.
  if (datasets.length > 1) {
    await api('POST', '/api/v1/lineage/edges', {
      body: { edges: datasets.map((d) => ({ from: { kind: 'dataset_version', id: `${d.name}@${d.version}` }, to: { kind: 'run', id: runId }, relation: 'consumed' })) },
    });
  }

  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'oe-run-')), 'output.log');
  const started = performance.now();
  const outcome = await runProcess(command, cwd, {
    ...childEnv,
    MLFLOW_TRACKING_URI: clientUrl(opts.url),
    MLFLOW_RUN_ID: runId,
    MLFLOW_EXPERIMENT_ID: run.info.experimentId,
    OPENEXPERT_URL: clientUrl(opts.url),
    OPENEXPERT_RUN_ID: runId,
  }, logFile, opts.echo ?? 'inherit', opts.onSpawn).catch(async (err: unknown) => {
    await api('PATCH', `/api/v1/runs/${runId}`, { body: { status: 'FAILED', endTime: Date.now() } });
    throw err;
  });
  const wallTimeMs = performance.now() - started;
  // Usage is kept even when the server refuses it (a deleted run): the command's own outcome matters more.
  await api('POST', `/api/v1/runs/${runId}/usage`, { body: { ...outcome.usage, source: opts.runId ? 'sweep-trial' : 'run' } })
    .catch((err: unknown) => process.stderr.write(`openexpert: recording the run's usage failed: ${(err as Error).message}\n`));
  const datasetsRead = [...datasets, ...await datasetsReadBy(opts, runId, datasets)];

  let diffSha256: string | undefined;
  if (git && git.diff) {
    diffSha256 = createHash('sha256').update(git.diff).digest('hex');
    await putText(opts, run, `${CAPTURE_DIR}/git.diff`, git.diff);
  }
  await putPath(opts, run, `${CAPTURE_DIR}/output.log`, logFile);
  fs.rmSync(path.dirname(logFile), { recursive: true, force: true });
  for (const f of lockFiles) await putPath(opts, run, `${CAPTURE_DIR}/env/${f.path}`, f.absolute);
  for (const f of inputs) await putPath(opts, run, `${CAPTURE_DIR}/inputs/${f.path}`, f.absolute);

  const relativeCwd = git ? path.relative(git.root, cwd).split(path.sep).join('/') : cwd;
  const captureInput: CaptureInput = {
    command: [...command],
    cwd: relativeCwd,
    ...(git ? { git: {
      commit: git.commit, root: git.root, dirty: git.diff !== '',
      ...(git.remote ? { remote: git.remote } : {}), ...(git.branch ? { branch: git.branch } : {}),
      ...(diffSha256 ? { diffArtifact: `${CAPTURE_DIR}/git.diff`, diffSha256 } : {}),
    } } : {}),
    environment: { ...environment, lockFiles: lockFiles.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, artifact: `${CAPTURE_DIR}/env/${f.path}` })) },
    inputs: inputs.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, artifact: `${CAPTURE_DIR}/inputs/${f.path}` })),
    datasets: datasetsRead,
    seeds,
    ...(Object.keys(childEnv).length ? { env: childEnv } : {}),
    params: paramsOf(command),
    hardware: hardwareFacts(),
    wallTimeMs,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    logArtifact: `${CAPTURE_DIR}/output.log`,
  };
  const capture = await api<Capture>('PUT', `/api/v1/runs/${runId}/capture`, { body: captureInput });
  const status = outcome.signal ? 'KILLED' : outcome.exitCode === 0 ? 'FINISHED' : 'FAILED';
  await api('PATCH', `/api/v1/runs/${runId}`, { body: { status, endTime: Date.now() } });
  return { runId, exitCode: outcome.exitCode, signal: outcome.signal, capture };
}

/**
 * Dataset versions the command read through OpenExpert itself (`openexpert data get` inside it, an MLflow
 * `log_input` of a version's digest): the server's lineage has them as `consumed` edges into the run.
 */
async function datasetsReadBy(opts: Common, runId: string, fetched: CaptureInput['datasets']): Promise<CaptureInput['datasets']> {
  const api = apiOf(opts);
  const graph = await api<{ nodes: { kind: string; id: string; label?: string }[]; edges: { from: { kind: string; id: string }; relation: string }[] }>(
    'GET', `/api/v1/lineage/run/${runId}`, { query: { direction: 'upstream', depth: 1 } });
  const labels = new Map(graph.nodes.filter((n) => n.kind === 'dataset_version').map((n) => [n.id, n.label]));
  const known = new Set(fetched.map((d) => `${d.name}@${d.version}`));
  const refs = new Set(graph.edges.filter((e) => e.from.kind === 'dataset_version' && e.relation === 'consumed').map((e) => labels.get(e.from.id) ?? e.from.id));
  const out: CaptureInput['datasets'][number][] = [];
  for (const ref of [...refs].filter((r) => /@\d+$/.test(r) && !known.has(r)).sort()) {
    const at = ref.lastIndexOf('@');
    const v = await api<DatasetVersion>('GET', `/api/v1/datasets/${enc(ref.slice(0, at))}/versions/${ref.slice(at + 1)}`);
    out.push({ name: v.name, version: v.version, digest: v.digest });
  }
  return out;
}

/** The experiment's id, created when missing (safe when several processes race to create it). */
export async function experimentIdOf(opts: Common, name: string): Promise<string> {
  const api = apiOf(opts);
  try {
    return (await api<{ experimentId: string }>('GET', `/api/v1/experiments/by-name/${enc(name)}`)).experimentId;
  } catch (err) {
    if ((err as { code?: string }).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
  }
  try {
    return (await api<{ experimentId: string }>('POST', '/api/v1/experiments', { body: { name } })).experimentId;
  } catch (err) {
    // Another process created it first.
    if ((err as { code?: string }).code !== 'RESOURCE_ALREADY_EXISTS') throw err;
    return (await api<{ experimentId: string }>('GET', `/api/v1/experiments/by-name/${enc(name)}`)).experimentId;
  }
}

/**
 * Runs the command with its output copied to `logFile` (and echoed); SIGINT and SIGTERM reach the command, so
 * stopping `openexpert run` stops what it runs and the run is recorded as KILLED.
 */
export function runProcess(
  command: readonly string[], cwd: string, env: Record<string, string>, logFile: string, echo: Echo, onSpawn?: (pid: number) => void,
): Promise<{ exitCode: number | null; signal: string | null; usage: UsageInput }> {
  return new Promise((resolve, reject) => {
    const log = fs.createWriteStream(logFile);
    const group = onSpawn !== undefined;
    const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['inherit', 'pipe', 'pipe'], detached: group });
    const forward = (signal: NodeJS.Signals) => {
      if (group && child.pid) signalGroup(child.pid, signal);
      else child.kill(signal);
    };
    if (group && child.pid) onSpawn(child.pid);
    // CPU, memory and wall time of the command and everything it starts (GPU too when nvidia-smi answers).
    const meter = child.pid !== undefined ? meterProcess(child.pid) : undefined;
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (echo !== 'none') (echo === 'inherit' ? process.stdout : process.stderr).write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (echo !== 'none') process.stderr.write(chunk);
    });
    child.on('error', (err) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      log.end();
      void meter?.stop();
      reject(invalid(`Cannot start '${command[0]}': ${err.message}`));
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      const usage = meter ? meter.stop() : Promise.resolve({ cpuSeconds: 0, peakMemoryBytes: 0, wallSeconds: 0 });
      log.end(() => void usage.then((u) => resolve({ exitCode: code, signal, usage: u })));
    });
  });
}

/** Signals a process group (a command started with `onSpawn`); false when it is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
