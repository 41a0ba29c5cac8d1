import { describe, expect, it } from 'vitest';
import { route, seededRandom, stickyUnit } from './router.js';
import { DEFAULT_ANALYSIS, type Deployment, type Strategy } from './types.js';

const deployment = (strategy: Strategy, weight: number): Deployment => ({
  name: 'churn', modelName: 'churn', target: 'champion', stable: { version: '1', runtime: { kind: 'onnx' } },
  rollout: { candidate: { version: '2', runtime: { kind: 'onnx' } }, strategy, steps: [weight, 100], stepIndex: 0, intervalMs: 0, stepStartedAt: 0, startedAt: 0, startedBy: 'x', phase: 'progressing', analysis: DEFAULT_ANALYSIS },
  routing: { flagHeader: 'x-openexpert-model' }, batching: { maxBatchSize: 1, maxWaitMs: 0, workers: 1, timeoutMs: 30_000 }, logging: { sampleRate: 0 }, createdAt: 0, createdBy: 'x', updatedAt: 0, revision: 1,
});

/** |observed − np| ≤ 4.5·√(np(1−p)): a binomial count outside this happens with probability < 1e-5. */
const withinBinomial = (observed: number, n: number, p: number) => Math.abs(observed - n * p) <= 4.5 * Math.sqrt(n * p * (1 - p));

describe('traffic split', () => {
  it('sends the canary its weight of traffic, within binomial bounds, reproducibly for a seed', () => {
    const n = 20_000;
    const count = (seed: number) => {
      const random = seededRandom(seed);
      let candidate = 0;
      for (let i = 0; i < n; i++) if (route(deployment('canary', 10), {}, random).side === 'candidate') candidate++;
      return candidate;
    };
    const first = count(42);
    expect(withinBinomial(first, n, 0.1)).toBe(true);
    expect(count(42)).toBe(first);
  });

  it('keeps each sticky key on one side, and splits distinct keys by the weight', () => {
    const d = deployment('canary', 30);
    const random = seededRandom(1);
    let candidate = 0;
    for (let k = 0; k < 10_000; k++) {
      const side = route(d, { stickyKey: `user-${k}` }, random).side;
      if (side === 'candidate') candidate++;
      expect(route(d, { stickyKey: `user-${k}` }, random).side).toBe(side);
    }
    expect(withinBinomial(candidate, 10_000, 0.3)).toBe(true);
    expect(stickyUnit('churn', 'a')).toBe(stickyUnit('churn', 'a'));
  });

  it('never serves the shadow candidate, and mirrors its share of requests', () => {
    const random = seededRandom(7);
    let mirrored = 0;
    for (let i = 0; i < 10_000; i++) {
      const choice = route(deployment('shadow', 25), {}, random);
      expect(choice.side).toBe('stable');
      if (choice.mirror) mirrored++;
    }
    expect(withinBinomial(mirrored, 10_000, 0.25)).toBe(true);
  });

  it('honours a version named in the URL or by the flag header, and rejects one that is not served', () => {
    const d = deployment('canary', 0);
    const random = seededRandom(3);
    expect(route(d, { flag: 'candidate' }, random).served.version).toBe('2');
    expect(route(d, { flag: '1' }, random).side).toBe('stable');
    expect(route(d, { version: '2' }, random).side).toBe('candidate');
    expect(() => route(d, { version: '9' }, random)).toThrow(/Version '9'/);
  });
});
