/**
 * Evaluation domain: metric sets over a predictions table (classification, regression, ranking), per
 * slice and per group, fairness audits with both conventions users compare with (Fairlearn's unsigned,
 * AIF360's signed), comparisons of two models on the same rows, and what is stored of each.
 */
export const TASKS = ['binary', 'multiclass', 'regression', 'ranking'] as const;
export type Task = (typeof TASKS)[number];

/**
 * A metric's value, or why it has none. A metric that is undefined on the data (AUC with one class,
 * precision with no predicted positives, TPR of a group without positives) carries the reason instead of
 * NaN or a silent 0.
 */
export type MetricValue = { readonly value: number; readonly reason?: undefined } | { readonly value: null; readonly reason: string };

export interface Interval {
  readonly lower: number;
  readonly upper: number;
  /** Resamples in which the metric was defined; the interval is taken over those. */
  readonly resamples: number;
}

export type Estimate = MetricValue & { readonly ci?: Interval };

export type Metrics = Readonly<Record<string, Estimate>>;

export interface CurvePoint {
  readonly x: number;
  readonly y: number;
  readonly threshold?: number;
}

export interface CalibrationBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanPredicted: number;
  readonly fractionPositive: number;
}

export interface ThresholdRow {
  readonly threshold: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly falsePositiveRate: number | null;
  readonly selectionRate: number;
  readonly accuracy: number;
}

export interface ClassReport {
  readonly label: string;
  readonly support: number;
  readonly precision: MetricValue;
  readonly recall: MetricValue;
  readonly f1: MetricValue;
  readonly rocAuc?: MetricValue;
  readonly averagePrecision?: MetricValue;
}

export interface Curves {
  /** False positive rate (x) against true positive rate (y); one-vs-rest per class for multiclass. */
  readonly roc?: Readonly<Record<string, readonly CurvePoint[]>>;
  /** Recall (x) against precision (y). */
  readonly precisionRecall?: Readonly<Record<string, readonly CurvePoint[]>>;
  readonly calibration?: readonly CalibrationBin[];
  readonly thresholds?: readonly ThresholdRow[];
}

export interface SliceGroup {
  /** Column → value, one entry per column of the slice. */
  readonly key: Readonly<Record<string, string>>;
  readonly label: string;
  readonly count: number;
  readonly metrics: Metrics;
}

export interface Slice {
  readonly columns: readonly string[];
  readonly groups: readonly SliceGroup[];
}

export type FairnessConvention = 'fairlearn' | 'aif360';

export interface FairnessGroup {
  readonly group: string;
  readonly count: number;
  readonly privileged?: boolean;
  readonly metrics: Metrics;
}

export interface FairnessCheck {
  readonly metric: string;
  readonly convention: FairnessConvention;
  readonly value: number | null;
  readonly min?: number;
  readonly max?: number;
  /** null when the metric is undefined on this attribute. */
  readonly passed: boolean | null;
  readonly detail: string;
}

export interface AttributeFairness {
  /** A sensitive column, or an intersection written `sex&race`. */
  readonly attribute: string;
  readonly columns: readonly string[];
  readonly groups: readonly FairnessGroup[];
  /** Fairlearn's convention: unsigned, between groups (max − min, min / max). */
  readonly fairlearn: Metrics;
  /** AIF360's convention: signed, unprivileged against privileged; absent without a privileged group. */
  readonly aif360?: Metrics;
  /** AIF360's metrics for each unprivileged group on its own against the privileged group(s), besides the pooled comparison above. */
  readonly aif360ByGroup?: readonly { readonly group: string; readonly count: number; readonly metrics: Metrics }[];
  readonly privilegedGroups?: readonly string[];
  readonly checks: readonly FairnessCheck[];
  readonly notes: readonly string[];
}

export interface FairnessReport {
  readonly attributes: readonly AttributeFairness[];
  /** Every check passed (null when some check could not be decided and none failed). */
  readonly passed: boolean | null;
  readonly conventions: Readonly<Record<FairnessConvention, string>>;
}

export interface BootstrapInfo {
  readonly resamples: number;
  readonly seed: number;
  readonly confidence: number;
  readonly method: string;
}

export interface DatasetRef {
  readonly name: string;
  /** sha256 of the data as evaluated. */
  readonly digest: string;
  /** Where it came from: an artifact path, or `inline`. */
  readonly source: string;
  readonly rows: number;
}

export interface EvaluationResult {
  readonly task: Task;
  readonly rows: number;
  readonly classes?: readonly string[];
  readonly positiveLabel?: string;
  readonly threshold?: number;
  readonly metrics: Metrics;
  readonly perClass?: readonly ClassReport[];
  readonly confusionMatrix?: { readonly labels: readonly string[]; readonly matrix: readonly (readonly number[])[] };
  readonly curves?: Curves;
  readonly residualQuantiles?: Readonly<Record<string, number>>;
  readonly queries?: { readonly count: number; readonly withoutRelevant: number };
  readonly slices: readonly Slice[];
  readonly fairness?: FairnessReport;
  readonly bootstrap?: BootstrapInfo;
  /** Conventions and caveats that apply to these numbers (zero divisions, excluded groups, …). */
  readonly notes: readonly string[];
}

export interface ModelRef {
  readonly name: string;
  readonly version: number;
}

/** One stored evaluation: the result, what it evaluated and on what. */
export interface Evaluation {
  readonly id: string;
  readonly name: string;
  readonly task: Task;
  readonly runId?: string;
  readonly model?: ModelRef;
  readonly dataset: DatasetRef;
  readonly createdAt: number;
  readonly createdBy: string;
  /** The request's options (columns, slices, sensitive attributes, thresholds), for the record. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly result: EvaluationResult;
  /** Paths of the JSON and HTML reports among the run's artifacts, when logged to a run. */
  readonly artifacts?: { readonly json: string; readonly html: string };
}

export type EvaluationSummary = Omit<Evaluation, 'result' | 'spec'> & { readonly metrics: Readonly<Record<string, number>> };

export interface MetricDelta {
  readonly metric: string;
  readonly higherIsBetter: boolean;
  readonly candidate: MetricValue;
  readonly baseline: MetricValue;
  /** candidate − baseline, with its paired-bootstrap interval. */
  readonly delta: Estimate;
  /** Two-sided paired-bootstrap p-value for "no difference". */
  readonly pValue: number | null;
}

export interface McNemarResult {
  readonly candidateOnlyCorrect: number;
  readonly baselineOnlyCorrect: number;
  readonly exactPValue: number;
  readonly chi2Statistic: number;
  readonly chi2PValue: number;
}

export interface ComparisonResult {
  readonly task: Task;
  readonly rows: number;
  readonly deltas: readonly MetricDelta[];
  readonly mcnemar?: McNemarResult;
  readonly bootstrap?: BootstrapInfo;
  readonly notes: readonly string[];
}

export interface Comparison {
  readonly id: string;
  readonly name: string;
  readonly task: Task;
  readonly runId?: string;
  readonly candidate?: ModelRef;
  readonly baseline?: ModelRef;
  readonly dataset: DatasetRef;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly result: ComparisonResult;
}

/** Model card sections a person writes; kept when the rest of the card is regenerated from evidence. */
export const CARD_FIELDS = [
  'overview', 'owners', 'license', 'citation', 'contact',
  'primaryUses', 'primaryUsers', 'outOfScopeUses',
  'relevantFactors', 'evaluationFactors',
  'trainingData', 'evaluationData',
  'ethicalConsiderations', 'caveatsAndRecommendations',
] as const;
export type CardField = (typeof CARD_FIELDS)[number];
export type CardFields = Partial<Record<CardField, string>>;

export interface CardFieldsRecord {
  readonly fields: CardFields;
  readonly updatedAt: number;
  readonly updatedBy: string;
}
