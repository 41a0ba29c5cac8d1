import type { ImportanceMetric, PermutationImportance } from './permutation-importance.js';

export const EXPLAIN_METHODS = ['permutation', 'kernel_shap', 'tree_shap', 'partial_dependence'] as const;
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];

/** A feature's global weight: mean |attribution| over the explained rows. */
export interface GlobalAttribution {
  readonly feature: string;
  readonly meanAbs: number;
}

/** Attributions of the explained rows, one row per explained data row, one value per feature. */
export interface Attributions {
  /** E[f]: the model output the attributions start from. */
  readonly expectedValue: number;
  readonly values: number[][];
  readonly global: GlobalAttribution[];
  /** The largest |Σφ − (f(x) − E[f])| over the rows: 0 up to rounding for an exact method. */
  readonly additivityError: number;
}

export interface KernelShapResult extends Attributions {
  readonly exact: boolean;
  readonly coalitions: number;
  readonly backgroundRows: number;
  readonly budget: number;
}

export interface TreeShapResult extends Attributions {
  /** What the attributions add up to: the ensemble's output, or its raw margin when a post transform (logistic, softmax) follows the trees. */
  readonly space: 'output' | 'margin';
  readonly postTransform: string;
  /** Where node covers came from: the model's hit rates, or the rows of the data passed through the trees. */
  readonly covers: 'model' | 'data';
  readonly trees: number;
  /** The ensemble's output (in `space`) for each explained row. */
  readonly predictions: number[];
}

export type PermutationResult = PermutationImportance;

export interface PartialDependenceResult {
  readonly feature: string;
  readonly grid: number[];
  readonly average: number[];
}

/** What was computed, on which model output and data. */
export interface ExplanationResult {
  readonly features: string[];
  /** The model output explained: its name, and for a classifier the class whose probability is explained. */
  readonly output: { name: string; column?: number; class?: string };
  readonly dataRows: number;
  /** Indices (into the data) of the rows explained one by one, their feature values and model outputs. */
  readonly rows: number[];
  readonly data: number[][];
  readonly predictions: number[];
  readonly permutation?: PermutationResult;
  readonly kernelShap?: KernelShapResult;
  readonly treeShap?: TreeShapResult;
  readonly partialDependence?: PartialDependenceResult[];
  readonly notes: string[];
}

export interface ExplainSpec {
  readonly methods: ExplainMethod[];
  readonly features?: string[];
  readonly label?: string;
  readonly output?: string;
  readonly targetClass?: string;
  readonly metric?: ImportanceMetric;
  readonly repeats: number;
  readonly confidence: number;
  readonly seed: number;
  readonly rows: number;
  readonly background: number;
  readonly budget: number;
  readonly gridResolution: number;
  readonly pdFeatures?: string[];
}

export interface Explanation {
  readonly id: string;
  readonly model: { name: string; version: number };
  readonly dataName: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly spec: ExplainSpec;
  readonly result: ExplanationResult;
}

export interface ExplanationSummary {
  readonly id: string;
  readonly model: { name: string; version: number };
  readonly dataName: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly methods: ExplainMethod[];
}
