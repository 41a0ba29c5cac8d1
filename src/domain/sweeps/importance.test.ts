import { describe, expect, it } from 'vitest';
import { createRng } from '../evaluation/bootstrap.js';
import { parameterImportance, treeVariances, type Tree } from './importance.js';
import { sampleParams, sampleUniform } from './space.js';
import type { Params, ParamSpec, Trial } from './types.js';

const trialsOf = (space: readonly ParamSpec[], n: number, f: (p: Params) => number, seed = 11): Trial[] => {
  const random = createRng(seed);
  return Array.from({ length: n }, (_, number) => {
    const params = sampleParams(space, (p) => sampleUniform(p, random));
    return { sweepId: 's', number, state: 'COMPLETE', params, runId: `r${number}`, value: f(params), checkedStep: 0, attempts: 1, startedAt: 0 } as Trial;
  });
};

describe('functional ANOVA of one regression tree', () => {
  it('splits the variance of a hand-built tree into its main effects exactly', () => {
    // f = 2·[x1 > 0.5] + [x2 > 0.25] on [0,1]²: root splits x1 at 0.5, each child x2 at 0.25.
    // Mean = 1 + 0.75 = 1.75. Var of 2·[x1 > 0.5] = 4·¼ = 1; Var of [x2 > 0.25] = 0.25·0.75 = 0.1875; no interaction.
    const tree: Tree = {
      feature: [0, 1, -1, -1, 1, -1, -1],
      threshold: [0.5, 0.25, 0, 0, 0.25, 0, 0],
      left: [1, 2, -1, -1, 5, -1, -1],
      right: [4, 3, -1, -1, 6, -1, -1],
      value: [0, 0, 0, 1, 0, 2, 3],
    };
    const { total, main } = treeVariances(tree, [0, 0], [1, 1]);
    expect(total).toBeCloseTo(1.1875, 12);
    expect(main[0]).toBeCloseTo(1, 12);
    expect(main[1]).toBeCloseTo(0.1875, 12);
  });

  it('an interaction is in the total but in neither main effect', () => {
    // f = [x1 > 0.5] XOR [x2 > 0.5]: each marginal is constant ½, the variance ¼ is all interaction.
    const tree: Tree = {
      feature: [0, 1, -1, -1, 1, -1, -1], threshold: [0.5, 0.5, 0, 0, 0.5, 0, 0],
      left: [1, 2, -1, -1, 5, -1, -1], right: [4, 3, -1, -1, 6, -1, -1], value: [0, 0, 0, 1, 0, 1, 0],
    };
    const { total, main } = treeVariances(tree, [0, 0], [1, 1]);
    expect(total).toBeCloseTo(0.25, 12);
    expect(main[0]).toBeCloseTo(0, 12);
    expect(main[1]).toBeCloseTo(0, 12);
  });
});

describe('parameter importance on synthetic objectives with known answers', () => {
  it('f = 10·x1 + 0.1·x2 + 0·x3: x1 dominates, x3 is about nothing', () => {
    // Variances of the terms over uniform [0,1]: 100/12, 0.01/12 and 0 → x1 explains 100/100.01 = 0.9999.
    const space: ParamSpec[] = ['x1', 'x2', 'x3'].map((name) => ({ name, type: 'uniform', min: 0, max: 1 }));
    const out = parameterImportance(space, trialsOf(space, 150, (p) => 10 * (p.x1 as number) + 0.1 * (p.x2 as number)), { seed: 1 });
    expect(out.params.map((p) => p.name)[0]).toBe('x1');
    const by = Object.fromEntries(out.params.map((p) => [p.name, p.importance]));
    expect(by.x1).toBeGreaterThan(0.97);
    expect(by.x3).toBeLessThan(0.01);
    expect(out.params.reduce((a, p) => a + p.importance, 0)).toBeCloseTo(1, 12);
    expect(out.trials).toBe(150);
  });

  it('for an additive function the main-effect fractions are the analytic variance fractions: log-uniform and categorical', () => {
    // f = ln(lr) + g(opt), lr drawn uniformly on the log scale as the sweep draws it:
    //   ln(lr) uniform on [ln 1e-4, 0]: Var = (ln 1e4)²/12 = 9.21034²/12 = 7.06921
    //   g = 0, 2, 4 for sgd, adam, rmsprop, equally likely: Var = (0 + 4 + 16)/3 − 2² = 2.66667
    // → fractions 7.06921/9.73588 = 0.72610 and 0.27390.
    const space: ParamSpec[] = [
      { name: 'lr', type: 'log_uniform', min: 1e-4, max: 1 },
      { name: 'opt', type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
    ];
    const g: Record<string, number> = { sgd: 0, adam: 2, rmsprop: 4 };
    const out = parameterImportance(space, trialsOf(space, 400, (p) => Math.log(p.lr as number) + g[p.opt as string]!), { seed: 3 });
    const by = Object.fromEntries(out.params.map((p) => [p.name, p.importance]));
    expect(Math.abs(by.lr! - 0.7261)).toBeLessThan(0.01);
    expect(Math.abs(by.opt! - 0.2739)).toBeLessThan(0.01);
  });

  it('for an additive function the main-effect fractions are the analytic variance fractions: uniform and integer', () => {
    // f = 6·x + 2·layers: Var(6x) = 36/12 = 3; layers uniform on {1, …, 6}: Var(2·layers) = 4·(6² − 1)/12 = 11.66667
    // → fractions 3/14.66667 = 0.20455 and 0.79545.
    const space: ParamSpec[] = [
      { name: 'x', type: 'uniform', min: 0, max: 1 },
      { name: 'layers', type: 'int', min: 1, max: 6, step: 1, log: false },
    ];
    const out = parameterImportance(space, trialsOf(space, 400, (p) => 6 * (p.x as number) + 2 * (p.layers as number)), { seed: 3 });
    const by = Object.fromEntries(out.params.map((p) => [p.name, p.importance]));
    expect(Math.abs(by.x! - 0.20455)).toBeLessThan(0.01);
    expect(Math.abs(by.layers! - 0.79545)).toBeLessThan(0.01);
  });

  it('is the same for the same seed, and skips conditional parameters and failed or NaN trials', () => {
    const space: ParamSpec[] = [
      { name: 'opt', type: 'categorical', values: ['sgd', 'adam'] },
      { name: 'momentum', type: 'uniform', min: 0, max: 1, when: { opt: ['sgd'] } },
      { name: 'x', type: 'uniform', min: 0, max: 1 },
    ];
    const trials = trialsOf(space, 60, (p) => (p.opt === 'sgd' ? 1 : 0) + (p.x as number));
    trials[0] = { ...trials[0]!, state: 'FAILED' };
    trials[1] = { ...trials[1]!, value: NaN };
    const a = parameterImportance(space, trials, { seed: 5, nTrees: 16 });
    expect(a).toEqual(parameterImportance(space, trials, { seed: 5, nTrees: 16 }));
    expect(a.trials).toBe(58);
    expect(a.params.map((p) => p.name).sort()).toEqual(['opt', 'x']);
    expect(a.skipped).toEqual([{ name: 'momentum', reason: expect.stringMatching(/^conditional: active in \d+ of 58 complete trials$/) }]);
  });
});
