/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2): Shapley values of the conditional expectation
 * E[f(x) | x_S] where a feature outside S splits a path in proportion to the node covers, in
 * O(T·L·D²) per row instead of O(T·L·2^M). The recursion and its path bookkeeping (extend, unwind,
 * unwound sum) follow the reference implementation in the `shap` package's tree_shap.h.
 */
import { isLeaf, type Tree, type TreeEnsemble, goesYes } from './tree-ensemble.js';

/** The growing path of unique features: each element's zero/one fractions and the permutation weight. */
class PathBuffer {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;
  constructor(size: number) {
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }
}

function extend(p: PathBuffer, at: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  p.weight[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[at + i + 1]! += (one * p.weight[at + i]! * (i + 1)) / (depth + 1);
    p.weight[at + i] = (zero * p.weight[at + i]! * (depth - i)) / (depth + 1);
  }
}

function unwind(p: PathBuffer, at: number, depth: number, index: number): void {
  const one = p.one[at + index]!;
  const zero = p.zero[at + index]!;
  let next = p.weight[at + depth]!;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p.weight[at + i]!;
      p.weight[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (p.weight[at + i]! * zero * (depth - i)) / (depth + 1);
    } else {
      p.weight[at + i] = (p.weight[at + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1]!;
    p.zero[at + i] = p.zero[at + i + 1]!;
    p.one[at + i] = p.one[at + i + 1]!;
  }
}

function unwoundSum(p: PathBuffer, at: number, depth: number, index: number): number {
  const one = p.one[at + index]!;
  const zero = p.zero[at + index]!;
  let next = p.weight[at + depth]!;
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = p.weight[at + i]! - tmp * zero * ((depth - i) / (depth + 1));
    } else if (zero !== 0) {
      total += p.weight[at + i]! / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

interface Walk {
  readonly tree: Tree;
  readonly x: ArrayLike<number>;
  readonly offset: number;
  readonly phi: Float64Array;
  readonly targets: number;
  readonly target: number;
  readonly scale: number;
  readonly path: PathBuffer;
}

function recurse(w: Walk, node: number, parentAt: number, depth: number, parentZero: number, parentOne: number, parentFeature: number): void {
  const { tree, path } = w;
  // This level's path is a copy of the parent's, placed right after it (the buffer is a stack of paths).
  const here = parentAt + depth + 1;
  for (let i = 0; i <= depth; i++) {
    path.feature[here + i] = path.feature[parentAt + i]!;
    path.zero[here + i] = path.zero[parentAt + i]!;
    path.one[here + i] = path.one[parentAt + i]!;
    path.weight[here + i] = path.weight[parentAt + i]!;
  }
  extend(path, here, depth, parentZero, parentOne, parentFeature);
  if (isLeaf(tree, node)) {
    const value = tree.value[node * w.targets + w.target]! * w.scale;
    for (let i = 1; i <= depth; i++) {
      const weight = unwoundSum(path, here, depth, i);
      w.phi[path.feature[here + i]!]! += weight * (path.one[here + i]! - path.zero[here + i]!) * value;
    }
    return;
  }
  const feature = tree.feature[node]!;
  const hot = goesYes(tree, node, w.x[w.offset + feature]!) ? tree.yes[node]! : tree.no[node]!;
  const cold = hot === tree.yes[node] ? tree.no[node]! : tree.yes[node]!;
  const cover = tree.cover[node]!;
  const hotZero = cover > 0 ? tree.cover[hot]! / cover : 0;
  const coldZero = cover > 0 ? tree.cover[cold]! / cover : 0;
  let incomingZero = 1;
  let incomingOne = 1;
  let d = depth;
  // A feature met again on the path is undone first, so each feature appears once (its fractions multiply).
  for (let i = 1; i <= depth; i++) {
    if (path.feature[here + i] === feature) {
      incomingZero = path.zero[here + i]!;
      incomingOne = path.one[here + i]!;
      unwind(path, here, depth, i);
      d--;
      break;
    }
  }
  recurse(w, hot, here, d + 1, hotZero * incomingZero, incomingOne, feature);
  recurse(w, cold, here, d + 1, coldZero * incomingZero, 0, feature);
}

/** E[f(X)] of one tree under its covers: each leaf weighted by the share of the root's cover reaching it. */
export function treeExpectation(tree: Tree, targets: number, target: number): number {
  let sum = 0;
  const root = tree.cover[0]!;
  for (let k = 0; k < tree.feature.length; k++) if (isLeaf(tree, k)) sum += (tree.value[k * targets + target]! * tree.cover[k]!) / root;
  return sum;
}

/**
 * Attributions of row `x` (its features from `offset`) for one target of the ensemble's raw score, added
 * into `phi` (length = feature count). Returns the expected value; phi sums to rawScore − expected.
 */
export function treeShap(ensemble: TreeEnsemble, target: number, x: ArrayLike<number>, offset: number, phi: Float64Array): number {
  const scale = ensemble.aggregate === 'AVERAGE' ? 1 / ensemble.trees.length : 1;
  let expected = ensemble.base[target]!;
  let maxDepth = 0;
  for (const tree of ensemble.trees) maxDepth = Math.max(maxDepth, tree.maxDepth);
  const size = ((maxDepth + 3) * (maxDepth + 4)) / 2 + 1;
  const path = new PathBuffer(size);
  for (const tree of ensemble.trees) {
    expected += treeExpectation(tree, ensemble.targets, target) * scale;
    recurse({ tree, x, offset, phi, targets: ensemble.targets, target, scale, path }, 0, 0, 0, 1, 1, -1);
  }
  return expected;
}
