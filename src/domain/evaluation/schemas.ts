import { z } from 'zod';
import { TASKS } from './types.js';

const Column = z.string().min(1).max(250);
const ColumnList = z.array(Column).max(16);

export const FairnessThresholdSchema = z
  .object({
    metric: z.string().min(1),
    convention: z.enum(['fairlearn', 'aif360']).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict()
  .refine((t) => t.min !== undefined || t.max !== undefined, 'give min, max or both');

export const BootstrapSchema = z
  .object({
    /** 0 turns the intervals off. */
    resamples: z.number().int().min(0).max(10_000).default(1000),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
    confidence: z.number().gt(0).lt(1).default(0.95),
  })
  .strict();

/**
 * What to evaluate and how, independent of where the rows come from. Column names refer to the
 * predictions table; every option has the default scikit-learn users expect.
 */
export const EvaluationSpecSchema = z
  .object({
    task: z.enum(TASKS),
    /** True label (classification), true value (regression) or relevance (ranking). */
    label: Column,
    /** Predicted label or value. Binary: derived from `score ≥ threshold` when absent; multiclass: argmax of `scores`. */
    prediction: Column.optional(),
    /** Binary: P(positive label) or a decision score; ranking: the ranking score, missing for a relevant document that was not retrieved. */
    score: Column.optional(),
    /** Multiclass: one probability column per class, in the order of `classes`. */
    scores: ColumnList.optional(),
    /** The declared classes; a label or prediction outside them is an error. */
    classes: z.array(z.string().min(1)).min(2).max(1000).optional(),
    positiveLabel: z.string().min(1).optional(),
    threshold: z.number().finite().default(0.5),
    /** `probability` scores must lie in [0, 1] and get log loss, Brier and calibration; `decision` scores do not. */
    scoreKind: z.enum(['probability', 'decision']).default('probability'),
    queryId: Column.optional(),
    k: z.array(z.number().int().min(1).max(10_000)).min(1).max(10).default([1, 3, 5, 10]),
    /** Metrics for every value of each column and of each combination of them. */
    slices: ColumnList.default([]),
    sensitive: ColumnList.default([]),
    /** Per sensitive column, the values that make up the privileged group (AIF360's `privileged_groups`). */
    privileged: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
    /** Also audit every combination of the sensitive columns. */
    intersections: z.boolean().default(true),
    fairnessThresholds: z.array(FairnessThresholdSchema).max(50).optional(),
    calibrationBins: z.number().int().min(2).max(100).default(10),
    bootstrap: BootstrapSchema.default({ resamples: 1000, seed: 0, confidence: 0.95 }),
  })
  .strict();

export type EvaluationSpec = z.output<typeof EvaluationSpecSchema>;
export type EvaluationSpecInput = z.input<typeof EvaluationSpecSchema>;

/** The second model's columns for a comparison; the candidate's are the spec's own. */
export const BaselineColumnsSchema = z
  .object({
    prediction: Column.optional(),
    score: Column.optional(),
    scores: ColumnList.optional(),
  })
  .strict();
export type BaselineColumns = z.output<typeof BaselineColumnsSchema>;
