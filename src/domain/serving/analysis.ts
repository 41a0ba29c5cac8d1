import { seededRandom } from './router.js';
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
  /** Successful requests per latency bucket (LATENCY_BOUNDS_MS, last one open-ended). */
  readonly latencyCounts: readonly number[];
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
  return { requests, errors, errorRate: requests > 0 ? errors / requests : 0, p99Ms: histogramQuantile(0.99, counts), latencyCounts: counts, compared, mismatches };
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
  /** The baseline over the same window as the candidate (latency is judged on it alone). */
  readonly concurrentBaseline?: VersionFigures;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ms = (x: number) => `${x.toFixed(2)} ms`;

/** A draw from Binomial(n, p): by inversion for small means, by the normal approximation for large ones. */
function binomial(n: number, p: number, random: () => number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const mean = n * p;
  if (mean < 30 || n * (1 - p) < 30) {
    // Inversion of the CDF, walking up from 0 (or down from n when p is large, by symmetry).
    if (p > 0.5) return n - binomial(n, 1 - p, random);
    let u = random();
    let k = 0;
    let prob = (1 - p) ** n;
    const ratio = p / (1 - p);
    while (u > prob && k < n) {
      u -= prob;
      prob *= ((n - k) / (k + 1)) * ratio;
      k++;
    }
    return k;
  }
  // Box–Muller; the continuity-corrected normal is within the noise a bootstrap has anyway at these sizes.
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.min(n, Math.max(0, Math.round(mean + z * Math.sqrt(mean * (1 - p)))));
}

/** A bootstrap resample of a latency histogram: n draws from its buckets, as conditional binomials. */
function resample(counts: readonly number[], random: () => number): number[] {
  let left = counts.reduce((a, b) => a + b, 0);
  let mass = left;
  return counts.map((c) => {
    const k = mass > 0 ? binomial(left, c / mass, random) : 0;
    left -= k;
    mass -= c;
    return k;
  });
}

export interface LatencyComparison {
  readonly candidateP99Ms: number;
  readonly baselineP99Ms: number;
  /** Share of bootstrap resamples in which the candidate's p99 exceeds baseline p99 × ratio + slack. */
  readonly exceedShare: number;
  /** 90% bootstrap interval of candidate p99 ÷ baseline p99. */
  readonly ratioInterval: readonly [number, number];
}

/**
 * The p99 rule under resampling: both histograms are resampled (seeded, so a verdict can be
 * reproduced) and the limit is tested on each pair of p99s. A p99 from a few hundred requests moves
 * a lot between draws; the rule fails only when the candidate breaks the limit in nearly all of them.
 */
export function compareLatency(candidate: readonly number[], baseline: readonly number[], ratio: number, slackMs: number, resamples = 1000, seed = 99): LatencyComparison | undefined {
  const c99 = histogramQuantile(0.99, candidate);
  const b99 = histogramQuantile(0.99, baseline);
  if (c99 === undefined || b99 === undefined) return undefined;
  const random = seededRandom(seed);
  let exceed = 0;
  const ratios: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const c = histogramQuantile(0.99, resample(candidate, random))!;
    const b = histogramQuantile(0.99, resample(baseline, random))!;
    if (c > b * ratio + slackMs) exceed++;
    ratios.push(b > 0 ? c / b : Infinity);
  }
  ratios.sort((a, b) => a - b);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]!;
  return { candidateP99Ms: c99, baselineP99Ms: b99, exceedShare: exceed / resamples, ratioInterval: [at(0.05), at(0.95)] };
}

const successes = (f: VersionFigures) => f.requests - f.errors;

/**
 * Candidate vs baseline. Errors are compared with `baseline` (the same window, or the time just
 * before the rollout when the stable version got too little traffic in it); latency only with
 * `concurrent`, the stable version over the very same window, since a host's load moves both. A
 * baseline with fewer than `minRequests` requests is not compared against (only absolute limits
 * apply), so a quiet stable version never fails a candidate. `compareOutputs`: shadow rollouts,
 * whose mirrored requests are compared with the stable answers.
 */
export function analyze(
  config: AnalysisConfig, candidate: VersionFigures, baseline: VersionFigures | undefined, figures: readonly FigureValues[], compareOutputs: boolean,
  concurrent: VersionFigures | undefined = baseline,
): Verdict {
  const seen = { candidate, ...(baseline ? { baseline } : {}), ...(concurrent ? { concurrentBaseline: concurrent } : {}) };
  if (candidate.requests < config.minRequests) return { status: 'inconclusive', checks: [], ...seen };
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
  if (concurrent && successes(candidate) >= config.minLatencyRequests && successes(concurrent) >= config.minLatencyRequests) {
    const l = compareLatency(candidate.latencyCounts, concurrent.latencyCounts, config.maxLatencyRatio, config.latencySlackMs);
    if (l) {
      check('latency_p99', l.exceedShare < config.latencyConfidence,
        `candidate p99 ${ms(l.candidateP99Ms)} vs baseline ${ms(l.baselineP99Ms)} over the same window (limit × ${config.maxLatencyRatio} + ${ms(config.latencySlackMs)}); ` +
        `exceeded in ${pct(l.exceedShare)} of bootstrap resamples (fails at ${pct(config.latencyConfidence)}), p99 ratio 90% interval ${l.ratioInterval[0].toFixed(2)}–${l.ratioInterval[1].toFixed(2)}`);
    }
  }
  if (config.maxP99Ms !== undefined && candidate.p99Ms !== undefined && successes(candidate) >= config.minLatencyRequests) {
    check('latency_p99_max', candidate.p99Ms <= config.maxP99Ms, `candidate p99 ${ms(candidate.p99Ms)} (limit ${ms(config.maxP99Ms)})`);
  }
  if (compareOutputs && candidate.compared > 0) {
    const rate = candidate.mismatches / candidate.compared;
    const rule = config.compare === 'labels' ? 'predicted labels differ' : `outputs differ beyond ${config.absTolerance} + ${config.relTolerance}·|stable|`;
    check('output_mismatch', rate <= config.maxMismatchRate, `${rule} on ${pct(rate)} of ${candidate.compared} mirrored requests (limit ${pct(config.maxMismatchRate)})`);
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
  return { status: checks.every((c) => c.passed) ? 'pass' : 'fail', checks, ...seen };
}
