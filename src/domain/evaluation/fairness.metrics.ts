/**
 * Group fairness of a binary decision (ŷ = 1 is the favourable outcome), in both conventions users
 * compare with, from per-group confusion counts:
 *
 * Fairlearn (unsigned, between groups; `fairlearn.metrics`):
 *   demographic_parity_difference = max − min selection rate over groups, `_ratio` = min / max;
 *   equalized_odds_difference = the larger of the TPR and FPR differences, `_ratio` the smaller ratio
 *   (`agg='worst_case'`); equal_opportunity_difference/ratio the same on TPR alone. A 0/0 ratio is 1.
 * AIF360 (signed, unprivileged against privileged; `ClassificationMetric` on predictions):
 *   disparate_impact = SR_unpriv / SR_priv, statistical_parity_difference = SR_unpriv − SR_priv,
 *   equal_opportunity_difference = TPR_unpriv − TPR_priv,
 *   average_odds_difference = ½[(FPR_unpriv − FPR_priv) + (TPR_unpriv − TPR_priv)].
 *
 * A group without positives has no TPR (without negatives, no FPR). It is left out of the between-group
 * differences and named in the notes; Fairlearn itself counts such a rate as 0 (its confusion matrix
 * normalisation turns 0/0 into 0), which can make its equalized odds numbers differ.
 */

export interface GroupCounts {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
}

export const countOf = (c: GroupCounts) => c.tp + c.fp + c.fn + c.tn;

export const GROUP_METRICS = ['selection_rate', 'true_positive_rate', 'false_positive_rate', 'false_negative_rate', 'precision', 'accuracy', 'base_rate'] as const;
export type GroupMetric = (typeof GROUP_METRICS)[number];

const div = (a: number, b: number) => (b > 0 ? a / b : NaN);

/** The per-group rates; NaN where the denominator is empty. */
export function groupRates(c: GroupCounts): Record<GroupMetric, number> {
  const n = countOf(c);
  return {
    selection_rate: div(c.tp + c.fp, n),
    true_positive_rate: div(c.tp, c.tp + c.fn),
    false_positive_rate: div(c.fp, c.fp + c.tn),
    false_negative_rate: div(c.fn, c.tp + c.fn),
    precision: div(c.tp, c.tp + c.fp),
    accuracy: div(c.tp + c.tn, n),
    base_rate: div(c.tp + c.fn, n),
  };
}

export const GROUP_METRIC_REASONS: Record<GroupMetric, string> = {
  selection_rate: 'the group is empty',
  true_positive_rate: 'the group has no positive labels',
  false_positive_rate: 'the group has no negative labels',
  false_negative_rate: 'the group has no positive labels',
  precision: 'the group has no positive predictions',
  accuracy: 'the group is empty',
  base_rate: 'the group is empty',
};

export const FAIRLEARN_METRICS = [
  'demographic_parity_difference', 'demographic_parity_ratio',
  'equalized_odds_difference', 'equalized_odds_ratio',
  'equal_opportunity_difference', 'equal_opportunity_ratio',
] as const;
export const AIF360_METRICS = ['disparate_impact', 'statistical_parity_difference', 'equal_opportunity_difference', 'average_odds_difference'] as const;

function spread(values: readonly number[]): { difference: number; ratio: number } {
  const defined = values.filter((v) => !Number.isNaN(v));
  if (defined.length < 2) return { difference: NaN, ratio: NaN };
  const max = Math.max(...defined);
  const min = Math.min(...defined);
  return { difference: max - min, ratio: max === 0 ? 1 : min / max };
}

const larger = (a: number, b: number) => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
const smaller = (a: number, b: number) => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));

/** Fairlearn's between-group summaries over the non-empty groups. */
export function fairlearnSummary(groups: readonly GroupCounts[]): Record<(typeof FAIRLEARN_METRICS)[number], number> {
  const rates = groups.filter((g) => countOf(g) > 0).map(groupRates);
  const selection = spread(rates.map((r) => r.selection_rate));
  const tpr = spread(rates.map((r) => r.true_positive_rate));
  const fpr = spread(rates.map((r) => r.false_positive_rate));
  return {
    demographic_parity_difference: selection.difference,
    demographic_parity_ratio: selection.ratio,
    equalized_odds_difference: larger(tpr.difference, fpr.difference),
    equalized_odds_ratio: smaller(tpr.ratio, fpr.ratio),
    equal_opportunity_difference: tpr.difference,
    equal_opportunity_ratio: tpr.ratio,
  };
}

export function addCounts(a: GroupCounts, b: GroupCounts): GroupCounts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

/** AIF360's signed metrics, the unprivileged rows pooled against the privileged ones. */
export function aif360Summary(privileged: GroupCounts, unprivileged: GroupCounts): Record<(typeof AIF360_METRICS)[number], number> {
  const p = groupRates(privileged);
  const u = groupRates(unprivileged);
  return {
    disparate_impact: p.selection_rate > 0 ? u.selection_rate / p.selection_rate : NaN,
    statistical_parity_difference: u.selection_rate - p.selection_rate,
    equal_opportunity_difference: u.true_positive_rate - p.true_positive_rate,
    average_odds_difference: 0.5 * (u.false_positive_rate - p.false_positive_rate + (u.true_positive_rate - p.true_positive_rate)),
  };
}

export interface FairnessThreshold {
  readonly metric: string;
  readonly convention: 'fairlearn' | 'aif360';
  readonly min?: number;
  readonly max?: number;
}

/** The four-fifths rule, both ways: the one check every audit makes unless told otherwise. */
export const DEFAULT_FAIRNESS_THRESHOLDS: readonly FairnessThreshold[] = [
  { metric: 'disparate_impact', convention: 'aif360', min: 0.8, max: 1.25 },
  { metric: 'demographic_parity_ratio', convention: 'fairlearn', min: 0.8 },
];
