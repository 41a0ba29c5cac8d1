import type { Explanation } from './types.js';

export type RankingMethod = 'tree_shap' | 'kernel_shap' | 'permutation';

/** A feature's place in a model's global importance: 1 is the strongest. */
export interface RankedFeature {
  readonly feature: string;
  readonly rank: number;
  /** mean |φ| for TreeSHAP and Kernel SHAP, the mean score drop for permutation importance. */
  readonly value: number;
}

export interface GlobalRanking {
  readonly method: RankingMethod;
  readonly features: readonly RankedFeature[];
}

/**
 * The explanation's global importance, strongest first: TreeSHAP's mean |φ| when computed (exact), else Kernel
 * SHAP's, else permutation importance. What the model card and drift alerts rank features by.
 */
export function globalRanking(e: Explanation): GlobalRanking | undefined {
  const r = e.result;
  const shap = r.treeShap ?? r.kernelShap;
  if (shap) {
    const sorted = [...shap.global].sort((a, b) => b.meanAbs - a.meanAbs);
    return { method: r.treeShap ? 'tree_shap' : 'kernel_shap', features: sorted.map((g, i) => ({ feature: g.feature, rank: i + 1, value: g.meanAbs })) };
  }
  if (r.permutation) {
    const sorted = [...r.permutation.importances].sort((a, b) => b.mean - a.mean);
    return { method: 'permutation', features: sorted.map((p, i) => ({ feature: p.feature, rank: i + 1, value: p.mean })) };
  }
  return undefined;
}
