import { describe, expect, it } from 'vitest';
import { treeEnsembleModel, randomTrees, type TestTreeNode } from '../../../test/support/onnx-models.js';
import { createRng } from '../evaluation/bootstrap.js';
import { kernelShap, type Predict } from './kernel-shap.js';
import { readOnnxNodes } from './onnx-graph.js';
import { partialDependence } from './partial-dependence.js';
import { permutationImportance } from './permutation-importance.js';
import { studentTQuantile } from './student-t.js';
import { coversFromData, findTreeEnsemble, rawScore } from './tree-ensemble.js';
import { treeShap } from './tree-shap.js';

/** Exact Shapley values by the definition: every coalition S of the other features, weighted |S|!(M−|S|−1)!/M!. */
function bruteForceShapley(m: number, value: (mask: number) => number): number[] {
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const v = Array.from({ length: 2 ** m }, (_, mask) => value(mask));
  const phi = new Array<number>(m).fill(0);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 2 ** m; mask++) {
      if (mask & (1 << i)) continue;
      let size = 0;
      for (let j = 0; j < m; j++) if (mask & (1 << j)) size++;
      phi[i]! += ((fact(size) * fact(m - size - 1)) / fact(m)) * (v[mask | (1 << i)]! - v[mask]!);
    }
  }
  return phi;
}

const syncPredict = (m: number, f: (x: Float64Array) => number): Predict => async (rows, count) =>
  Float64Array.from({ length: count }, (_, r) => f(rows.subarray(r * m, (r + 1) * m)));

function randomMatrix(rows: number, m: number, seed: number): Float64Array {
  const random = createRng(seed);
  return Float64Array.from({ length: rows * m }, () => Math.round((random() * 10 - 5) * 100) / 100);
}

describe('Student t quantiles', () => {
  it('match SciPy t.ppf', () => {
    // scipy.stats.t.ppf(0.975, [1, 4, 9, 29]) and t.ppf(0.95, 2)
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174696, 8);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451051977987, 9);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2621571627409915, 9);
    expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.045229642132703, 9);
    expect(studentTQuantile(0.95, 2)).toBeCloseTo(2.919985580355516, 9);
  });
});

describe('Kernel SHAP', () => {
  const m = 4;
  const background = randomMatrix(12, m, 1);
  const rows = randomMatrix(3, m, 2);

  it('gives w_i (x_i − E[x_i]) for a linear model, exactly by enumeration', async () => {
    const w = [2, -1, 0.5, 0];
    const f = syncPredict(m, (x) => 3 + w.reduce((s, wi, i) => s + wi * x[i]!, 0));
    const result = await kernelShap(f, rows, 3, background, 12, m, { budget: 2048, random: createRng(0) });
    expect(result.exact).toBe(true);
    expect(result.coalitions).toBe(14);
    for (let r = 0; r < 3; r++) {
      for (let i = 0; i < m; i++) {
        let mean = 0;
        for (let b = 0; b < 12; b++) mean += background[b * m + i]!;
        expect(result.rows[r]!.values[i]).toBeCloseTo(w[i]! * (rows[r * m + i]! - mean / 12), 10);
      }
    }
  });

  it('equals brute-force Shapley values of the interventional value function on a non-linear model', async () => {
    const g = (x: ArrayLike<number>) => x[0]! * x[1]! + Math.sin(x[2]!) * x[3]! + Math.max(0, x[1]! - x[3]!);
    const result = await kernelShap(syncPredict(m, g), rows, 3, background, 12, m, { budget: 64, random: createRng(0) });
    for (let r = 0; r < 3; r++) {
      const x = rows.subarray(r * m, (r + 1) * m);
      const value = (mask: number) => {
        let s = 0;
        for (let b = 0; b < 12; b++) s += g(Array.from({ length: m }, (_, j) => ((mask >> j) & 1 ? x[j]! : background[b * m + j]!)));
        return s / 12;
      };
      const reference = bruteForceShapley(m, value);
      const row = result.rows[r]!;
      reference.forEach((phi, i) => expect(row.values[i]).toBeCloseTo(phi, 9));
      // Additivity: the attributions sum to f(x) − E[f].
      expect(row.values.reduce((a, b) => a + b, 0)).toBeCloseTo(row.prediction - row.expected, 10);
      expect(row.prediction).toBeCloseTo(g(x), 12);
    }
  });

  it('samples coalitions when the features are too many to enumerate, and stays additive', async () => {
    const wide = 16;
    const w = Array.from({ length: wide }, (_, i) => (i % 3) - 1 + i / 10);
    const bg = randomMatrix(5, wide, 3);
    const x = randomMatrix(1, wide, 4);
    const f = syncPredict(wide, (v) => w.reduce((s, wi, i) => s + wi * v[i]!, 0));
    const result = await kernelShap(f, x, 1, bg, 5, wide, { budget: 400, random: createRng(5) });
    expect(result.exact).toBe(false);
    expect(result.coalitions).toBe(400);
    // v is linear in the coalition for a linear model, so even sampled coalitions give the exact values.
    for (let i = 0; i < wide; i++) {
      let mean = 0;
      for (let b = 0; b < 5; b++) mean += bg[b * wide + i]!;
      expect(result.rows[0]!.values[i]).toBeCloseTo(w[i]! * (x[i]! - mean / 5), 8);
    }
  });
});

/** E[f(x) | x_S] of one tree the path-dependent way: follow x on features in S, split by cover on the others. */
function conditionalExpectation(tree: readonly TestTreeNode[], x: ArrayLike<number>, mask: number, k = 0): number {
  const node = tree[k]!;
  if ('leaf' in node) return node.leaf[0]!;
  if ((mask >> node.feature) & 1) return conditionalExpectation(tree, x, mask, Math.fround(x[node.feature]!) <= Math.fround(node.threshold) ? node.yes : node.no);
  const yes = tree[node.yes]!.cover;
  const no = tree[node.no]!.cover;
  return (yes * conditionalExpectation(tree, x, mask, node.yes) + no * conditionalExpectation(tree, x, mask, node.no)) / (yes + no);
}

describe('TreeSHAP', () => {
  const m = 5;
  const trees = randomTrees({ seed: 11, trees: 4, depth: 4, features: m, rows: 200 });
  const ensemble = findTreeEnsemble(readOnnxNodes(treeEnsembleModel({ kind: 'regressor', features: m, trees, base: [0.25], hitrates: 'covers' })))!;
  const rows = Float64Array.from(randomMatrix(6, m, 9), (v) => Math.fround((v + 5) * 1.0));

  it('reads the ensemble from the ONNX graph, with its covers', () => {
    expect(ensemble.op).toBe('TreeEnsembleRegressor');
    expect(ensemble.trees).toHaveLength(4);
    expect(ensemble.coversFromModel).toBe(true);
    expect(ensemble.features).toBeLessThanOrEqual(m);
  });

  it('equals brute-force Shapley values of the path-dependent conditional expectation, and is additive', () => {
    for (let r = 0; r < 6; r++) {
      const x = rows.subarray(r * m, (r + 1) * m);
      const phi = new Float64Array(m);
      const expected = treeShap(ensemble, 0, rows, r * m, phi);
      const reference = bruteForceShapley(m, (mask) => 0.25 + trees.reduce((s, t) => s + conditionalExpectation(t, x, mask), 0));
      reference.forEach((v, i) => expect(phi[i]).toBeCloseTo(v, 5));
      expect(expected).toBeCloseTo(0.25 + trees.reduce((s, t) => s + conditionalExpectation(t, x, 0), 0), 5);
      expect(phi.reduce((a, b) => a + b, 0)).toBeCloseTo(rawScore(ensemble, 0, rows, r * m) - expected, 5);
    }
  });

  it('takes covers from data when the model has none, and stays additive', () => {
    const bare = findTreeEnsemble(readOnnxNodes(treeEnsembleModel({ kind: 'regressor', features: m, trees, aggregate: 'AVERAGE', hitrates: 'ones' })))!;
    expect(bare.coversFromModel).toBe(false);
    const data = randomMatrix(50, m, 10).map((v) => Math.fround(v + 5));
    coversFromData(bare, data, 50, m);
    const phi = new Float64Array(m);
    const expected = treeShap(bare, 0, rows, 0, phi);
    let mean = 0;
    for (let r = 0; r < 50; r++) mean += rawScore(bare, 0, data, r * m);
    // Under covers counted on the data, E[f] is the mean prediction over that data.
    expect(expected).toBeCloseTo(mean / 50, 5);
    expect(phi.reduce((a, b) => a + b, 0)).toBeCloseTo(rawScore(bare, 0, rows, 0) - expected, 5);
  });
});

describe('permutation importance and partial dependence', () => {
  const m = 3;
  const data = randomMatrix(40, m, 21);
  const w = [1.5, -2, 0];
  const f = syncPredict(m, (x) => w.reduce((s, wi, i) => s + wi * x[i]!, 0));
  const y = Float64Array.from({ length: 40 }, (_, r) => w.reduce((s, wi, i) => s + wi * data[r * m + i]!, 0));

  it('is zero for a feature the model ignores, positive for the others, and seedable', async () => {
    const run = (seed: number) => permutationImportance(f, data, 40, ['a', 'b', 'c'], y, { metric: 'r2', repeats: 5, confidence: 0.95, random: createRng(seed) });
    const result = await run(3);
    expect(result.baseline).toBeCloseTo(1, 12);
    expect(result.importances[2]!.values).toEqual([0, 0, 0, 0, 0]);
    expect(result.importances[0]!.mean).toBeGreaterThan(0.5);
    expect(result.importances[1]!.mean).toBeGreaterThan(result.importances[0]!.mean);
    const b = result.importances[1]!;
    const sd = Math.sqrt(b.values.reduce((s, v) => s + (v - b.mean) ** 2, 0) / 4);
    expect(b.ci.upper - b.mean).toBeCloseTo((2.7764451051977987 * sd) / Math.sqrt(5), 10);
    expect(b.std).toBeCloseTo(Math.sqrt(b.values.reduce((s, v) => s + (v - b.mean) ** 2, 0) / 5), 12);
    expect((await run(3)).importances).toEqual(result.importances);
  });

  it('partial dependence of a linear model is the weight times the grid value plus the mean of the rest', async () => {
    const pd = await partialDependence(f, data, 40, m, 1, 'b', 7);
    expect(pd.grid).toHaveLength(7);
    let rest = 0;
    for (let r = 0; r < 40; r++) rest += w[0]! * data[r * m]!;
    pd.grid.forEach((v, g) => expect(pd.average[g]).toBeCloseTo(-2 * v + rest / 40, 10));
  });
});
