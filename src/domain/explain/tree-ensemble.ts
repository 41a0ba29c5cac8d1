/**
 * Tree ensembles as ONNX-ML writes them (TreeEnsembleRegressor / TreeEnsembleClassifier, ai.onnx.ml
 * opsets 1 and 3): nodes given as parallel attribute arrays keyed by (tree id, node id), leaf weights
 * per target or class, a base value per target, SUM or AVERAGE over trees, then a post transform.
 * Converters (skl2onnx, onnxmltools for XGBoost and LightGBM) all write this shape.
 */
import { invalid } from '../../core/errors.js';
import type { AttributeValue, OnnxNode } from './onnx-graph.js';

const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ', 'LEAF'] as const;
const LEAF = 6;

/** One tree, nodes by local index, root at 0. */
export interface Tree {
  /** Feature index tested at the node; −1 at a leaf. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly mode: Uint8Array;
  readonly yes: Int32Array;
  readonly no: Int32Array;
  readonly missingYes: Uint8Array;
  /** Training rows (or hit rate) through the node: what path-dependent TreeSHAP weighs unseen features by. */
  cover: Float64Array;
  /** Leaf weights, `value[node * targets + target]`. */
  readonly value: Float64Array;
  readonly maxDepth: number;
}

export interface TreeEnsemble {
  readonly op: 'TreeEnsembleRegressor' | 'TreeEnsembleClassifier';
  readonly trees: Tree[];
  /** Targets (regressor) or score columns (classifier) the leaves carry weights for. */
  readonly targets: number;
  /** Class labels of a classifier, as strings. */
  readonly classes?: readonly string[];
  readonly base: Float64Array;
  readonly aggregate: 'SUM' | 'AVERAGE';
  readonly postTransform: string;
  /** Features used: one more than the largest feature index. */
  readonly features: number;
  /** A binary classifier whose leaves score only one class: onnxruntime derives the other from it. */
  readonly binarySingleScore: boolean;
  /** True when the file's hit rates are real node covers (a parent's equals the sum of its children's). */
  readonly coversFromModel: boolean;
  /** The graph output that carries the scores (probabilities for a classifier). */
  readonly outputName: string;
}

const nums = (attrs: ReadonlyMap<string, AttributeValue>, name: string): readonly number[] => {
  const v = attrs.get(name);
  if (v === undefined) return [];
  if (v instanceof Float64Array) return Array.from(v);
  if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'number')) return v as number[];
  if (typeof v === 'number') return [v];
  throw invalid(`Attribute '${name}' of the tree ensemble is not numeric`);
};
const strs = (attrs: ReadonlyMap<string, AttributeValue>, name: string): readonly string[] => {
  const v = attrs.get(name);
  return Array.isArray(v) && (v.length === 0 || typeof v[0] === 'string') ? (v as string[]) : [];
};
const str = (attrs: ReadonlyMap<string, AttributeValue>, name: string, fallback: string) => {
  const v = attrs.get(name);
  return typeof v === 'string' ? v : fallback;
};

/** The graph's tree ensemble, or undefined when it has none. Two ensembles in one graph are not explained as one. */
export function findTreeEnsemble(nodes: readonly OnnxNode[]): TreeEnsemble | undefined {
  const found = nodes.filter((n) => n.opType === 'TreeEnsembleRegressor' || n.opType === 'TreeEnsembleClassifier');
  if (found.length === 0) return undefined;
  if (found.length > 1) throw invalid(`The model has ${found.length} tree ensembles; TreeSHAP explains a model with one`);
  return parseTreeEnsemble(found[0]!);
}

export function parseTreeEnsemble(node: OnnxNode): TreeEnsemble {
  const a = node.attributes;
  const classifier = node.opType === 'TreeEnsembleClassifier';
  const treeIds = nums(a, 'nodes_treeids');
  const nodeIds = nums(a, 'nodes_nodeids');
  const featureIds = nums(a, 'nodes_featureids');
  const values = a.has('nodes_values_as_tensor') ? nums(a, 'nodes_values_as_tensor') : nums(a, 'nodes_values');
  const modes = strs(a, 'nodes_modes');
  const trueIds = nums(a, 'nodes_truenodeids');
  const falseIds = nums(a, 'nodes_falsenodeids');
  const missing = nums(a, 'nodes_missing_value_tracks_true');
  const hitrates = a.has('nodes_hitrates_as_tensor') ? nums(a, 'nodes_hitrates_as_tensor') : nums(a, 'nodes_hitrates');
  const p = classifier ? 'class' : 'target';
  const leafTrees = nums(a, `${p}_treeids`);
  const leafNodes = nums(a, `${p}_nodeids`);
  const leafTargets = nums(a, `${p}_ids`);
  const leafWeights = a.has(`${p}_weights_as_tensor`) ? nums(a, `${p}_weights_as_tensor`) : nums(a, `${p}_weights`);
  const n = treeIds.length;
  if ([nodeIds, featureIds, values, modes, trueIds, falseIds].some((arr) => arr.length !== n)) {
    throw invalid(`The ${node.opType}'s node attributes have different lengths`);
  }
  const classes = classifier ? (strs(a, 'classlabels_strings').length > 0 ? strs(a, 'classlabels_strings') : nums(a, 'classlabels_int64s').map(String)) : undefined;
  const usedTargets = new Set(leafTargets);
  const binarySingleScore = classifier && classes!.length === 2 && usedTargets.size === 1;
  const targets = classifier ? (binarySingleScore ? 1 : classes!.length) : Number(a.get('n_targets') ?? Math.max(1, ...leafTargets.map((t) => t + 1)));
  const baseRaw = nums(a, 'base_values');
  const base = new Float64Array(targets);
  for (let t = 0; t < targets; t++) base[t] = baseRaw[binarySingleScore ? Math.min(baseRaw.length - 1, 1) : t] ?? 0;
  const aggregate = str(a, 'aggregate_function', 'SUM');
  if (aggregate !== 'SUM' && aggregate !== 'AVERAGE') throw invalid(`The tree ensemble aggregates with ${aggregate}; TreeSHAP needs SUM or AVERAGE (an additive model)`);

  const byTree = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byTree.get(treeIds[i]!) ?? [];
    list.push(i);
    byTree.set(treeIds[i]!, list);
  }
  const leafByKey = new Map<string, number[]>();
  for (let i = 0; i < leafTrees.length; i++) {
    const key = `${leafTrees[i]}:${leafNodes[i]}`;
    const list = leafByKey.get(key) ?? [];
    list.push(i);
    leafByKey.set(key, list);
  }
  let features = 0;
  const trees: Tree[] = [];
  let coversFromModel = hitrates.length === n;
  for (const [treeId, rows] of [...byTree].sort((x, y) => x[0] - y[0])) {
    const local = new Map(rows.map((r, k) => [nodeIds[r]!, k]));
    const children = new Set<number>();
    for (const r of rows) if (modes[r] !== 'LEAF') children.add(trueIds[r]!).add(falseIds[r]!);
    const roots = rows.filter((r) => !children.has(nodeIds[r]!));
    if (roots.length !== 1) throw invalid(`Tree ${treeId} of the ensemble has ${roots.length} roots`);
    // Renumber breadth-first from the root so index 0 is the root and children follow parents.
    const order: number[] = [roots[0]!];
    const index = new Map<number, number>([[roots[0]!, 0]]);
    for (let k = 0; k < order.length; k++) {
      const r = order[k]!;
      if (modes[r] === 'LEAF') continue;
      for (const child of [trueIds[r]!, falseIds[r]!]) {
        const c = rows[local.get(child) ?? -1];
        if (c === undefined) throw invalid(`Tree ${treeId} refers to node ${child}, which it does not have`);
        if (!index.has(c)) {
          index.set(c, order.length);
          order.push(c);
        }
      }
    }
    const m = order.length;
    const tree: Tree = {
      feature: new Int32Array(m), threshold: new Float64Array(m), mode: new Uint8Array(m), yes: new Int32Array(m), no: new Int32Array(m),
      missingYes: new Uint8Array(m), cover: new Float64Array(m), value: new Float64Array(m * targets), maxDepth: 0,
    };
    order.forEach((r, k) => {
      const mode = MODES.indexOf(modes[r] as (typeof MODES)[number]);
      if (mode < 0) throw invalid(`Tree ${treeId} has a node of mode '${modes[r]}'`);
      tree.mode[k] = mode;
      tree.cover[k] = hitrates[r] ?? 1;
      if (mode === LEAF) {
        tree.feature[k] = -1;
        for (const w of leafByKey.get(`${treeId}:${nodeIds[r]}`) ?? []) {
          const target = binarySingleScore ? 0 : leafTargets[w]!;
          if (target >= targets) throw invalid(`A leaf of tree ${treeId} has weights for target ${target}, beyond the ${targets} the ensemble has`);
          tree.value[k * targets + target]! += leafWeights[w]!;
        }
      } else {
        tree.feature[k] = featureIds[r]!;
        features = Math.max(features, featureIds[r]! + 1);
        tree.threshold[k] = values[r]!;
        tree.yes[k] = index.get(rows[local.get(trueIds[r]!)!]!)!;
        tree.no[k] = index.get(rows[local.get(falseIds[r]!)!]!)!;
        tree.missingYes[k] = missing[r] ?? 0;
      }
    });
    (tree as { maxDepth: number }).maxDepth = depthOf(tree);
    if (coversFromModel && !coversAdd(tree)) coversFromModel = false;
    trees.push(tree);
  }
  const outputName = classifier ? (node.outputs[1] ?? node.outputs[0]!) : node.outputs[0]!;
  return {
    op: node.opType as TreeEnsemble['op'], trees, targets, ...(classes ? { classes } : {}), base, aggregate, postTransform: str(a, 'post_transform', 'NONE'),
    features, binarySingleScore, coversFromModel, outputName,
  };
}

function depthOf(tree: Tree): number {
  const depth = new Int32Array(tree.feature.length);
  let max = 0;
  for (let k = 0; k < depth.length; k++) {
    if (tree.mode[k] === LEAF) continue;
    depth[tree.yes[k]!] = depth[k]! + 1;
    depth[tree.no[k]!] = depth[k]! + 1;
    max = Math.max(max, depth[k]! + 1);
  }
  return max;
}

/** Hit rates are covers when every parent's equals the sum of its children's and the root's is positive (skl2onnx writes 1 everywhere). */
function coversAdd(tree: Tree): boolean {
  if (!(tree.cover[0]! > 0)) return false;
  for (let k = 0; k < tree.cover.length; k++) {
    if (tree.mode[k] === LEAF) continue;
    const sum = tree.cover[tree.yes[k]!]! + tree.cover[tree.no[k]!]!;
    if (Math.abs(sum - tree.cover[k]!) > 1e-6 * Math.max(1, tree.cover[k]!)) return false;
  }
  return true;
}

/** Whether row `x` goes down the node's true branch, as onnxruntime decides it (NaN follows `missing_value_tracks_true`). */
export function goesYes(tree: Tree, k: number, v: number): boolean {
  if (Number.isNaN(v)) return tree.missingYes[k] === 1;
  const t = tree.threshold[k]!;
  switch (tree.mode[k]) {
    case 0: return v <= t;
    case 1: return v < t;
    case 2: return v >= t;
    case 3: return v > t;
    case 4: return v === t;
    default: return v !== t;
  }
}

/** The leaf row `x` (features at `offset` in `data`) reaches. */
export function leafOf(tree: Tree, data: ArrayLike<number>, offset: number): number {
  let k = 0;
  while (tree.mode[k] !== LEAF) k = goesYes(tree, k, data[offset + tree.feature[k]!]!) ? tree.yes[k]! : tree.no[k]!;
  return k;
}

export const isLeaf = (tree: Tree, k: number) => tree.mode[k] === LEAF;

/** Replaces every tree's covers by the number of `rows` (row-major, `width` wide) passing through each node. */
export function coversFromData(ensemble: TreeEnsemble, data: ArrayLike<number>, rows: number, width: number): void {
  for (const tree of ensemble.trees) {
    const cover = new Float64Array(tree.feature.length);
    for (let r = 0; r < rows; r++) {
      let k = 0;
      cover[0]!++;
      while (tree.mode[k] !== LEAF) {
        k = goesYes(tree, k, data[r * width + tree.feature[k]!]!) ? tree.yes[k]! : tree.no[k]!;
        cover[k]!++;
      }
    }
    tree.cover = cover;
  }
}

/** The ensemble's score for `target` before the post transform: the sum (or mean) of leaf weights plus the base value. */
export function rawScore(ensemble: TreeEnsemble, target: number, data: ArrayLike<number>, offset: number): number {
  let sum = 0;
  for (const tree of ensemble.trees) sum += tree.value[leafOf(tree, data, offset) * ensemble.targets + target]!;
  return (ensemble.aggregate === 'AVERAGE' ? sum / ensemble.trees.length : sum) + ensemble.base[target]!;
}
