import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { Redactor, type RedactionOptions } from '../../domain/llmops/redaction.js';
import type { SpanKind, SpanStatus } from '../../domain/llmops/types.js';
import { HttpClient } from '../http.js';

/** What a span carries; the server computes cost from tokens when `cost` is absent. */
export interface SpanFields {
  kind?: SpanKind;
  input?: unknown;
  output?: unknown;
  model?: string;
  provider?: string;
  inputTokens?: number;
  outputTokens?: number;
  cost?: number;
  promptName?: string;
  promptVersion?: string;
  userId?: string;
  sessionId?: string;
  attributes?: Record<string, unknown>;
}

interface WireSpan extends SpanFields {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTime: number;
  endTime?: number;
  status: SpanStatus;
  error?: string;
  attributes: Record<string, unknown>;
}

/** A span in progress: the code it wraps adds outputs, usage and attributes; `trace()` ends it. */
export class ActiveSpan {
  private readonly wire: WireSpan;
  private ended = false;
  constructor(private readonly tracer: LlmTracer, name: string, parent: ActiveSpan | undefined, fields: SpanFields) {
    this.wire = {
      traceId: parent?.traceId ?? randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), ...(parent ? { parentSpanId: parent.spanId } : {}),
      name, startTime: performance.timeOrigin + performance.now(), status: 'unset', kind: fields.kind ?? 'span',
      // Who the work is for carries down to nested calls, so per-user budgets see every call made for them.
      ...(parent?.wire.userId !== undefined ? { userId: parent.wire.userId } : {}), ...(parent?.wire.sessionId !== undefined ? { sessionId: parent.wire.sessionId } : {}),
      ...fields, attributes: { ...fields.attributes },
    };
  }

  get traceId(): string {
    return this.wire.traceId;
  }

  get spanId(): string {
    return this.wire.spanId;
  }

  set(fields: SpanFields): this {
    Object.assign(this.wire, { ...fields, attributes: { ...this.wire.attributes, ...fields.attributes } });
    return this;
  }

  fail(err: unknown): this {
    this.wire.status = 'error';
    this.wire.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return this;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.wire.status === 'unset') this.wire.status = 'ok';
    this.wire.endTime = performance.timeOrigin + performance.now();
    this.tracer.enqueue(this.wire);
  }
}

export interface TracerOptions {
  /** The OpenExpert server; OPENEXPERT_URL, then http://127.0.0.1:5000. */
  readonly url?: string;
  readonly token?: string;
  /** The project traces are filed in (the default project when absent). */
  readonly project?: string;
  /** Spans are sent when this many are waiting, and every `flushIntervalMs`. */
  readonly batchSize?: number;
  readonly flushIntervalMs?: number;
  /** Redact inputs, outputs and errors before they leave the process (the server redacts again before storing). */
  readonly redact?: boolean | RedactionOptions;
  readonly fetch?: typeof fetch;
  /** Where send failures are reported (spans that could not be sent are dropped, the application goes on). */
  readonly onError?: (err: unknown) => void;
}

/**
 * Collects spans and sends them to the server in batches (`POST /api/v1/traces`). Spans nest through the async
 * context: `trace()` inside `trace()` makes a child, across awaits, without passing anything around.
 */
export class LlmTracer {
  readonly http: HttpClient;
  readonly project: string | undefined;
  private readonly context = new AsyncLocalStorage<ActiveSpan>();
  private queue: WireSpan[] = [];
  private readonly batchSize: number;
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();
  private readonly redactor: Redactor | undefined;

  constructor(private readonly options: TracerOptions = {}) {
    this.http = new HttpClient(options.url ?? process.env.OPENEXPERT_URL ?? 'http://127.0.0.1:5000', options.token ?? process.env.OPENEXPERT_TOKEN, options.fetch ?? fetch, { attempts: 4 });
    this.project = options.project;
    this.batchSize = options.batchSize ?? 100;
    this.redactor = options.redact ? new Redactor(options.redact === true ? {} : options.redact) : undefined;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 2000);
    this.timer.unref();
  }

  /** The span the calling code runs in, if any. */
  current(): ActiveSpan | undefined {
    return this.context.getStore();
  }

  /** Runs `work` in a new span (a child of the current one), ending it when `work` settles; an exception marks it failed and is rethrown. */
  async trace<T>(name: string, fields: SpanFields, work: (span: ActiveSpan) => Promise<T>): Promise<T> {
    const span = new ActiveSpan(this, name, this.current(), fields);
    try {
      return await this.context.run(span, () => work(span));
    } catch (err) {
      span.fail(err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** @internal */
  enqueue(span: WireSpan): void {
    const s = this.redactor
      ? { ...span, ...(span.input !== undefined ? { input: this.redactor.redactValue(span.input) } : {}), ...(span.output !== undefined ? { output: this.redactor.redactValue(span.output) } : {}), ...(span.error !== undefined ? { error: this.redactor.redactText(span.error).text } : {}) }
      : span;
    this.queue.push(s);
    if (this.queue.length >= this.batchSize) void this.flush();
  }

  /** Sends every span that has ended; resolves when they are stored. */
  flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.sending = this.sending.then(async () => {
      for (let i = 0; i < batch.length; i += 1000) {
        try {
          await this.http.request('POST', '/api/v1/traces', { body: { ...(this.project ? { project: this.project } : {}), spans: batch.slice(i, i + 1000) } });
        } catch (err) {
          (this.options.onError ?? ((e: unknown) => console.warn(`openexpert: could not send ${batch.length} span(s): ${(e as Error).message}`)))(err);
        }
      }
    });
    return this.sending;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
