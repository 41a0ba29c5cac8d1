import { invalid } from '../../core/errors.js';
import { InferenceHost, type HostEvents, type WireSpec, type WireTensor, type WorkerSlot } from './inference-host.js';
import { ModelFailure, type ModelRuntime } from './model-runtime.js';
import { allocate, fromOrtType, ortType, type ModelMetadata, type Tensor, type TensorData, type TensorSpec } from './tensor.js';
import type { BatchingConfig } from './types.js';

/** What the workers need of a deployment's batching settings (the request timeout is applied above them). */
type WorkerBatching = Pick<BatchingConfig, 'maxBatchSize' | 'maxWaitMs' | 'workers'>;

interface Pending {
  readonly inputs: readonly Tensor[];
  readonly rows: number;
  readonly enqueuedAt: number;
  resolve(outputs: Tensor[]): void;
  reject(err: Error): void;
}

const toSpec = (m: WireSpec): TensorSpec => {
  const datatype = fromOrtType(m.type);
  if (!datatype) throw invalid(`Model input or output '${m.name}' has type '${m.type}', which serving does not support`);
  return { name: m.name, datatype, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
};

/** Dimension 0 of every input and output is free: requests can be stacked along it and split apart again. */
const batchable = (m: ModelMetadata) => [...m.inputs, ...m.outputs].every((s) => s.shape.length >= 1 && s.shape[0] === -1);

/** Requests batch together when their inputs agree on everything but the number of rows. */
const batchKey = (inputs: readonly Tensor[]) =>
  inputs.map((t) => `${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`).sort().join('|');

function concat(parts: readonly TensorData[], total: number, datatype: Tensor['datatype']): TensorData {
  if (Array.isArray(parts[0])) return (parts as string[][]).flat();
  const out = allocate(datatype, total) as Float32Array;
  let offset = 0;
  for (const p of parts as Float32Array[]) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const fromWire = (t: WireTensor): Tensor => ({ name: t.name, datatype: fromOrtType(t.type) ?? 'FP32', shape: t.dims, data: t.data });
const toWire = (t: Tensor): WireTensor => ({ name: t.name, type: ortType(t.datatype), dims: [...t.shape], data: t.data });

/**
 * An ONNX model on a pool of worker threads, in its own supervised process (see InferenceHost), with
 * adaptive micro-batching: a request goes at once when every worker is idle; otherwise it waits at most `maxWaitMs` for company (or until `maxBatchSize`
 * rows are queued), and while every worker is busy the queue grows, so batches get larger exactly
 * when the load is high.
 */
export class OnnxRuntime implements ModelRuntime {
  private readonly queues = new Map<string, Pending[]>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly canBatch: boolean;
  private readonly workers: readonly WorkerSlot[];
  /** Rows per dispatched batch, for the batch-size histogram. */
  onBatch: ((rows: number) => void) | undefined;

  private constructor(
    readonly metadata: ModelMetadata,
    private readonly host: InferenceHost,
    private readonly batching: WorkerBatching,
  ) {
    this.canBatch = batchable(metadata) && batching.maxBatchSize > 1;
    this.workers = host.slots;
  }

  static async load(model: Uint8Array, batching: WorkerBatching, events: HostEvents = {}): Promise<OnnxRuntime> {
    let started: Awaited<ReturnType<typeof InferenceHost.start>>;
    try {
      started = await InferenceHost.start(model, batching.workers);
    } catch (err) {
      throw invalid(`The ONNX model failed to load: ${(err as Error).message}`);
    }
    let metadata: ModelMetadata;
    try {
      metadata = { platform: 'onnxruntime', inputs: started.inputs.map(toSpec), outputs: started.outputs.map(toSpec) };
    } catch (err) {
      await started.host.close();
      throw err;
    }
    started.host.events = events;
    return new OnnxRuntime(metadata, started.host, batching);
  }

  /** The process running the model, while it runs. */
  get pid(): number | undefined {
    return this.host.pid;
  }

  infer(inputs: readonly Tensor[]): Promise<Tensor[]> {
    if (this.closed) return Promise.reject(new ModelFailure('the model was unloaded', true));
    const rows = inputs[0]?.shape[0] ?? 1;
    if (!this.canBatch || rows >= this.batching.maxBatchSize) return this.runAlone(inputs);
    return new Promise((resolve, reject) => {
      const key = batchKey(inputs);
      const queue = this.queues.get(key) ?? [];
      queue.push({ inputs, rows, enqueuedAt: performance.now(), resolve, reject });
      this.queues.set(key, queue);
      this.dispatch();
    });
  }

  private async runAlone(inputs: readonly Tensor[]): Promise<Tensor[]> {
    const worker = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const outputs = await worker.run(inputs.map(toWire));
    this.onBatch?.(inputs[0]?.shape[0] ?? 1);
    return outputs.map(fromWire);
  }

  /** Sends every batch that is ready to an idle worker; arms a timer for the oldest one that is not. */
  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = performance.now();
    let nextDue = Infinity;
    for (const [key, queue] of this.queues) {
      while (queue.length > 0) {
        const idle = this.workers.find((w) => w.inFlight === 0);
        if (!idle) return;
        const queuedRows = queue.reduce((n, p) => n + p.rows, 0);
        const due = queue[0]!.enqueuedAt + this.batching.maxWaitMs;
        // With every worker idle the load is light: waiting for company would only add latency.
        const busy = this.workers.some((w) => w.inFlight > 0);
        if (busy && queuedRows < this.batching.maxBatchSize && now < due) {
          nextDue = Math.min(nextDue, due);
          break;
        }
        const batch: Pending[] = [];
        let rows = 0;
        while (queue.length > 0 && rows + queue[0]!.rows <= this.batching.maxBatchSize) {
          const p = queue.shift()!;
          batch.push(p);
          rows += p.rows;
        }
        void this.runBatch(idle, batch, rows);
      }
      if (queue.length === 0) this.queues.delete(key);
    }
    if (nextDue < Infinity) this.timer = setTimeout(() => this.dispatch(), Math.max(0, nextDue - now));
  }

  private async runBatch(worker: WorkerSlot, batch: Pending[], rows: number): Promise<void> {
    try {
      const first = batch[0]!.inputs;
      const feeds = first.map((t) => {
        const parts = batch.map((p) => p.inputs.find((x) => x.name === t.name)!.data);
        return toWire({ name: t.name, datatype: t.datatype, shape: [rows, ...t.shape.slice(1)], data: concat(parts, parts.reduce((n, d) => n + d.length, 0), t.datatype) });
      });
      let outputs: WireTensor[];
      try {
        outputs = await worker.run(feeds);
      } catch (err) {
        // One bad request must not fail its neighbours: a failed batch is retried one request at a time.
        if (batch.length === 1) throw err;
        await Promise.all(batch.map((p) => worker.run(p.inputs.map(toWire)).then((o) => p.resolve(o.map(fromWire)), (e: Error) => p.reject(e))));
        return;
      }
      this.onBatch?.(rows);
      let offset = 0;
      for (const p of batch) {
        p.resolve(outputs.map((o) => {
          const inner = o.dims.slice(1).reduce((a, b) => a * b, 1);
          const data = (o.data as Float32Array).slice(offset * inner, (offset + p.rows) * inner) as TensorData;
          return fromWire({ name: o.name, type: o.type, dims: [p.rows, ...o.dims.slice(1)], data });
        }));
        offset += p.rows;
      }
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    } finally {
      this.dispatch();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const queue of this.queues.values()) for (const p of queue) p.reject(new ModelFailure('the model was unloaded', true));
    this.queues.clear();
    await this.host.close();
  }
}
