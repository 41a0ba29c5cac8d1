import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { invalid } from '../../core/errors.js';
import { freePort } from '../../core/net.js';
import { ExternalRuntime } from './external-runtime.js';
import { ModelFailure, type ModelRuntime } from './model-runtime.js';
import type { ModelMetadata, Tensor } from './tensor.js';

/** MLflow's own scoring server, run with the user's Python and the libraries already installed there. */
export const DEFAULT_PYTHON_COMMAND = 'mlflow models serve -m {model_uri} -p {port} --env-manager local';

export interface PythonRuntimeOptions {
  /** The command line; `{model_uri}` (the model's local directory) and `{port}` are filled in. Split on spaces, run without a shell. */
  readonly command: string;
  readonly modelDir: string;
  /** Everything the process writes goes here (appended across restarts). */
  readonly logFile: string;
  readonly metadata: ModelMetadata;
  /** Column names of a column-based signature: requests go as `dataframe_split` with them. */
  readonly columns?: readonly string[];
  /** For messages: which model this is. */
  readonly describe: string;
  readonly startTimeoutMs?: number;
  readonly healthIntervalMs?: number;
  /** The process died or stopped answering and is being started again. */
  readonly onRestart?: (reason: string) => void;
}

const LOG_KEPT = 4_096;
const MAX_BACKOFF_MS = 30_000;
const STABLE_MS = 60_000;
/** Health checks that may fail in a row before a running process is restarted. */
const HEALTH_FAILURES = 3;

/**
 * A model version served by a scoring process OpenExpert starts and supervises: it is ready when
 * `/ping` answers, health-checked while it runs, restarted with exponential back-off when it dies
 * or stops answering, its output kept in a log file, and stopped (its whole process group) on close.
 * Requests go through the same MLflow `/invocations` client as any external model server.
 */
export class PythonRuntime implements ModelRuntime {
  readonly metadata: ModelMetadata;
  private child: ChildProcess | undefined;
  private client: ExternalRuntime | undefined;
  private down: string | undefined = 'not started';
  private closed = false;
  private restarts = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private health: NodeJS.Timeout | undefined;
  private log: WriteStream | undefined;
  private tail = '';
  private port: number | undefined;

  private constructor(private readonly opts: PythonRuntimeOptions) {
    this.metadata = opts.metadata;
  }

  /** Starts the process and waits for `/ping`; a clear DomainError when it cannot start or never answers. */
  static async start(opts: PythonRuntimeOptions): Promise<PythonRuntime> {
    const r = new PythonRuntime(opts);
    await mkdir(path.dirname(opts.logFile), { recursive: true });
    r.log = createWriteStream(opts.logFile, { flags: 'a' });
    try {
      await r.launch();
    } catch (err) {
      await r.close();
      throw err;
    }
    r.watch();
    return r;
  }

  /** The scoring process, while it runs. */
  get pid(): number | undefined {
    return this.down === undefined ? this.child?.pid : undefined;
  }

  get logFile(): string {
    return this.opts.logFile;
  }

  private write(text: string): void {
    this.log?.write(text);
    this.tail = (this.tail + text).slice(-LOG_KEPT);
  }

  private lastLines(): string {
    return this.tail.trim().split('\n').slice(-5).join(' | ').slice(-800);
  }

  private async launch(): Promise<void> {
    const port = await freePort();
    this.port = port;
    const [exe, ...args] = this.opts.command.trim().split(/\s+/).map((part) => part.replaceAll('{model_uri}', this.opts.modelDir).replaceAll('{port}', String(port)));
    if (!exe) throw invalid('The scoring command is empty');
    this.write(`\n--- ${new Date().toISOString()} starting: ${[exe, ...args].join(' ')}\n`);
    // Its own process group, so stopping it also stops the workers it forks (gunicorn, uvicorn).
    const child = spawn(exe, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.write(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.write(d.toString()));
    const exited = new Promise<string>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? 'ENOENT' : err.message));
      child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`));
    });
    const client = new ExternalRuntime({
      url: `http://127.0.0.1:${port}`, protocol: 'mlflow', remoteModel: this.opts.describe, metadata: this.metadata,
      ...(this.opts.columns ? { columns: this.opts.columns } : {}),
    });
    const deadline = performance.now() + (this.opts.startTimeoutMs ?? 120_000);
    let gone: string | undefined;
    void exited.then((reason) => (gone = reason));
    while (gone === undefined) {
      if (await ping(port)) break;
      if (performance.now() > deadline) {
        this.kill(child);
        throw invalid(`${this.opts.describe}: the scoring process did not answer /ping within ${Math.round((this.opts.startTimeoutMs ?? 120_000) / 1000)} s (log: ${this.opts.logFile}): ${this.lastLines()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    if (gone === 'ENOENT') {
      throw invalid(
        `${this.opts.describe} needs a Python scoring process (its flavors are not ONNX), but '${exe}' was not found. ` +
        "Install Python 3 with MLflow and the model's libraries (e.g. `pip install mlflow scikit-learn`), " +
        'or set the scoring command: --serving-python-command on the server, or runtime.command on the deployment',
      );
    }
    if (gone !== undefined) throw invalid(`${this.opts.describe}: the scoring process stopped before it answered /ping (${gone}; log: ${this.opts.logFile}): ${this.lastLines()}`);
    this.client = client;
    this.down = undefined;
    this.startedAt = performance.now();
    void exited.then((reason) => {
      if (this.child === child) this.died(reason);
    });
  }

  /** Health checks while it runs: a process that stops answering /ping is restarted like one that died. */
  private watch(): void {
    let failures = 0;
    this.health = setInterval(() => {
      const port = this.port;
      if (this.down !== undefined || port === undefined) return;
      void ping(port).then((ok) => {
        failures = ok ? 0 : failures + 1;
        if (failures >= HEALTH_FAILURES && this.child) {
          failures = 0;
          const child = this.child;
          this.died(`/ping failed ${HEALTH_FAILURES} times in a row`);
          this.kill(child);
        }
      });
    }, this.opts.healthIntervalMs ?? 5_000);
    this.health.unref();
  }

  private died(reason: string): void {
    this.child = undefined;
    // Its kept-alive connections went with the process.
    void this.client?.close();
    this.client = undefined;
    this.down = reason;
    this.write(`--- ${new Date().toISOString()} stopped: ${reason}\n`);
    if (this.closed) return;
    if (performance.now() - this.startedAt > STABLE_MS) this.restarts = 0;
    const delayMs = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.restarts);
    this.restarts++;
    this.opts.onRestart?.(reason);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.launch().catch((err: Error) => this.died(`restart failed: ${err.message}`));
    }, delayMs);
    this.timer.unref();
  }

  infer(inputs: readonly Tensor[]): Promise<Tensor[]> {
    if (this.closed) return Promise.reject(new ModelFailure('the model was unloaded', true));
    if (!this.client || this.down !== undefined) {
      return Promise.reject(new ModelFailure(`the scoring process is restarting after it stopped (${this.down ?? 'not running'}): ${this.lastLines()}`, true));
    }
    return this.client.infer(inputs);
  }

  private kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.health) clearInterval(this.health);
    await this.client?.close();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      this.kill(child);
      const forced = setTimeout(() => this.kill(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    }
    await new Promise<void>((resolve) => (this.log ? this.log.end(() => resolve()) : resolve()));
  }
}

async function ping(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
