import { describe, expect, it } from 'vitest';
import { suggest } from './samplers.js';
import { defaultGamma, defaultWeights, kernelSigmas, parzenEstimator, splitTrials, type TpeTrial } from './tpe.js';
import type { ParamSpec, SweepConfig } from './types.js';

/**
 * The hand-worked examples below follow Optuna's rules step by step; the expected log-ratios were computed
 * independently with scipy.stats.truncnorm / scipy.stats.norm (mixtures written out by hand).
 */
describe('TPE Parzen estimators, against a hand-worked example', () => {
  const x: ParamSpec = { name: 'x', type: 'uniform', min: 0, max: 10 };

  it('bandwidths: neighbour gaps, extremes looking inwards, magic clip', () => {
    // One observation at 2: gaps to the ends are 2 and 8 → 8; clip floor (10−0)/min(100, 1+2) = 3.33.
    expect(kernelSigmas([2], 0, 10)).toEqual([8]);
    // 5 and 8: the lowest looks right (3), the highest looks left (3); floor 10/4 = 2.5.
    expect(kernelSigmas([8, 5], 0, 10)).toEqual([3, 3]);
    // 1, 1.2, 9: inner gaps 0.2 are lifted to the floor 10/5 = 2; the middle one takes max(0.2, 7.8).
    expect(kernelSigmas([1, 1.2, 9], 0, 10)).toEqual([2, 7.8, 7.8]);
  });

  it('log l(x) − log g(x) for a uniform parameter', () => {
    // l: kernels N(2, 8²) and the prior N(5, 10²), truncated to [0, 10], weights ½ ½.
    // g: kernels N(5, 3²), N(8, 3²) and the prior N(5, 10²), weights ⅓ each.
    const l = parzenEstimator(x, [2]);
    const g = parzenEstimator(x, [5, 8]);
    expect(l.weights).toEqual([0.5, 0.5]);
    expect(l.logPdf(3)).toBeCloseTo(-2.232309426985925, 10);
    expect(g.logPdf(3)).toBeCloseTo(-2.428738606813884, 10);
    expect(l.logPdf(3) - g.logPdf(3)).toBeCloseTo(0.19642917982795893, 10);
    expect(l.logPdf(7.5) - g.logPdf(7.5)).toBeCloseTo(-0.28855184299274805, 10);
  });

  it('an integer parameter gives each value the mass of its ±½ cell', () => {
    // k ∈ {1..5}: range widened to [0.5, 5.5]. l over {2}: σ = max(1.5, 3.5) = 3.5; g over {4, 5}: σ = 1, 1 lifted to 5/4.
    const k: ParamSpec = { name: 'k', type: 'int', min: 1, max: 5, step: 1, log: false };
    const l = parzenEstimator(k, [2]);
    const g = parzenEstimator(k, [4, 5]);
    expect(l.logPdf(1) - g.logPdf(1)).toBeCloseTo(1.0272752100809277, 10);
    expect(l.logPdf(3) - g.logPdf(3)).toBeCloseTo(0.0411852398300383, 10);
  });

  it('a categorical parameter: prior_weight/(n+1) on every category, 1 on the observed one', () => {
    // l over [a]: kernel (1.5, .5, .5)/2.5, prior uniform, weights ½ ½ → l(a) = .3 + 1/6.
    // g over [b, b]: kernels (1/3, 4/3, 1/3)/2, prior uniform, weights ⅓ → g(a) = (1/6 + 1/6 + 1/3)/3.
    const c: ParamSpec = { name: 'c', type: 'categorical', values: ['a', 'b', 'c'] };
    expect(parzenEstimator(c, ['a']).logPdf('a') - parzenEstimator(c, ['b', 'b']).logPdf('a')).toBeCloseTo(0.7419373447293774, 12);
  });

  it('γ and the weights are Optuna\'s defaults', () => {
    expect([0, 1, 10, 11, 100, 250, 1000].map(defaultGamma)).toEqual([0, 1, 1, 2, 10, 25, 25]);
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w.slice(5)).toEqual(Array(25).fill(1));
  });

  it('splits the best γ(n) complete trials from the rest, pruned trials filling up by progress, NaN last', () => {
    const t = (number: number, value: number): TpeTrial => ({ number, state: 'COMPLETE', params: {}, value });
    const trials: TpeTrial[] = [t(0, 3), t(1, NaN), t(2, 1), t(3, 2), { number: 4, state: 'PRUNED', params: {}, lastStep: 5, lastValue: 9 }];
    expect(splitTrials(trials, 2, 'minimize').below.map((x) => x.number)).toEqual([2, 3]);
    expect(splitTrials(trials, 2, 'maximize').below.map((x) => x.number)).toEqual([0, 3]);
    // Five wanted, four complete: the pruned trial fills the fifth place; NaN ranks after every number.
    const { below, above } = splitTrials(trials, 5, 'minimize');
    expect(below.map((x) => x.number)).toEqual([0, 1, 2, 3, 4]);
    expect(above).toEqual([]);
    expect(splitTrials(trials, 3, 'minimize').below.map((x) => x.number)).toEqual([0, 2, 3]);
  });
});

describe('TPE against random search', () => {
  /** A 2-D quadratic with its minimum 0 at (1, −2). */
  const f = (p: Record<string, unknown>) => ((p.x as number) - 1) ** 2 + ((p.y as number) + 2) ** 2;
  const config = (method: 'random' | 'tpe', seed: number): SweepConfig => ({
    method, seed, metric: { name: 'loss', goal: 'minimize' }, tpe: { nStartupTrials: 10, nEiCandidates: 24 },
    parameters: [{ name: 'x', type: 'uniform', min: -10, max: 10 }, { name: 'y', type: 'uniform', min: -10, max: 10 }],
  });
  /** The best value after each trial. */
  const curve = (method: 'random' | 'tpe', seed: number, n: number) => {
    const history: TpeTrial[] = [];
    const best: number[] = [];
    for (let i = 0; i < n; i++) {
      const params = suggest(config(method, seed), i, history);
      history.push({ number: i, state: 'COMPLETE', params, value: f(params) });
      best.push(Math.min(best.at(-1) ?? Infinity, f(params)));
    }
    return best;
  };
  /** P(at least k successes of n | p = ½): the one-sided sign test. */
  const signTest = (k: number, n: number) => {
    let p = 0;
    for (let i = k; i <= n; i++) {
      let c = 1;
      for (let j = 0; j < i; j++) c = (c * (n - j)) / (j + 1);
      p += c / 2 ** n;
    }
    return p;
  };

  it('reaches lower values, and a target in fewer trials, over 20 fixed seeds', () => {
    const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
    const tpe = seeds.map((s) => curve('tpe', s, 80));
    const random = seeds.map((s) => curve('random', s, 80));
    // Both share their first 10 trials; seeds where neither improved on those are ties, left out of the sign test.
    const decided = seeds.filter((_, i) => tpe[i]!.at(-1) !== random[i]!.at(-1));
    const wins = seeds.filter((_, i) => tpe[i]!.at(-1)! < random[i]!.at(-1)!).length;
    expect(signTest(wins, decided.length)).toBeLessThan(0.001);
    // Trials until the best value is below 0.5 (81 when never): TPE needs fewer on average.
    const reach = (c: number[]) => (c.findIndex((v) => v < 0.5) + 1) || 81;
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(tpe.map(reach))).toBeLessThan(0.7 * mean(random.map(reach)));
  });

  it('the first nStartupTrials trials are the random sampler\'s', () => {
    for (let i = 0; i < 10; i++) expect(suggest(config('tpe', 7), i, [])).toEqual(suggest(config('random', 7), i, []));
  });
});
