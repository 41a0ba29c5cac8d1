/**
 * Parameter importance by functional ANOVA over a random forest (Hutter, Hoos & Leyton-Brown, "An Efficient
 * Approach for Assessing Hyperparameter Importance", ICML 2014), as Optuna's FanovaImportanceEvaluator computes it:
 * a forest of regression trees is fitted to the complete trials (parameters → objective), and for each tree the
 * variance of its prediction over the search space is split into the parts each parameter explains on its own
 * (the variance of the tree's marginal over that parameter). A parameter's importance is that fraction averaged
 * over the trees, the fractions then normalized to sum to 1.
 *
 * The search space is measured as the sweep draws from it: uniform on [min, max], uniform on the log scale for
 * `log_uniform` and log integers (Optuna measures them linearly here; we follow the sampling distribution), each
 * integer and each category an equal share. The forest is scikit-learn's RandomForestRegressor with Optuna's
 * settings: bootstrap samples, every feature considered at each split (in a seeded random order, the first best
 * split kept), thresholds halfway between neighbouring values, leaves down to one sample, depth at most 64.
 */
import { createRng } from '../evaluation/bootstrap.js';
import type { ParamSpec, Trial } from './types.js';

export interface ImportanceOptions {
  readonly seed: number;
  readonly nTrees: number;
  readonly maxDepth: number;
}

export const IMPORTANCE_DEFAULTS: ImportanceOptions = { seed: 0, nTrees: 64, maxDepth: 64 };

export interface ParamImportance {
  readonly name: string;
  /** The parameter's share of the explained variance (all shares sum to 1). */
  readonly importance: number;
  /** The standard deviation of the unnormalized fraction over the trees: how much the forest agrees. */
  readonly std: number;
}

export interface Importance {
  /** Most important first. */
  readonly params: readonly ParamImportance[];
  /** Parameters left out, with why (conditional ones not active in every complete trial, ones with a single value). */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** Complete trials with a finite objective the forest was fitted to. */
  readonly trials: number;
  readonly seed: number;
  readonly nTrees: number;
}

/** The least complete trials an estimate is made from. */
export const MIN_IMPORTANCE_TRIALS = 2;

/** A parameter as a number on the scale it is drawn uniformly on, and that scale's bounds. */
interface Feature {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
  readonly encode: (v: Trial['params'][string]) => number;
}

function feature(p: ParamSpec): Feature | undefined {
  switch (p.type) {
    case 'uniform': return { name: p.name, lo: p.min, hi: p.max, encode: (v) => Number(v) };
    case 'log_uniform': return { name: p.name, lo: Math.log(p.min), hi: Math.log(p.max), encode: (v) => Math.log(Number(v)) };
    case 'int': {
      if (p.min === p.max) return undefined;
      // Each integer owns its ±½-step cell, as the sampler draws it.
      const [lo, hi] = [p.min - p.step / 2, p.max + p.step / 2];
      return p.log ? { name: p.name, lo: Math.log(lo), hi: Math.log(hi), encode: (v) => Math.log(Number(v)) } : { name: p.name, lo, hi, encode: (v) => Number(v) };
    }
    case 'categorical': {
      if (p.values.length < 2) return undefined;
      const index = new Map(p.values.map((v, i) => [JSON.stringify(v), i]));
      return { name: p.name, lo: -0.5, hi: p.values.length - 0.5, encode: (v) => index.get(JSON.stringify(v)) ?? NaN };
    }
  }
}

/** Regression tree as flat arrays; a leaf has feature −1. */
export interface Tree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

/** A CART regression tree (squared error) on the rows `rows` (with repeats, as a bootstrap sample has them). */
export function fitTree(columns: readonly Float64Array[], y: Float64Array, rows: Int32Array, random: () => number, maxDepth: number): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const d = columns.length;
  const order = Array.from({ length: d }, (_, i) => i);
  const grow = (idx: Int32Array, depth: number): number => {
    const node = tree.feature.length;
    let sum = 0;
    let sq = 0;
    for (const r of idx) {
      sum += y[r]!;
      sq += y[r]! * y[r]!;
    }
    const n = idx.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(sum / n);
    if (n < 2 || depth >= maxDepth || sq - (sum * sum) / n <= 1e-12 * Math.max(1, sq)) return node;
    // Features in a random order, the first best split kept: scikit-learn's tie-breaking.
    for (let i = d - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let best = { score: (sum * sum) / n, feature: -1, threshold: 0 };
    for (const f of order) {
      const col = columns[f]!;
      const sorted = Int32Array.from(idx).sort((a, b) => col[a]! - col[b]!);
      let left = 0;
      for (let k = 0; k < n - 1; k++) {
        left += y[sorted[k]!]!;
        const a = col[sorted[k]!]!;
        const b = col[sorted[k + 1]!]!;
        if (a === b) continue;
        const nl = k + 1;
        const score = (left * left) / nl + ((sum - left) * (sum - left)) / (n - nl);
        if (score > best.score + 1e-12 * Math.abs(best.score)) best = { score, feature: f, threshold: (a + b) / 2 };
      }
    }
    if (best.feature < 0) return node;
    const col = columns[best.feature]!;
    const l = idx.filter((r) => col[r]! <= best.threshold);
    const r = idx.filter((r) => col[r]! > best.threshold);
    tree.feature[node] = best.feature;
    tree.threshold[node] = best.threshold;
    tree.left[node] = grow(l, depth + 1);
    tree.right[node] = grow(r, depth + 1);
    return node;
  };
  grow(rows, 0);
  return tree;
}

/**
 * The tree's functional ANOVA main effects over the box [lo, hi]: for each feature, the variance of the tree's
 * marginal over that feature (its prediction averaged uniformly over all the others), and the tree's total
 * variance. Each leaf is a box; the marginal over feature i is piecewise constant between the leaves' edges in i.
 */
export function treeVariances(tree: Tree, lo: readonly number[], hi: readonly number[]): { total: number; main: number[] } {
  const d = lo.length;
  const leaves: { lo: number[]; hi: number[]; value: number; share: number }[] = [];
  const walk = (node: number, blo: number[], bhi: number[]) => {
    const f = tree.feature[node]!;
    if (f < 0) {
      let share = 1;
      for (let i = 0; i < d; i++) share *= (bhi[i]! - blo[i]!) / (hi[i]! - lo[i]!);
      if (share > 0) leaves.push({ lo: blo, hi: bhi, value: tree.value[node]!, share });
      return;
    }
    const t = Math.min(Math.max(tree.threshold[node]!, blo[f]!), bhi[f]!);
    walk(tree.left[node]!, blo, bhi.map((v, i) => (i === f ? t : v)));
    walk(tree.right[node]!, blo.map((v, i) => (i === f ? t : v)), bhi);
  };
  walk(0, [...lo], [...hi]);
  let mean = 0;
  for (const l of leaves) mean += l.value * l.share;
  let total = 0;
  for (const l of leaves) total += l.share * (l.value - mean) ** 2;
  const main = new Array<number>(d).fill(0);
  for (let i = 0; i < d; i++) {
    const width = hi[i]! - lo[i]!;
    // Each leaf adds value × (its share of the other dimensions) to the marginal over its interval in feature i.
    const events: [number, number][] = [];
    for (const l of leaves) {
      const w = (l.value * l.share * width) / (l.hi[i]! - l.lo[i]!);
      events.push([l.lo[i]!, w], [l.hi[i]!, -w]);
    }
    events.sort((a, b) => a[0] - b[0]);
    let level = 0;
    let v = 0;
    for (let k = 0; k < events.length; k++) {
      level += events[k]![1];
      const next = events[k + 1]?.[0];
      if (next !== undefined && next > events[k]![0]) v += ((next - events[k]![0]) / width) * (level - mean) ** 2;
    }
    main[i] = v;
  }
  return { total, main };
}

/** Fractions of variance each parameter explains on its own, by fANOVA over a seeded random forest. */
export function parameterImportance(space: readonly ParamSpec[], trials: readonly Trial[], options: Partial<ImportanceOptions> = {}): Importance {
  const opts = { ...IMPORTANCE_DEFAULTS, ...options };
  const complete = trials.filter((t) => t.state === 'COMPLETE' && t.value !== undefined && Number.isFinite(t.value));
  const skipped: { name: string; reason: string }[] = [];
  const features: Feature[] = [];
  for (const p of space) {
    const active = complete.filter((t) => p.name in t.params).length;
    const f = feature(p);
    if (!f) skipped.push({ name: p.name, reason: 'it takes a single value' });
    else if (active < complete.length) skipped.push({ name: p.name, reason: `conditional: active in ${active} of ${complete.length} complete trials` });
    else features.push(f);
  }
  const base = { skipped, trials: complete.length, seed: opts.seed, nTrees: opts.nTrees };
  if (features.length === 0) return { ...base, params: [] };
  const columns = features.map((f) => Float64Array.from(complete, (t) => f.encode(t.params[f.name]!)));
  const y = Float64Array.from(complete, (t) => t.value!);
  const lo = features.map((f) => f.lo);
  const hi = features.map((f) => f.hi);
  const random = createRng(opts.seed);
  const fractions: number[][] = features.map(() => []);
  const n = complete.length;
  for (let t = 0; t < opts.nTrees; t++) {
    const rows = Int32Array.from({ length: n }, () => Math.floor(random() * n));
    const tree = fitTree(columns, y, rows, random, opts.maxDepth);
    const { total, main } = treeVariances(tree, lo, hi);
    if (total > 0) main.forEach((v, i) => fractions[i]!.push(v / total));
  }
  const means = fractions.map((f) => (f.length ? f.reduce((a, b) => a + b, 0) / f.length : 0));
  const sum = means.reduce((a, b) => a + b, 0);
  const params = features.map((f, i) => {
    const m = means[i]!;
    const std = fractions[i]!.length ? Math.sqrt(fractions[i]!.reduce((a, b) => a + (b - m) ** 2, 0) / fractions[i]!.length) : 0;
    return { name: f.name, importance: sum > 0 ? m / sum : 0, std };
  });
  return { ...base, params: params.sort((a, b) => b.importance - a.importance) };
}
