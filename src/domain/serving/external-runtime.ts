import { KeepAliveClient, type HttpReply } from '../../core/http-client.js';
import { ModelFailure, type ModelRuntime } from './model-runtime.js';
import { nest, tensorFromJson, tensorValues, type Datatype, type ModelMetadata, type Tensor } from './tensor.js';

/**
 * Stops calling a server that keeps failing: after `threshold` failures in a row the circuit opens
 * and calls fail at once for `cooldownMs`; then one trial call decides whether it closes again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  constructor(
    private readonly threshold = 5,
    private readonly cooldownMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  async call<T>(fn: () => Promise<T>, describe: string): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.trialInFlight)) {
      throw new ModelFailure(`${describe} is unavailable (circuit open after ${this.failures} failures in a row)`, true);
    }
    if (state === 'half-open') this.trialInFlight = true;
    try {
      const result = await fn();
      this.failures = 0;
      this.openedAt = undefined;
      return result;
    } catch (err) {
      this.failures++;
      if (this.failures >= this.threshold || state === 'half-open') this.openedAt = this.now();
      throw err;
    } finally {
      if (state === 'half-open') this.trialInFlight = false;
    }
  }
}

export interface ExternalRuntimeOptions {
  readonly url: string;
  readonly protocol: 'v2' | 'mlflow';
  readonly remoteModel: string;
  /** The registry signature, when the model version has one; the remote server's own metadata otherwise (v2). */
  readonly metadata: ModelMetadata;
  readonly timeoutMs?: number;
  /** Connections kept open to the server at most (requests beyond wait for one); 32 by default. */
  readonly maxConnections?: number;
  readonly breaker?: CircuitBreaker;
  /** MLflow protocol, column-based signature: one input per column, sent as `dataframe_split` with these columns. */
  readonly columns?: readonly string[];
}

interface V2Output {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: unknown[];
}

/**
 * Any HTTP model server behind the same interface: a KServe/Triton/MLServer v2 server, or an MLflow
 * pyfunc scoring server (`/invocations`), so rollouts work for models that do not run in-process.
 */
export class ExternalRuntime implements ModelRuntime {
  readonly metadata: ModelMetadata;
  private readonly breaker: CircuitBreaker;
  private readonly base: string;
  private readonly http: KeepAliveClient;

  constructor(private readonly opts: ExternalRuntimeOptions) {
    this.metadata = opts.metadata;
    this.breaker = opts.breaker ?? new CircuitBreaker();
    this.base = opts.url.replace(/\/+$/, '');
    this.http = new KeepAliveClient(this.base, opts.maxConnections ?? 32);
  }

  infer(inputs: readonly Tensor[]): Promise<Tensor[]> {
    return this.breaker.call(() => (this.opts.protocol === 'v2' ? this.inferV2(inputs) : this.inferMlflow(inputs)), `model server ${this.base}`);
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    let res: HttpReply;
    try {
      res = await this.http.request(path, { method: 'POST', body: JSON.stringify(body), timeoutMs: this.opts.timeoutMs ?? 10_000 });
    } catch (err) {
      throw new ModelFailure(`model server ${this.base} did not answer: ${(err as Error).message}`, true);
    }
    const text = res.text;
    if (res.status < 200 || res.status > 299) throw new ModelFailure(`model server ${this.base} answered ${res.status}: ${text.slice(0, 500)}`, res.status === 503);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ModelFailure(`model server ${this.base} answered with a body that is not JSON`);
    }
  }

  private async inferV2(inputs: readonly Tensor[]): Promise<Tensor[]> {
    const body = await this.post(`/v2/models/${encodeURIComponent(this.opts.remoteModel)}/infer`, {
      inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: tensorValues(t) })),
    });
    const outputs = (body as { outputs?: V2Output[] } | null)?.outputs;
    if (!Array.isArray(outputs)) throw new ModelFailure(`model server ${this.base} answered without 'outputs'`);
    try {
      return outputs.map((o, i) => tensorFromJson(o.name, o.datatype, o.shape, o.data, `outputs[${i}]`));
    } catch (err) {
      throw new ModelFailure(`model server ${this.base} answered a malformed tensor: ${(err as Error).message}`);
    }
  }

  /** MLflow's `inputs` format: one named tensor each, nested; `predictions` comes back as one output. */
  private async inferMlflow(inputs: readonly Tensor[]): Promise<Tensor[]> {
    const only = inputs.length === 1 ? inputs[0] : undefined;
    let request: unknown;
    if (this.opts.columns) {
      const values = this.opts.columns.map((c) => tensorValues(inputs.find((t) => t.name === c) ?? inputs[0]!));
      const rows = Array.from({ length: values[0]?.length ?? 0 }, (_, i) => values.map((column) => column[i]));
      request = { dataframe_split: { columns: this.opts.columns, data: rows } };
    } else {
      request = { inputs: only ? nest(tensorValues(only), only.shape) : Object.fromEntries(inputs.map((t) => [t.name, nest(tensorValues(t), t.shape)])) };
    }
    const body = await this.post('/invocations', request);
    const predictions = (body as { predictions?: unknown } | null)?.predictions;
    if (!Array.isArray(predictions)) throw new ModelFailure(`model server ${this.base} answered without a 'predictions' list`);
    const shape = shapeOf(predictions);
    const spec = this.metadata.outputs[0];
    try {
      return [tensorFromJson(spec?.name ?? 'predictions', spec?.datatype ?? 'FP64', shape, predictions, 'predictions')];
    } catch (err) {
      throw new ModelFailure(`model server ${this.base} answered predictions that are not a tensor: ${(err as Error).message}`);
    }
  }

  /** Why the backend is not ready (its health endpoint did not answer 200), or undefined when it is. */
  async unready(): Promise<string | undefined> {
    const path = this.opts.protocol === 'v2' ? `/v2/models/${encodeURIComponent(this.opts.remoteModel)}/ready` : '/ping';
    const url = this.base + path;
    try {
      const res = await this.http.request(path, { timeoutMs: this.opts.timeoutMs ?? 10_000 });
      return res.status >= 200 && res.status <= 299 ? undefined : `${url} answered ${res.status}`;
    } catch (err) {
      return `${url} did not answer: ${(err as Error).message}`;
    }
  }

  async close(): Promise<void> {
    this.http.close();
  }
}

function shapeOf(nested: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = nested;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}
