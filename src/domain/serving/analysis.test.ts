import { describe, expect, it } from 'vitest';
import { analyze, histogramQuantile, LATENCY_BOUNDS_MS, latencyBucket, summarize } from './analysis.js';
import { decide } from './rollout.js';
import { DEFAULT_ANALYSIS, type Deployment, type MetricSample } from './types.js';

const counts = (entries: Record<number, number>) => Array.from({ length: LATENCY_BOUNDS_MS.length + 1 }, (_, i) => entries[i] ?? 0);
const figures = (requests: number, errors: number, p99Ms?: number) => ({ requests, errors, errorRate: errors / requests, p99Ms, compared: 0, mismatches: 0 });

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
    const v = analyze(DEFAULT_ANALYSIS, figures(100, 10, 2), figures(100, 1, 2), [], false);
    expect(v.status).toBe('fail');
    expect(v.checks.find((c) => c.name === 'error_rate')).toMatchObject({ passed: false });
    expect(v.checks.find((c) => c.name === 'error_rate')?.message).toContain('limit 3.00%');
  });

  it('fails on p99 above ratio × baseline + slack, and passes just below it', () => {
    const config = { ...DEFAULT_ANALYSIS, maxLatencyRatio: 2, latencySlackMs: 1 };
    // baseline 10 ms → limit 2·10 + 1 = 21 ms
    expect(analyze(config, figures(50, 0, 21.5), figures(50, 0, 10), [], false).status).toBe('fail');
    expect(analyze(config, figures(50, 0, 20.9), figures(50, 0, 10), [], false).status).toBe('pass');
  });

  it('waits for enough candidate traffic, and ignores a baseline too quiet to compare with', () => {
    expect(analyze(DEFAULT_ANALYSIS, figures(19, 19, 1), figures(100, 0, 1), [], false).status).toBe('inconclusive');
    const v = analyze({ ...DEFAULT_ANALYSIS, maxErrorRate: 0.05 }, figures(40, 1, 1), figures(3, 0, 1), [], false);
    expect(v.checks.map((c) => c.name)).toEqual(['error_rate_max']);
    expect(v.status).toBe('pass');
  });

  it('checks shadow output mismatches and monitoring figures in the configured direction', () => {
    const config = { ...DEFAULT_ANALYSIS, maxMismatchRate: 0.1, figures: [{ name: 'drift', maxIncrease: 0.05 }, { name: 'auc', maxDecrease: 0.01 }] };
    const candidate = { ...figures(100, 0, 1), compared: 100, mismatches: 20 };
    const v = analyze(config, candidate, figures(100, 0, 1), [{ name: 'drift', candidate: 0.2, baseline: 0.1 }, { name: 'auc', candidate: 0.895, baseline: 0.9 }], true);
    expect(Object.fromEntries(v.checks.map((c) => [c.name, c.passed]))).toEqual({ error_rate: true, latency_p99: true, output_mismatch: false, drift: false, auc: true });
  });
});

describe('rollout decisions', () => {
  const d = (over: Partial<NonNullable<Deployment['rollout']>> = {}): Deployment => ({
    name: 'd', modelName: 'm', target: 'champion', stable: { version: '1', runtime: { kind: 'onnx' } },
    rollout: { candidate: { version: '2', runtime: { kind: 'onnx' } }, strategy: 'canary', steps: [10, 50, 100], stepIndex: 0, intervalMs: 1000, stepStartedAt: 0, startedAt: 0, startedBy: 'x', phase: 'progressing', analysis: DEFAULT_ANALYSIS, ...over },
    routing: { flagHeader: 'x' }, batching: { maxBatchSize: 1, maxWaitMs: 0, workers: 1 }, logging: { sampleRate: 0 }, createdAt: 0, createdBy: 'x', updatedAt: 0, revision: 1,
  });
  const pass = analyze(DEFAULT_ANALYSIS, figures(100, 0, 1), figures(100, 0, 1), [], false);
  const fail = analyze(DEFAULT_ANALYSIS, figures(100, 50, 1), figures(100, 0, 1), [], false);

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
    expect(decide(d(), analyze(DEFAULT_ANALYSIS, figures(5, 0, 1), undefined, [], false), 5000)).toEqual({ action: 'wait' });
  });
});
