import type { Clock } from '../../core/clock.js';
import { LATENCY_BOUNDS_MS, latencyBucket } from './analysis.js';
import type { ServingStore } from './serving.store.js';
import type { MetricSample } from './types.js';

interface Accumulator {
  deployment: string;
  version: string;
  bucketStart: number;
  requests: number;
  errors: number;
  latencyCounts: number[];
  compared: number;
  mismatches: number;
}

/**
 * Per-version request counters, kept in memory on the request path and written to the database as
 * samples (one row per version per flush), so rollout analysis sees every replica's traffic and
 * survives a restart. Samples are append-only: replicas never contend for a row.
 */
export class ServingStats {
  private readonly current = new Map<string, Accumulator>();
  private readonly finished: MetricSample[] = [];

  constructor(
    private readonly store: ServingStore,
    private readonly clock: Clock,
    private readonly bucketMs = 1000,
  ) {}

  private acc(deployment: string, version: string): Accumulator {
    const key = `${deployment}\u0000${version}`;
    const bucketStart = Math.floor(this.clock.now() / this.bucketMs) * this.bucketMs;
    let a = this.current.get(key);
    if (a && a.bucketStart !== bucketStart) {
      this.finished.push(toSample(a));
      a = undefined;
    }
    if (!a) {
      a = { deployment, version, bucketStart, requests: 0, errors: 0, latencyCounts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), compared: 0, mismatches: 0 };
      this.current.set(key, a);
    }
    return a;
  }

  record(deployment: string, version: string, latencyMs: number, ok: boolean): void {
    const a = this.acc(deployment, version);
    a.requests++;
    if (!ok) a.errors++;
    else a.latencyCounts[latencyBucket(latencyMs)]!++;
  }

  recordComparison(deployment: string, version: string, matched: boolean): void {
    const a = this.acc(deployment, version);
    a.compared++;
    if (!matched) a.mismatches++;
  }

  /** Writes everything counted so far; a failed write keeps the samples for the next flush. */
  async flush(): Promise<void> {
    const samples = [...this.finished.splice(0), ...[...this.current.values()].filter((a) => a.requests > 0 || a.compared > 0).map(toSample)];
    this.current.clear();
    if (samples.length === 0) return;
    try {
      await this.store.addMetricSamples(samples);
    } catch (err) {
      this.finished.unshift(...samples);
      throw err;
    }
  }
}

const toSample = (a: Accumulator): MetricSample => ({
  deployment: a.deployment, version: a.version, bucketStart: a.bucketStart, requests: a.requests, errors: a.errors,
  latencyCounts: a.latencyCounts, compared: a.compared, mismatches: a.mismatches,
});
