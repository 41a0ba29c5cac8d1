import { describe, expect, it } from 'vitest';
import { analyze, compareLatency, histogramQuantile, LATENCY_BOUNDS_MS, latencyBucket, summarize } from './analysis.js';
import { decide } from './rollout.js';
import { DEFAULT_ANALYSIS, type Deployment, type MetricSample } from './types.js';

const counts = (entries: Record<number, number>) => Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => entries[i] ?? 0);
/** Figures of one side; successes all ≤ 0.5 ms unless their latency buckets are given. */
const figures = (requests: number, errors: number, latency: Record<number, number> = { 0: requests - errors }) => {
  const latencyCounts = counts(latency);
  return { requests, errors, errorRate: errors / requests, p99Ms: histogramQuantile(0.99, latencyCounts), latencyCounts, compared: 0, mismatches: 0 };
};

describe('latency quantiles from buckets', () => {
  it('interpolates inside the bucket that holds the rank, as histogram_quantile does', () => {
    // 50 requests ≤ 0.5 ms, 40 in (1, 2], 10 in (3, 5]: rank 99 lies 9/10 into (3, 5] → 3 + 2·0.9 = 4.8 ms;
    // rank 50 is the last of the first bucket, which starts at 0 → 0.5 ms.
    const c = counts({ 0: 50, 2: 40, 4: 10 });
    expect(histogramQuantile(0.99, c)).toBeCloseTo(4.8, 10);
    expect(histogramQuantile(0.5, c)).toBeCloseTo(0.5, 10);
    expect(histogramQuantile(0.9, c)).toBeCloseTo(2, 10);
  });

  it('answers the largest finite bound for ranks in the open-ended bucket, and nothing for no data', () => {
    expect(histogramQuantile(0.99, counts({ [LATENCY_BOUNDS_MS.length]: 3 }))).toBe(10000);
    expect(histogramQuantile(0.99, counts({}))).toBeUndefined();
  });

  it('puts a latency on a bound into that bound\'s bucket (upper bounds are inclusive)', () => {
    expect(latencyBucket(0.5)).toBe(0);
    expect(latencyBucket(0.51)).toBe(1);
    expect(latencyBucket(20_000)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('merges samples from replicas and buckets by adding them', () => {
    const s = (requests: number, errors: number, c: number[]): MetricSample => ({ deployment: 'd', version: '1', bucketStart: 0, requests, errors, latencyCounts: c, compared: 2, mismatches: 1 });
    const f = summarize([s(60, 0, counts({ 0: 50, 2: 10 })), s(40, 5, counts({ 2: 30, 4: 5 }))]);
    // 100 requests, 5 errors; successes: 50 ≤ 0.5, 40 in (1,2], 5 in (3,5]: rank 0.99·95 = 94.05 → 3 + 2·(94.05 − 90)/5 = 4.62
    expect(f).toMatchObject({ requests: 100, errors: 5, errorRate: 0.05, compared: 4, mismatches: 2 });
    expect(f.p99Ms).toBeCloseTo(4.62, 10);
  });
});

describe('rollout analysis', () => {
  it('fails a candidate whose error rate exceeds the baseline by more than the allowance', () => {
    // 10% vs 1%: the limit is 1% + 2 points = 3%.
    const v = analyze(DEFAULT_ANALYSIS, figures(100, 10), figures(100, 1), [], false);
    expect(v.status).toBe('fail');
    expect(v.checks.find((c) => c.name === 'error_rate')).toMatchObject({ passed: false });
    expect(v.checks.find((c) => c.name === 'error_rate')?.message).toContain('limit 3.00%');
  });

  it('fails a candidate clearly slower than the stable version over the same window', () => {
    // 500 requests each: candidate all in (50, 75] ms, baseline all in (10, 15] ms. p99s by interpolation:
    // 50 + 25·495/500 = 74.75 and 10 + 5·495/500 = 14.95; limit 1.5·14.95 + 5 = 27.4 ms, broken in every resample.
    const v = analyze(DEFAULT_ANALYSIS, figures(500, 0, { 11: 500 }), figures(500, 0, { 7: 500 }), [], false);
    expect(v.status).toBe('fail');
    const latency = v.checks.find((c) => c.name === 'latency_p99')!;
    expect(latency.message).toContain('candidate p99 74.75 ms vs baseline 14.95 ms');
    expect(latency.message).toContain('exceeded in 100.00% of bootstrap resamples');
  });

  it('does not roll back a healthy candidate for a few slow requests that a busy host gives any version', () => {
    // Candidate: 197 of 200 in (5, 7.5] ms and 3 in (50, 75]; baseline: 199 in (5, 7.5] and 1 in (20, 30].
    // Point p99s: rank 198 → candidate 50 + 25·1/3 = 58.33 ms, baseline 5 + 2.5·198/199 = 7.49 ms, far over
    // the old point rule's 1.5·7.49 + 5 = 16.2 ms. But whether a resample holds ≥ 3 slow requests (the p99
    // rank needs that many) is Binomial(200, 0.015) ≥ 3, about 58%: far from the 95% needed to fail.
    const candidate = figures(200, 0, { 5: 197, 11: 3 });
    const baseline = figures(200, 0, { 5: 199, 9: 1 });
    expect(candidate.p99Ms).toBeCloseTo(58.333, 3);
    expect(baseline.p99Ms).toBeCloseTo(7.487, 3);
    const config = { ...DEFAULT_ANALYSIS, minLatencyRequests: 100 };
    const v = analyze(config, candidate, baseline, [], false);
    expect(v.checks.find((c) => c.name === 'latency_p99')).toMatchObject({ passed: true });
    const share = compareLatency(candidate.latencyCounts, baseline.latencyCounts, 1.5, 5)!.exceedShare;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.7);
  });

  it('judges latency only with enough requests on both sides in the same window', () => {
    const slow = figures(60, 0, { 11: 60 });
    expect(analyze(DEFAULT_ANALYSIS, slow, figures(500, 0, { 5: 500 }), [], false).checks.map((c) => c.name)).not.toContain('latency_p99');
    // The stable version over the same window is what latency is judged on, not the earlier baseline.
    const v = analyze({ ...DEFAULT_ANALYSIS, minLatencyRequests: 50 }, slow, figures(500, 0, { 5: 500 }), [], false, figures(10, 0, { 5: 10 }));
    expect(v.checks.map((c) => c.name)).toEqual(['error_rate']);
  });

  it('finds no difference between two draws of the same latencies', () => {
    const same = counts({ 3: 300, 5: 150, 8: 40, 10: 10 });
    const l = compareLatency(same, same, 1, 0)!;
    expect(l.candidateP99Ms).toBe(l.baselineP99Ms);
    expect(l.exceedShare).toBeGreaterThan(0.2);
    expect(l.exceedShare).toBeLessThan(0.6);
    expect(l.ratioInterval[0]).toBeLessThanOrEqual(1);
    expect(l.ratioInterval[1]).toBeGreaterThanOrEqual(1);
  });

  it('checks shadow output mismatches and monitoring figures in the configured direction', () => {
    const config = { ...DEFAULT_ANALYSIS, maxMismatchRate: 0.1, figures: [{ name: 'drift', maxIncrease: 0.05 }, { name: 'auc', maxDecrease: 0.01 }] };
    const candidate = { ...figures(100, 0), compared: 100, mismatches: 20 };
    const v = analyze(config, candidate, figures(100, 0), [{ name: 'drift', candidate: 0.2, baseline: 0.1 }, { name: 'auc', candidate: 0.895, baseline: 0.9 }], true);
    expect(Object.fromEntries(v.checks.map((c) => [c.name, c.passed]))).toEqual({ error_rate: true, latency_p99: true, output_mismatch: false, drift: false, auc: true });
  });

  it('fails by default a shadow candidate whose outputs differ on every mirrored request', () => {
    const v = analyze(DEFAULT_ANALYSIS, { ...figures(100, 0), compared: 100, mismatches: 100 }, figures(100, 0), [], true);
    expect(v.status).toBe('fail');
    expect(v.checks.find((c) => c.name === 'output_mismatch')?.message).toBe('outputs differ beyond 0.000001 + 0.00001·|stable| on 100.00% of 100 mirrored requests (limit 5.00%)');
  });
});

describe('rollout decisions', () => {
  const d = (over: Partial<NonNullable<Deployment['rollout']>> = {}): Deployment => ({
    name: 'd', modelName: 'm', target: 'champion', stable: { version: '1', runtime: { kind: 'onnx' } },
    rollout: { candidate: { version: '2', runtime: { kind: 'onnx' } }, strategy: 'canary', steps: [10, 50, 100], stepIndex: 0, intervalMs: 1000, stepStartedAt: 0, startedAt: 0, startedBy: 'x', phase: 'progressing', analysis: DEFAULT_ANALYSIS, ...over },
    routing: { flagHeader: 'x' }, batching: { maxBatchSize: 1, maxWaitMs: 0, workers: 1, timeoutMs: 30_000 }, logging: { sampleRate: 0 }, createdAt: 0, createdBy: 'x', updatedAt: 0, revision: 1,
  });
  const pass = analyze(DEFAULT_ANALYSIS, figures(100, 0), figures(100, 0), [], false);
  const fail = analyze(DEFAULT_ANALYSIS, figures(100, 50), figures(100, 0), [], false);

  it('rolls back on a failed check at once, mid-interval', () => {
    expect(decide(d(), fail, 10)).toMatchObject({ action: 'rollback' });
  });
  it('advances only when the interval is over, and promotes after the last step', () => {
    expect(decide(d(), pass, 999)).toEqual({ action: 'wait' });
    expect(decide(d(), pass, 1000)).toEqual({ action: 'advance', nextStep: 1 });
    expect(decide(d({ stepIndex: 2 }), pass, 1000)).toEqual({ action: 'promote' });
  });
  it('holds a paused rollout and one without enough traffic', () => {
    expect(decide(d({ phase: 'paused' }), fail, 5000)).toEqual({ action: 'wait' });
    expect(decide(d(), analyze(DEFAULT_ANALYSIS, figures(5, 0), undefined, [], false), 5000)).toEqual({ action: 'wait' });
  });
});
