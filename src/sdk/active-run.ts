import { isDomainError } from '../core/errors.js';
import type { KeyValue, Run, RunStatus } from '../domain/tracking/types.js';
import { LIMITS, validateKey, validateMetric } from '../domain/tracking/validation.js';
import { registerForExit, unregisterForExit, type ExitParticipant } from './exit-hooks.js';
import { OpenExpertError, type HttpClient } from './http.js';
import { HttpSink, type RunSink } from './run-sink.js';
import type { WireMetric } from './wal.js';

export type ParamValue = string | number | boolean;

export interface LogMetricOptions {
  /** 0 unless given, as in MLflow. */
  readonly step?: number;
  /** Milliseconds since the epoch; the time of the call unless given. */
  readonly timestamp?: number;
}


/** JSON has no NaN or ±Infinity; the server reads them as strings. */
const metricValueToWire = (value: number): number | string => (Number.isFinite(value) ? value : String(value));

/** The same rules the server applies, checked at the call so one bad key cannot sink a whole batch. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (isDomainError(err)) throw new OpenExpertError(err.code, 400, err.message);
    throw err;
  }
}

/**
 * A run being logged to. Params, tags and metrics are queued and sent in the background, in batches
 * within the server's limits: when 1000 metrics are waiting, at least every `flushIntervalMs`, on
 * `flush()`/`end()` and when the process exits. A failed background send never throws where it
 * happens; the first failure is kept and thrown by the next `flush()` or `end()`.
 */
export class ActiveRun implements ExitParticipant {
  readonly runId: string;
  readonly experimentId: string;

  private params: KeyValue[] = [];
  private tags: KeyValue[] = [];
  private metrics: WireMetric[] = [];
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private failure: unknown;
  private ended = false;
  private readonly sink: RunSink;

  constructor(
    http: HttpClient,
    /** The run as the server created it (or, offline, as it will be created). */
    readonly run: Run,
    private readonly flushIntervalMs = 1_000,
    sink?: RunSink,
  ) {
    this.sink = sink ?? new HttpSink(http, run.info.runId);
    this.runId = run.info.runId;
    this.experimentId = run.info.experimentId;
    registerForExit(this);
  }

  logParam(key: string, value: ParamValue): void {
    this.assertOpen();
    checked(() => validateKey('param', key));
    this.params.push({ key, value: String(value) });
    this.queued();
  }

  logParams(params: Readonly<Record<string, ParamValue>>): void {
    for (const [key, value] of Object.entries(params)) this.logParam(key, value);
  }

  setTag(key: string, value: string): void {
    this.assertOpen();
    checked(() => validateKey('tag', key));
    this.tags.push({ key, value: String(value) });
    this.queued();
  }

  setTags(tags: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(tags)) this.setTag(key, value);
  }

  logMetric(key: string, value: number, opts: LogMetricOptions = {}): void {
    this.assertOpen();
    if (typeof value !== 'number') throw new OpenExpertError('INVALID_PARAMETER_VALUE', 400, `Metric '${key}' must be a number, got ${typeof value}`);
    const metric = checked(() => validateMetric({ key, value, timestamp: opts.timestamp ?? Date.now(), step: opts.step ?? 0 }));
    this.metrics.push({ ...metric, value: metricValueToWire(value) });
    this.queued();
  }

  logMetrics(metrics: Readonly<Record<string, number>>, opts: LogMetricOptions = {}): void {
    const timestamp = opts.timestamp ?? Date.now();
    for (const [key, value] of Object.entries(metrics)) this.logMetric(key, value, { ...opts, timestamp });
  }

  /** Sends everything queued so far; throws the first failure since the last `flush()`, if any. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.draining || this.hasQueued()) await this.drain(true);
    const failure = this.failure;
    this.failure = undefined;
    if (failure !== undefined) throw failure;
  }

  /**
   * Flushes, then records the run's end. The status is sent even when the flush failed, so the run is
   * not left RUNNING; the flush's failure is thrown afterwards.
   */
  async end(status: RunStatus = 'FINISHED'): Promise<void> {
    this.ended = true;
    unregisterForExit(this);
    let failure: unknown;
    try {
      await this.flush();
    } catch (err) {
      failure = err;
    }
    try {
      await this.sink.end(status, Date.now());
    } catch (err) {
      failure ??= err;
    }
    if (failure !== undefined) throw failure;
  }

  /** @internal Called by the exit hooks: nobody is left to throw to, so failures go to stderr. */
  async closeOnExit(status: 'FINISHED' | 'KILLED'): Promise<void> {
    if (this.ended) return;
    try {
      await this.end(status);
    } catch (err) {
      console.error(`openexpert: could not finish run ${this.runId} on exit: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private assertOpen(): void {
    if (this.ended) throw new OpenExpertError('INVALID_STATE', 0, `Run ${this.runId} has ended; start a new run to log more`);
  }

  private hasQueued(): boolean {
    return this.params.length > 0 || this.tags.length > 0 || this.metrics.length > 0;
  }

  private queued(): void {
    if (this.draining) return;
    if (this.metrics.length >= LIMITS.batchMetrics) {
      void this.drain(false);
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain(true);
      }, this.flushIntervalMs);
      // A pending flush must not keep the process alive; `beforeExit` flushes what is left.
      this.timer.unref();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One drain at a time; it never rejects. `everything` sends all that is queued when it starts (a flush,
   * a tick of the timer); otherwise only full batches go. Metrics logged while it runs go in full
   * batches too, so a steady trickle is still sent in batches rather than one request per round trip.
   */
  private drain(everything: boolean): Promise<void> {
    this.draining ??= this.sendAll(everything).finally(() => {
      this.draining = undefined;
      // What is left waits for a full batch or the next tick of the timer.
      if (this.hasQueued() && !this.ended) this.queued();
    });
    return this.draining;
  }

  private async sendAll(everything: boolean): Promise<void> {
    this.clearTimer();
    let owed = everything ? this.metrics.length : 0;
    for (;;) {
      if (this.params.length > 0 || this.tags.length > 0) {
        // Params and tags go first and on their own, so a rejected param surfaces early and costs no metrics.
        await this.send({ params: this.params.splice(0, LIMITS.batchParams), tags: this.tags.splice(0, LIMITS.batchTags) });
      } else if (this.metrics.length >= LIMITS.batchMetrics || (owed > 0 && this.metrics.length > 0)) {
        const metrics = this.metrics.splice(0, LIMITS.batchMetrics);
        owed -= metrics.length;
        await this.send({ metrics });
      } else {
        return;
      }
    }
  }

  private async send(batch: { params?: KeyValue[]; tags?: KeyValue[]; metrics?: WireMetric[] }): Promise<void> {
    try {
      await this.sink.batch(batch);
    } catch (err) {
      this.failure ??= err;
    }
  }
}
