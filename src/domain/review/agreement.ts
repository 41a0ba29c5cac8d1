/**
 * Inter-reviewer agreement on nominal labels.
 *
 * Cohen's kappa (two raters): κ = (p_o − p_e) / (1 − p_e), p_o the share of items both gave the same label, p_e the
 * agreement expected by chance from each rater's own label frequencies (scikit-learn's `cohen_kappa_score`).
 *
 * Fleiss' kappa (any number of raters per item): P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1)), P̄ their mean,
 * p_j = Σ_i n_ij / Σ_i n_i, P̄_e = Σ_j p_j², κ = (P̄ − P̄_e) / (1 − P̄_e). With the same number of raters per item this
 * is Fleiss (1971); items may have different counts (each needs at least two), as in Fleiss, Levin & Paik.
 *
 * κ is undefined (null) when chance agreement is already 1 (everyone used one label): 0/0.
 */

export interface CohenResult {
  readonly items: number;
  readonly observed: number;
  readonly expected: number;
  readonly kappa: number | null;
}

export function cohensKappa(a: readonly string[], b: readonly string[]): CohenResult {
  if (a.length !== b.length) throw new Error(`cohensKappa: ${a.length} and ${b.length} ratings`);
  const n = a.length;
  if (n === 0) return { items: 0, observed: 0, expected: 0, kappa: null };
  const countA = new Map<string, number>();
  const countB = new Map<string, number>();
  let agree = 0;
  for (let i = 0; i < n; i++) {
    countA.set(a[i]!, (countA.get(a[i]!) ?? 0) + 1);
    countB.set(b[i]!, (countB.get(b[i]!) ?? 0) + 1);
    if (a[i] === b[i]) agree++;
  }
  const observed = agree / n;
  let expected = 0;
  for (const [label, ca] of countA) expected += (ca / n) * ((countB.get(label) ?? 0) / n);
  return { items: n, observed, expected, kappa: kappaOf(observed, expected) };
}

export interface FleissResult {
  readonly items: number;
  readonly ratings: number;
  /** P̄: mean agreement per item. */
  readonly observed: number;
  /** P̄_e. */
  readonly expected: number;
  readonly kappa: number | null;
}

/** `counts[i][j]`: how many raters put item i in category j; items with fewer than two ratings are left out. */
export function fleissKappa(counts: readonly (readonly number[])[]): FleissResult {
  const rated = counts.filter((row) => row.reduce((s, x) => s + x, 0) >= 2);
  if (rated.length === 0) return { items: 0, ratings: 0, observed: 0, expected: 0, kappa: null };
  const k = Math.max(...rated.map((r) => r.length));
  const totals = new Array<number>(k).fill(0);
  let ratings = 0;
  let sumP = 0;
  for (const row of rated) {
    const ni = row.reduce((s, x) => s + x, 0);
    ratings += ni;
    let sq = 0;
    row.forEach((x, j) => {
      sq += x * x;
      totals[j]! += x;
    });
    sumP += (sq - ni) / (ni * (ni - 1));
  }
  const observed = sumP / rated.length;
  const expected = totals.reduce((s, t) => s + (t / ratings) ** 2, 0);
  return { items: rated.length, ratings, observed, expected, kappa: kappaOf(observed, expected) };
}

const kappaOf = (observed: number, expected: number): number | null => (expected >= 1 - 1e-12 ? null : (observed - expected) / (1 - expected));

/** Landis & Koch's words for a kappa, for reports. */
export function kappaWords(kappa: number | null): string {
  if (kappa === null) return 'undefined (one label only)';
  if (kappa < 0) return 'poor (below chance)';
  if (kappa <= 0.2) return 'slight';
  if (kappa <= 0.4) return 'fair';
  if (kappa <= 0.6) return 'moderate';
  if (kappa <= 0.8) return 'substantial';
  return 'almost perfect';
}
