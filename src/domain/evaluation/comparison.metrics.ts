/**
 * McNemar's test for two classifiers on the same rows: only the discordant rows count, b where the
 * candidate alone is right and c where the baseline alone is. The exact p-value is the two-sided
 * binomial test of b against Bin(b + c, ½) (statsmodels' `mcnemar(exact=True)`, SciPy's `binomtest`);
 * the chi-square version uses Edwards' continuity correction (|b − c| − 1)² / (b + c) with 1 degree of freedom.
 */
import { chiSquaredSf, logGamma } from '../monitoring/stats/special.js';
import type { McNemarResult } from './types.js';

/** P(X ≤ k) for X ~ Bin(m, ½), summed downwards from k in log space so large m stays exact. */
export function binomialHalfCdf(k: number, m: number): number {
  if (k < 0) return 0;
  if (k >= m) return 1;
  const logHalf = m * Math.log(0.5);
  let logTerm = logGamma(m + 1) - logGamma(k + 1) - logGamma(m - k + 1) + logHalf;
  let sum = 0;
  for (let i = k; i >= 0; i--) {
    const term = Math.exp(logTerm);
    sum += term;
    if (term < sum * 1e-17) break;
    // C(m, i−1) / C(m, i) = i / (m − i + 1)
    logTerm += Math.log(i / (m - i + 1));
  }
  return Math.min(1, sum);
}

export function mcnemar(candidateOnlyCorrect: number, baselineOnlyCorrect: number): McNemarResult {
  const b = candidateOnlyCorrect;
  const c = baselineOnlyCorrect;
  const m = b + c;
  const exactPValue = m === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(b, c), m));
  const chi2Statistic = m === 0 ? 0 : (Math.abs(b - c) - 1) ** 2 / m;
  return { candidateOnlyCorrect: b, baselineOnlyCorrect: c, exactPValue, chi2Statistic, chi2PValue: m === 0 ? 1 : chiSquaredSf(chi2Statistic, 1) };
}
