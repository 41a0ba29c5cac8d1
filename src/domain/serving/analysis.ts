import type { AnalysisConfig, MetricSample } from './types.js';

/**
 * Latency bucket upper bounds in ms; counts are kept per bucket (plus one open-ended) so samples
 * from any number of replicas and time buckets merge by addition.
 */
export const LATENCY_BOUNDS_MS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2500, 5000, 10000] as const;

export function latencyBucket(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
  return i;
}

/**
 * The q-quantile of bucketed latencies as Prometheus's `histogram_quantile` computes it: find the
 * bucket holding rank q·n and interpolate linearly inside it (the first bucket starts at 0); a rank
 * in the open-ended bucket gives the largest finite bound.
 */
export function histogramQuantile(q: number, counts: readonly number[]): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (cumulative + count >= rank && count > 0) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return lower + ((upper - lower) * (rank - cumulative)) / count;
    }
    cumulative += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export interface VersionFigures {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p99Ms: number | undefined;
  readonly compared: number;
  readonly mismatches: number;
}

export function summarize(samples: readonly MetricSample[]): VersionFigures {
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  let requests = 0;
  let errors = 0;
  let compared = 0;
  let mismatches = 0;
  for (const s of samples) {
    requests += s.requests;
    errors += s.errors;
    compared += s.compared;
    mismatches += s.mismatches;
    s.latencyCounts.forEach((c, i) => {
      if (i < counts.length) counts[i]! += c;
    });
  }
  return { requests, errors, errorRate: requests > 0 ? errors / requests : 0, p99Ms: histogramQuantile(0.99, counts), compared, mismatches };
}

export interface CheckResult {
  readonly name: string;
  readonly passed: boolean;
  readonly message: string;
}

export interface FigureValues {
  readonly name: string;
  readonly candidate?: number;
  readonly baseline?: number;
}

export interface Verdict {
  /** `inconclusive`: too few candidate requests yet; the rollout waits. */
  readonly status: 'pass' | 'fail' | 'inconclusive';
  readonly checks: readonly CheckResult[];
  readonly candidate: VersionFigures;
  readonly baseline?: VersionFigures;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number) => `${x.toFixed(2)} ms`;

/**
 * Candidate vs baseline over one window. A baseline with fewer than `minRequests` requests is not
 * compared against (only absolute limits apply), so a quiet stable version never fails a candidate.
 */
export function analyze(config: AnalysisConfig, candidate: VersionFigures, baseline: VersionFigures | undefined, figures: readonly FigureValues[], shadow: boolean): Verdict {
  if (candidate.requests < config.minRequests) return { status: 'inconclusive', checks: [], candidate, ...(baseline ? { baseline } : {}) };
  const base = baseline && baseline.requests >= config.minRequests ? baseline : undefined;
  const checks: CheckResult[] = [];
  const check = (name: string, passed: boolean, message: string) => checks.push({ name, passed, message });

  if (base) {
    const limit = base.errorRate + config.maxErrorRateIncrease;
    check('error_rate', candidate.errorRate <= limit, `candidate error rate ${pct(candidate.errorRate)} vs baseline ${pct(base.errorRate)} (limit ${pct(limit)})`);
  }
  if (config.maxErrorRate !== undefined) {
    check('error_rate_max', candidate.errorRate <= config.maxErrorRate, `candidate error rate ${pct(candidate.errorRate)} (limit ${pct(config.maxErrorRate)})`);
  }
  if (base?.p99Ms !== undefined && candidate.p99Ms !== undefined) {
    const limit = base.p99Ms * config.maxLatencyRatio + config.latencySlackMs;
    check('latency_p99', candidate.p99Ms <= limit, `candidate p99 ${ms(candidate.p99Ms)} vs baseline ${ms(base.p99Ms)} (limit ${ms(limit)})`);
  }
  if (config.maxP99Ms !== undefined && candidate.p99Ms !== undefined) {
    check('latency_p99_max', candidate.p99Ms <= config.maxP99Ms, `candidate p99 ${ms(candidate.p99Ms)} (limit ${ms(config.maxP99Ms)})`);
  }
  if (shadow && config.maxMismatchRate !== undefined && candidate.compared > 0) {
    const rate = candidate.mismatches / candidate.compared;
    check('output_mismatch', rate <= config.maxMismatchRate, `outputs differ on ${pct(rate)} of ${candidate.compared} mirrored requests (limit ${pct(config.maxMismatchRate)})`);
  }
  for (const f of config.figures) {
    const v = figures.find((x) => x.name === f.name);
    if (v?.candidate === undefined || v.baseline === undefined) continue;
    if (f.maxIncrease !== undefined) {
      check(f.name, v.candidate - v.baseline <= f.maxIncrease, `${f.name}: candidate ${v.candidate} vs baseline ${v.baseline} (may rise by ${f.maxIncrease})`);
    }
    if (f.maxDecrease !== undefined) {
      check(f.name, v.baseline - v.candidate <= f.maxDecrease, `${f.name}: candidate ${v.candidate} vs baseline ${v.baseline} (may fall by ${f.maxDecrease})`);
    }
  }
  return { status: checks.every((c) => c.passed) ? 'pass' : 'fail', checks, candidate, ...(baseline ? { baseline } : {}) };
}
