/** Tests on counts: Pearson's chi-squared goodness of fit and the two-proportion Z-test. */
import { chiSquaredSf, normalSf } from './special.js';

export interface TestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * SciPy's `chisquare(f_obs, f_exp)`, df = k − 1. An expected count of 0 with observations makes the
 * statistic infinite and p = 0, as SciPy reports it.
 */
export function chiSquare(observed: readonly number[], expected: readonly number[]): TestResult {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (e === 0) {
      if (o !== 0) statistic = Infinity;
      continue;
    }
    statistic += ((o - e) * (o - e)) / e;
  }
  const df = observed.length - 1;
  if (df < 1) return { statistic, pValue: 1 };
  return { statistic, pValue: statistic === Infinity ? 0 : chiSquaredSf(statistic, df) };
}

/**
 * Two-sided Z-test for the difference of two proportions with the pooled variance (Evidently's
 * `proportions_diff_z_test`): x₁ of n₁ against x₂ of n₂.
 */
export function proportionZTest(x1: number, n1: number, x2: number, n2: number): TestResult {
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance === 0) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(variance);
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) };
}
