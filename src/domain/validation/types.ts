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

const expectation = <T extends string, K extends z.ZodRawShape>(type: T, kwargs: K) =>
  z.object({ expectation_type: z.literal(type), kwargs: z.object(kwargs).strict(), meta: z.record(z.string(), z.unknown()).optional() });

export const Expectation = z.discriminatedUnion('expectation_type', [
  expectation('expect_column_to_exist', { column: Column }),
  expectation('expect_column_values_to_be_of_type', { column: Column, type_: z.string().min(1) }),
  expectation('expect_column_values_to_not_be_null', { column: Column, mostly: Mostly }),
  expectation('expect_column_values_to_be_unique', { column: Column, mostly: Mostly }),
  expectation('expect_column_values_to_be_between', { column: Column, ...Between, strict_min: z.boolean().optional(), strict_max: z.boolean().optional(), mostly: Mostly }),
  expectation('expect_column_values_to_be_in_set', { column: Column, value_set: z.array(z.union([z.string(), z.number().finite()])).min(1), mostly: Mostly }),
  expectation('expect_column_values_to_match_regex', { column: Column, regex: z.string().min(1), mostly: Mostly }),
  expectation('expect_table_row_count_to_be_between', Between),
  expectation('expect_column_mean_to_be_between', { column: Column, ...Between }),
  expectation('expect_column_median_to_be_between', { column: Column, ...Between }),
  expectation('expect_column_stdev_to_be_between', { column: Column, ...Between }),
  expectation('expect_column_quantile_to_be_between', { column: Column, quantile: z.number().min(0).max(1), ...Between }),
  expectation('expect_column_unique_value_count_to_be_between', { column: Column, ...Between }),
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
    readonly partial_unexpected_list?: readonly unknown[];
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
