import { z } from 'zod';

/**
 * Expectation suites in Great Expectations' vocabulary: `expectation_type` plus `kwargs`, so a suite written
 * for GE reads the same here. `mostly` (0..1) lets a per-row expectation pass when that share of the
 * non-null values meets it.
 */
const Column = z.string().min(1).max(256);
const Mostly = z.number().min(0).max(1).optional();
const Bound = z.number().finite().optional();
const Between = { min_value: Bound, max_value: Bound };
const DatasetRefText = z.string().min(3).max(330).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a dataset version as name@version or name@label');

export const RESULT_FORMATS = ['BOOLEAN_ONLY', 'BASIC', 'SUMMARY', 'COMPLETE'] as const;
/** GE's `result_format`: a level, or `{result_format, partial_unexpected_count}`. */
export const ResultFormatSpec = z.union([
  z.enum(RESULT_FORMATS),
  z.object({ result_format: z.enum(RESULT_FORMATS), partial_unexpected_count: z.number().int().min(0).max(10_000).optional() }).strict(),
]);
export type ResultFormatSpec = z.infer<typeof ResultFormatSpec>;

const StrictBetween = { ...Between, strict_min: z.boolean().optional(), strict_max: z.boolean().optional() };
const Value = z.union([z.string(), z.number().finite(), z.boolean()]);
const ValueSet = z.array(Value).max(100_000);
/** GE's choice of which rows of a column pair (or list) count: the others are neither expected nor unexpected. */
const PairRows = z.enum(['both_values_are_missing', 'either_value_is_missing', 'neither']).optional();
const ListRows = z.enum(['all_values_are_missing', 'any_value_is_missing', 'never']).optional();
const ColumnList = z.array(Column).min(1).max(100);
const Weights = z.array(z.number().min(0).finite()).min(1).max(10_000);
const sumsToOne = (w: readonly number[], tail: readonly number[] = []) => Math.abs([...w, ...tail].reduce((a, b) => a + b, 0) - 1) < 1e-6;
/** GE's partition object: bins (n + 1 increasing edges, ±Infinity allowed as JSON strings) with n weights, or categorical values with weights. */
// Kept as the strings, so a stored suite (JSON) keeps its infinite edges; YAML's .inf arrives as a number.
const Edge = z.union([
  z.number(), z.enum(['-Infinity', 'Infinity']),
  z.custom<number>((v) => v === Infinity || v === -Infinity, 'a number or ±Infinity').transform((v) => (v > 0 ? 'Infinity' as const : '-Infinity' as const)),
]);
export const edgeValue = (e: number | '-Infinity' | 'Infinity') => (e === 'Infinity' ? Infinity : e === '-Infinity' ? -Infinity : e);
const PartitionObject = z.union([
  z.object({ bins: z.array(Edge).min(2).max(10_001), weights: Weights, tail_weights: z.tuple([z.number().min(0), z.number().min(0)]).optional() }).strict()
    .refine((p) => p.bins.length === p.weights.length + 1, { message: 'bins must have one more edge than weights', path: ['bins'] })
    .refine((p) => p.bins.every((b, i) => i === 0 || edgeValue(b) > edgeValue(p.bins[i - 1]!)), { message: 'bins must increase', path: ['bins'] })
    .refine((p) => sumsToOne(p.weights, p.tail_weights), { message: 'weights (with tail_weights) must sum to 1', path: ['weights'] }),
  z.object({ values: z.array(Value).min(1).max(10_000), weights: Weights }).strict()
    .refine((p) => p.values.length === p.weights.length, { message: 'values and weights must have the same length', path: ['weights'] })
    .refine((p) => sumsToOne(p.weights), { message: 'weights must sum to 1', path: ['weights'] }),
]);
export type PartitionObject = z.infer<typeof PartitionObject>;
const QuantileRanges = z.object({
  quantiles: z.array(z.number().min(0).max(1)).min(1).max(1000),
  value_ranges: z.array(z.tuple([z.number().finite().nullable(), z.number().finite().nullable()])).min(1).max(1000),
}).strict().refine((q) => q.quantiles.length === q.value_ranges.length, { message: 'quantiles and value_ranges must have the same length', path: ['value_ranges'] });
/** pandas' `quantile(interpolation=…)`, which GE passes `allow_relative_error` to; false means GE's default, nearest. */
export const INTERPOLATIONS = ['linear', 'lower', 'higher', 'midpoint', 'nearest'] as const;

const expectation = <T extends string, K extends z.ZodRawShape>(type: T, kwargs: K) =>
  z.object({
    expectation_type: z.literal(type),
    kwargs: z.object({ ...kwargs, result_format: ResultFormatSpec.optional() }).strict(),
    meta: z.record(z.string(), z.unknown()).optional(),
  });

export const Expectation = z.discriminatedUnion('expectation_type', [
  expectation('expect_column_to_exist', { column: Column }),
  expectation('expect_column_values_to_be_of_type', { column: Column, type_: z.string().min(1) }),
  expectation('expect_column_values_to_not_be_null', { column: Column, mostly: Mostly }),
  expectation('expect_column_values_to_be_unique', { column: Column, mostly: Mostly }),
  expectation('expect_column_values_to_be_between', { column: Column, ...Between, strict_min: z.boolean().optional(), strict_max: z.boolean().optional(), mostly: Mostly }),
  expectation('expect_column_values_to_be_in_set', { column: Column, value_set: z.array(z.union([z.string(), z.number().finite()])).min(1), mostly: Mostly }),
  expectation('expect_column_values_to_match_regex', { column: Column, regex: z.string().min(1), mostly: Mostly }),
  expectation('expect_column_values_to_be_in_type_list', { column: Column, type_list: z.array(z.string().min(1)).min(1).max(100) }),
  expectation('expect_column_values_to_not_match_regex', { column: Column, regex: z.string().min(1), mostly: Mostly }),
  expectation('expect_column_value_lengths_to_be_between', { column: Column, min_value: z.number().int().min(0).optional(), max_value: z.number().int().min(0).optional(), mostly: Mostly }),
  expectation('expect_column_values_to_match_strftime_format', { column: Column, strftime_format: z.string().min(1).max(200), mostly: Mostly }),
  expectation('expect_column_pair_values_to_be_equal', { column_A: Column, column_B: Column, ignore_row_if: PairRows, mostly: Mostly }),
  expectation('expect_column_pair_values_a_to_be_greater_than_b', { column_A: Column, column_B: Column, or_equal: z.boolean().optional(), ignore_row_if: PairRows, mostly: Mostly }),
  expectation('expect_compound_columns_to_be_unique', { column_list: ColumnList, ignore_row_if: ListRows, mostly: Mostly }),
  expectation('expect_multicolumn_sum_to_equal', { column_list: ColumnList, sum_total: z.number().finite(), ignore_row_if: ListRows, mostly: Mostly }),
  expectation('expect_table_row_count_to_be_between', Between),
  expectation('expect_table_columns_to_match_ordered_list', { column_list: z.array(Column).max(10_000) }),
  expectation('expect_table_columns_to_match_set', { column_set: z.array(Column).max(10_000), exact_match: z.boolean().optional() }),
  expectation('expect_column_mean_to_be_between', { column: Column, ...StrictBetween }),
  expectation('expect_column_median_to_be_between', { column: Column, ...StrictBetween }),
  expectation('expect_column_stdev_to_be_between', { column: Column, ...StrictBetween }),
  expectation('expect_column_sum_to_be_between', { column: Column, ...StrictBetween }),
  expectation('expect_column_quantile_to_be_between', { column: Column, quantile: z.number().min(0).max(1), ...Between }),
  expectation('expect_column_quantile_values_to_be_between', { column: Column, quantile_ranges: QuantileRanges, allow_relative_error: z.union([z.literal(false), z.enum(INTERPOLATIONS)]).optional() }),
  expectation('expect_column_unique_value_count_to_be_between', { column: Column, ...StrictBetween }),
  expectation('expect_column_proportion_of_unique_values_to_be_between', { column: Column, ...StrictBetween }),
  expectation('expect_column_most_common_value_to_be_in_set', { column: Column, value_set: ValueSet.min(1), ties_okay: z.boolean().optional() }),
  expectation('expect_column_distinct_values_to_be_in_set', { column: Column, value_set: ValueSet.nullable().optional() }),
  expectation('expect_column_distinct_values_to_contain_set', { column: Column, value_set: ValueSet }),
  expectation('expect_column_distinct_values_to_equal_set', { column: Column, value_set: ValueSet }),
  expectation('expect_column_kl_divergence_to_be_less_than', {
    column: Column, partition_object: PartitionObject, threshold: z.number().min(0).finite().nullable(),
    internal_weight_holdout: z.number().min(0).max(1).optional(), tail_weight_holdout: z.number().min(0).max(1).optional(), bucketize_data: z.boolean().optional(),
  }),
  // Freshness: the newest timestamp in the column is at most this old when the suite runs.
  expectation('expect_column_max_to_be_recent', { column: Column, max_age_seconds: z.number().positive() }),
  // Distribution against the same column of a reference dataset version (`name@version`), scored as Evidently does.
  expectation('expect_column_psi_to_be_less_than', { column: Column, reference: DatasetRefText, threshold: z.number().positive().default(0.1) }),
  expectation('expect_column_ks_p_value_to_be_greater_than', { column: Column, reference: DatasetRefText, threshold: z.number().min(0).max(1).default(0.05) }),
]);
export type Expectation = z.infer<typeof Expectation>;
export type ExpectationType = Expectation['expectation_type'];

export const Suite = z.object({
  name: z.string().min(1).max(256).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore'),
  expectations: z.array(Expectation).min(1).max(1000),
});
export type Suite = z.infer<typeof Suite>;

/** A suite as registered: the same expectations under the same name are the same version. */
export interface StoredSuite extends Suite {
  readonly version: number;
  readonly digest: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** One expectation's outcome, shaped like GE's ExpectationValidationResult. */
export interface ExpectationResult {
  readonly success: boolean;
  readonly expectation_config: { readonly expectation_type: ExpectationType; readonly kwargs: Readonly<Record<string, unknown>> };
  readonly result: {
    readonly observed_value?: unknown;
    readonly element_count?: number;
    readonly missing_count?: number;
    readonly missing_percent?: number | null;
    readonly unexpected_count?: number;
    readonly unexpected_percent?: number | null;
    readonly unexpected_percent_total?: number | null;
    readonly unexpected_percent_nonmissing?: number | null;
    readonly partial_unexpected_list?: readonly unknown[];
    readonly partial_unexpected_counts?: readonly { readonly value: unknown; readonly count: number }[];
    readonly partial_unexpected_index_list?: readonly number[];
    readonly unexpected_list?: readonly unknown[];
    readonly unexpected_index_list?: readonly number[];
    readonly details?: Readonly<Record<string, unknown>>;
  };
  readonly exception_info?: { readonly raised_exception: true; readonly exception_message: string };
}

/** A suite's outcome, shaped like GE's ExpectationSuiteValidationResult. */
export interface ValidationResult {
  readonly success: boolean;
  readonly suite_name: string;
  readonly statistics: {
    readonly evaluated_expectations: number;
    readonly successful_expectations: number;
    readonly unsuccessful_expectations: number;
    readonly success_percent: number | null;
  };
  readonly results: readonly ExpectationResult[];
}

export interface StoredValidation {
  readonly id: string;
  readonly versionId: string;
  readonly suiteName: string;
  readonly suiteVersion: number;
  readonly success: boolean;
  readonly result: ValidationResult;
  readonly createdBy: string;
  readonly createdAt: number;
}
