import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { ModelFailure } from './model-runtime.js';
import type { TensorData } from './tensor.js';

/**
 * onnxruntime runs in a child process per loaded model, never in the server's own: a native failure
 * (`terminate called after throwing an instance of 'Napi::Error'`, a segfault) aborts that process
 * only. Inside it, each worker thread holds its own session so `workers` calls run in parallel. The
 * sources are inline (`node -e`, `eval`) so they load the same way under tsx, vitest and the build;
 * onnxruntime-node is required by absolute path for the same reason.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const describe = (m) => m.map((v) => v.isTensor ? { name: v.name, type: v.type, shape: v.shape } : { name: v.name, type: 'non-tensor', shape: [] });
(async () => {
  let session;
  try {
    session = await ort.InferenceSession.create(workerData.model, {
      intraOpNumThreads: workerData.threads, interOpNumThreads: 1, logSeverityLevel: 4,
    });
  } catch (err) {
    parentPort.postMessage({ type: 'failed', error: String(err && err.message || err) });
    return;
  }
  parentPort.postMessage({ type: 'ready', inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) });
  parentPort.on('message', async ({ id, feeds }) => {
    try {
      const input = {};
      for (const f of feeds) input[f.name] = new ort.Tensor(f.type, f.data, f.dims);
      const result = await session.run(input);
      const outputs = [];
      for (const name of session.outputNames) {
        const t = result[name];
        outputs.push({ name, type: t.type, dims: Array.from(t.dims), data: t.data });
      }
      parentPort.postMessage({ id, outputs });
    } catch (err) {
      parentPort.postMessage({ id, error: String(err && err.message || err) });
    }
  });
})();
`;

/** The child: starts the threads, relays calls to the one named, and exits when any thread or the server goes away. */
const HOST_SOURCE = `
const { Worker } = require('node:worker_threads');
const workers = [];
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.type !== 'load') return workers[m.worker].postMessage({ id: m.id, feeds: m.feeds });
  let waiting = m.workers;
  let first;
  let failed;
  for (let i = 0; i < m.workers; i++) {
    const w = new Worker(${JSON.stringify(WORKER_SOURCE)}, { eval: true, workerData: { ortPath: m.ortPath, model: m.model, threads: m.threads } });
    workers.push(w);
    w.once('message', (r) => {
      if (r.type === 'failed') failed = failed || r;
      else first = first || r;
      if (--waiting === 0) process.send(failed || first);
      w.on('message', (reply) => process.send(reply));
    });
    w.on('error', (err) => {
      process.stderr.write('inference thread ' + i + ' failed: ' + (err && err.stack || err) + '\\n');
      if (waiting > 0) { failed = failed || { type: 'failed', error: String(err && err.message || err) }; if (--waiting === 0) process.send(failed); }
      else process.exit(70);
    });
    w.on('exit', (code) => {
      process.stderr.write('inference thread ' + i + ' stopped with exit code ' + code + '\\n');
      process.exit(70);
    });
  }
});
`;

const channelOf = (child: ChildProcess) => (child as unknown as { channel?: { ref(): void; unref(): void } }).channel;

export interface WireTensor {
  name: string;
  type: string;
  dims: number[];
  data: TensorData;
}

export interface WireSpec {
  name: string;
  type: string;
  shape: (number | string)[];
}

type HostReply =
  | { type: 'ready'; inputs: WireSpec[]; outputs: WireSpec[] }
  | { type: 'failed'; error: string }
  | { id: number; outputs: WireTensor[] }
  | { id: number; error: string };

/** One worker thread of the host, as the batching scheduler sees it: how many calls it has in flight. */
export class WorkerSlot {
  inFlight = 0;
  constructor(
    private readonly host: InferenceHost,
    private readonly index: number,
  ) {}

  run(feeds: WireTensor[]): Promise<WireTensor[]> {
    this.inFlight++;
    return this.host.call(this.index, feeds).finally(() => {
      this.inFlight--;
    });
  }
}

const STDERR_KEPT = 8_192;
const MAX_BACKOFF_MS = 10_000;
/** A process that served this long before it died starts again at the shortest back-off. */
const STABLE_MS = 30_000;

export interface HostEvents {
  /** The process died and is being started again after `delayMs`. */
  onRestart?(reason: string, delayMs: number): void;
}

/**
 * The supervised child process that runs one model: restarted with exponential back-off when it
 * dies, its calls in flight failed as unavailable (503) with the reason, its stderr kept for that reason.
 */
export class InferenceHost {
  readonly slots: WorkerSlot[];
  private child: ChildProcess | undefined;
  private readonly calls = new Map<number, { resolve(o: WireTensor[]): void; reject(e: Error): void }>();
  private nextId = 1;
  private closed = false;
  private down: string | undefined;
  private restarts = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  stderr = '';
  events: HostEvents = {};

  private constructor(
    private readonly model: Uint8Array,
    readonly workers: number,
  ) {
    this.slots = Array.from({ length: workers }, (_, i) => new WorkerSlot(this, i));
  }

  /** Starts the process and loads the model; rejects with the loader's message when it does not load. */
  static async start(model: Uint8Array, workers: number): Promise<{ host: InferenceHost; inputs: WireSpec[]; outputs: WireSpec[] }> {
    const host = new InferenceHost(model, workers);
    const ready = await host.spawn();
    return { host, inputs: ready.inputs, outputs: ready.outputs };
  }

  /** The process id, while it runs (for operators and tests that need to find it). */
  get pid(): number | undefined {
    return this.down === undefined ? this.child?.pid : undefined;
  }

  private spawn(): Promise<{ inputs: WireSpec[]; outputs: WireSpec[] }> {
    const child = spawn(process.execPath, ['-e', HOST_SOURCE], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-STDERR_KEPT);
    });
    return new Promise((resolve, reject) => {
      let state: 'loading' | 'ready' | 'failed' = 'loading';
      child.on('message', (m: HostReply) => {
        if ('id' in m) {
          const call = this.calls.get(m.id);
          this.calls.delete(m.id);
          if ('error' in m) call?.reject(new ModelFailure(m.error));
          else call?.resolve(m.outputs);
          return;
        }
        if (state !== 'loading') return;
        if (m.type === 'failed') {
          state = 'failed';
          child.kill('SIGKILL');
          reject(new Error(m.error));
          return;
        }
        state = 'ready';
        this.startedAt = performance.now();
        this.down = undefined;
        // An idle model keeps no process alive by itself; calls in flight do (see `call`).
        child.unref();
        channelOf(child)?.unref();
        resolve(m);
      });
      child.on('error', (err) => {
        if (state !== 'loading') return;
        state = 'failed';
        child.kill('SIGKILL');
        reject(err);
      });
      child.on('exit', (code, signal) => {
        const reason = this.exitReason(code, signal);
        if (state === 'loading') {
          state = 'failed';
          reject(new Error(`inference process stopped while loading: ${reason}`));
        } else if (state === 'ready' && this.child === child) {
          this.died(reason);
        }
      });
      child.send({ type: 'load', model: this.model, workers: this.workers, threads: 1, ortPath: createRequire(import.meta.url).resolve('onnxruntime-node') });
    });
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): string {
    const last = this.stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-2).join(' | ');
    return `${signal ? `killed by ${signal}` : `exit code ${code}`}${last ? ` (${last.slice(0, 500)})` : ''}`;
  }

  private died(reason: string): void {
    this.down = reason;
    for (const c of this.calls.values()) c.reject(new ModelFailure(`inference process stopped: ${reason}; restarting it`, true));
    // Each rejected call gives its slot back itself (WorkerSlot.run's `finally`); resetting the counts here
    // as well drove them below zero, and a slot at -1 is never idle again, so batched calls queued forever.
    this.calls.clear();
    if (this.closed) return;
    if (performance.now() - this.startedAt > STABLE_MS) this.restarts = 0;
    const delayMs = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.restarts);
    this.restarts++;
    this.events.onRestart?.(reason, delayMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closed) return;
      this.spawn().catch((err: Error) => this.died(`restart failed: ${err.message}`));
    }, delayMs);
    this.restartTimer.unref();
  }

  call(worker: number, feeds: WireTensor[]): Promise<WireTensor[]> {
    if (this.closed) return Promise.reject(new ModelFailure('the model was unloaded', true));
    if (this.down !== undefined || !this.child?.connected) {
      return Promise.reject(new ModelFailure(`inference process is restarting after it stopped: ${this.down ?? 'not connected'}`, true));
    }
    const id = this.nextId++;
    const child = this.child;
    if (this.calls.size === 0) channelOf(child)?.ref();
    return new Promise<WireTensor[]>((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      child.send({ id, worker, feeds }, (err) => {
        if (!err) return;
        this.calls.delete(id);
        reject(new ModelFailure(`inference process did not take the call: ${err.message}`, true));
      });
    }).finally(() => {
      if (this.calls.size === 0 && this.child === child) channelOf(child)?.unref();
    });
  }

  /** Stops the process; a process that is being torn down can only take itself with it. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    for (const c of this.calls.values()) c.reject(new ModelFailure('the model was unloaded', true));
    this.calls.clear();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.ref();
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
