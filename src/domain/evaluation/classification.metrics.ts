/**
 * Classification metrics with scikit-learn's definitions (checked against scikit-learn 1.2 on fixed
 * inputs, see fixtures/). Every function takes optional sample weights — the bootstrap passes its
 * resample counts as weights — and returns NaN where scikit-learn would divide by zero; callers turn NaN
 * into an undefined metric with the reason.
 *
 * - ROC AUC: trapezoid over the ROC points at each distinct score, so tied scores count half a pair
 *   (`roc_auc_score`). Undefined with a single class in y_true.
 * - Average precision: the step sum Σ (Rₙ − Rₙ₋₁) Pₙ over distinct scores, not the trapezoid area
 *   (`average_precision_score`). Undefined without positives.
 * - Precision, recall, F1 per class: tp/(tp+fp), tp/(tp+fn), 2tp/(2tp+fp+fn) (scikit-learn ≥ 1.3's F1,
 *   defined whenever the class appears at all). Averages: micro pools the counts, macro is the plain mean
 *   over classes, weighted weights by support; an undefined per-class value counts as 0 there, as
 *   scikit-learn's default `zero_division` does.
 * - Balanced accuracy: mean recall over the classes present in y_true (`balanced_accuracy_score`).
 * - Log loss: probabilities clipped to [ε, 1 − ε] with ε the float64 machine epsilon, as scikit-learn ≥ 1.5.
 * - Brier score: mean of Σₖ (pₖ − yₖ)²; for binary only the positive class's term (range 0–1), for
 *   multiclass every class's (range 0–2, not halved: scikit-learn's `scale_by_half=False`).
 * - Calibration: `calibration_curve(strategy='uniform')` bins — edges i/n, a probability on an inner edge
 *   belongs to the lower bin — and the expected calibration error Σ (n_b / n)·|frac_pos_b − mean_pred_b|.
 */

export const LOG_LOSS_EPS = 2.220446049250313e-16;

export type Weights = ArrayLike<number> | undefined;

const weightAt = (w: Weights, i: number) => (w === undefined ? 1 : w[i]!);

/** Scores in descending order with the labels alongside; `tieEnd[i]` marks the last row of a run of equal scores. */
export interface SortedScores {
  readonly score: Float64Array;
  readonly y: Uint8Array;
  readonly tieEnd: Uint8Array;
  /** Sorted position → original row. */
  readonly order: Uint32Array;
}

/** Row indices by descending score; equal scores keep their input order. */
export function argsortDescending(score: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(score.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => score[b]! - score[a]! || a - b);
}

export function sortByScore(score: ArrayLike<number>, y: ArrayLike<number>, order: Uint32Array = argsortDescending(score)): SortedScores {
  const n = order.length;
  const s = new Float64Array(n);
  const ys = new Uint8Array(n);
  const tieEnd = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s[i] = score[order[i]!]!;
    ys[i] = y[order[i]!]! ? 1 : 0;
  }
  for (let i = 0; i < n; i++) tieEnd[i] = i === n - 1 || s[i + 1] !== s[i] ? 1 : 0;
  return { score: s, y: ys, tieEnd, order };
}

/**
 * ROC AUC and average precision in one pass over labels in descending-score order. `w` is indexed by sorted
 * position, or, given `rowOf` (sorted position → row), by row: the bootstrap passes its resample counts per row
 * and reuses one sort for every resample.
 */
export function rocAucAndAp(
  s: { readonly y: ArrayLike<number>; readonly tieEnd: ArrayLike<number> }, w?: Weights, rowOf?: ArrayLike<number>,
): { rocAuc: number; averagePrecision: number } {
  const { y, tieEnd } = s;
  let tp = 0;
  let fp = 0;
  let tpPrev = 0;
  let fpPrev = 0;
  let area = 0;
  let ap = 0;
  for (let i = 0; i < y.length; i++) {
    const wi = weightAt(w, rowOf === undefined ? i : rowOf[i]!);
    if (y[i]) tp += wi;
    else fp += wi;
    if (tieEnd[i]) {
      area += (fp - fpPrev) * (tp + tpPrev);
      if (tp > tpPrev) ap += ((tp - tpPrev) * tp) / (tp + fp);
      tpPrev = tp;
      fpPrev = fp;
    }
  }
  return {
    rocAuc: tp > 0 && fp > 0 ? area / (2 * tp * fp) : NaN,
    averagePrecision: tp > 0 ? ap / tp : NaN,
  };
}

export const rocAuc = (y: ArrayLike<number>, score: ArrayLike<number>, w?: Weights): number =>
  rocAucAndAp(sortByScore(score, y), w && permute(w, argsortDescending(score))).rocAuc;

export const averagePrecision = (y: ArrayLike<number>, score: ArrayLike<number>, w?: Weights): number =>
  rocAucAndAp(sortByScore(score, y), w && permute(w, argsortDescending(score))).averagePrecision;

export function permute(values: ArrayLike<number>, order: Uint32Array): Float64Array {
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = values[order[i]!]!;
  return out;
}

/**
 * The ROC and precision–recall curves at each distinct score (what `roc_curve(drop_intermediate=False)` returns).
 * The ROC curve's first point (nothing predicted positive) has no threshold: scikit-learn's is inf, which JSON cannot carry.
 */
export function curves(s: SortedScores): { roc: { x: number; y: number; threshold?: number }[]; pr: { x: number; y: number; threshold: number }[] } {
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < s.y.length; i++) positives += s.y[i]!;
  const negatives = s.y.length - positives;
  const roc: { x: number; y: number; threshold?: number }[] = [{ x: 0, y: 0 }];
  const pr: { x: number; y: number; threshold: number }[] = [];
  for (let i = 0; i < s.y.length; i++) {
    if (s.y[i]) tp++;
    else fp++;
    if (s.tieEnd[i]) {
      roc.push({ x: negatives ? fp / negatives : 0, y: positives ? tp / positives : 0, threshold: s.score[i]! });
      pr.push({ x: positives ? tp / positives : 0, y: tp / (tp + fp), threshold: s.score[i]! });
    }
  }
  return { roc, pr };
}

/** Keeps at most `max` points, evenly spread and always the first and last: enough for a chart. */
export function thin<T>(points: readonly T[], max = 200): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(points[Math.round((i * (points.length - 1)) / (max - 1))]!);
  return out;
}

/** k×k confusion matrix, rows the true class and columns the predicted one (`confusion_matrix`). */
export function confusionMatrix(y: ArrayLike<number>, predicted: ArrayLike<number>, k: number, w?: Weights): Float64Array {
  const m = new Float64Array(k * k);
  for (let i = 0; i < y.length; i++) m[y[i]! * k + predicted[i]!]! += weightAt(w, i);
  return m;
}

export interface PerClass {
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface ClassificationSummary {
  readonly accuracy: number;
  readonly balancedAccuracy: number;
  readonly perClass: readonly PerClass[];
  readonly micro: { precision: number; recall: number; f1: number };
  readonly macro: { precision: number; recall: number; f1: number };
  readonly weighted: { precision: number; recall: number; f1: number };
  /** Classes whose precision, recall or F1 was undefined and counted as 0 in the averages. */
  readonly zeroDivision: { precision: number[]; recall: number[]; f1: number[] };
}

/** Every count-based metric from one confusion matrix. */
export function summarizeConfusion(m: ArrayLike<number>, k: number): ClassificationSummary {
  const perClass: PerClass[] = [];
  let total = 0;
  let correct = 0;
  let sumTp = 0;
  let sumFp = 0;
  let sumFn = 0;
  const zeroDivision = { precision: [] as number[], recall: [] as number[], f1: [] as number[] };
  for (let c = 0; c < k; c++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < k; j++) {
      row += m[c * k + j]!;
      col += m[j * k + c]!;
    }
    const tp = m[c * k + c]!;
    const fp = col - tp;
    const fn = row - tp;
    total += row;
    correct += tp;
    sumTp += tp;
    sumFp += fp;
    sumFn += fn;
    const p = col > 0 ? tp / col : NaN;
    const r = row > 0 ? tp / row : NaN;
    const f = 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : NaN;
    if (Number.isNaN(p)) zeroDivision.precision.push(c);
    if (Number.isNaN(r)) zeroDivision.recall.push(c);
    if (Number.isNaN(f)) zeroDivision.f1.push(c);
    perClass.push({ support: row, precision: p, recall: r, f1: f });
  }
  const zero = (v: number) => (Number.isNaN(v) ? 0 : v);
  const mean = (pick: (c: PerClass) => number) => (k > 0 ? perClass.reduce((a, c) => a + zero(pick(c)), 0) / k : NaN);
  const weighted = (pick: (c: PerClass) => number) => (total > 0 ? perClass.reduce((a, c) => a + c.support * zero(pick(c)), 0) / total : NaN);
  const present = perClass.filter((c) => c.support > 0);
  const microP = sumTp + sumFp > 0 ? sumTp / (sumTp + sumFp) : NaN;
  const microR = sumTp + sumFn > 0 ? sumTp / (sumTp + sumFn) : NaN;
  return {
    accuracy: total > 0 ? correct / total : NaN,
    balancedAccuracy: present.length > 0 ? present.reduce((a, c) => a + c.recall, 0) / present.length : NaN,
    perClass,
    micro: { precision: microP, recall: microR, f1: 2 * sumTp + sumFp + sumFn > 0 ? (2 * sumTp) / (2 * sumTp + sumFp + sumFn) : NaN },
    macro: { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1) },
    weighted: { precision: weighted((c) => c.precision), recall: weighted((c) => c.recall), f1: weighted((c) => c.f1) },
    zeroDivision,
  };
}

/** Σ wᵢ tᵢ / Σ wᵢ. */
export function weightedMean(terms: ArrayLike<number>, w?: Weights): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < terms.length; i++) {
    const wi = weightAt(w, i);
    sum += wi * terms[i]!;
    total += wi;
  }
  return total > 0 ? sum / total : NaN;
}

const clip = (p: number) => Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);

/** Per-row binary log loss −[y log p + (1 − y) log(1 − p)], p = P(positive). */
export function binaryLogLossTerms(y: ArrayLike<number>, p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = -Math.log(y[i] ? clip(p[i]!) : 1 - clip(p[i]!));
  return out;
}

/** Per-row binary Brier term (p − y)². */
export function binaryBrierTerms(y: ArrayLike<number>, p: ArrayLike<number>): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (p[i]! - (y[i] ? 1 : 0)) ** 2;
  return out;
}

/** Per-row multiclass log loss −log p_y, from k probability columns. */
export function multiclassLogLossTerms(y: ArrayLike<number>, proba: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = -Math.log(clip(proba[y[i]!]![i]!));
  return out;
}

/** Per-row multiclass Brier term Σₖ (pₖ − [y = k])². */
export function multiclassBrierTerms(y: ArrayLike<number>, proba: readonly ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let s = 0;
    for (let c = 0; c < proba.length; c++) s += (proba[c]![i]! - (y[i] === c ? 1 : 0)) ** 2;
    out[i] = s;
  }
  return out;
}

/** `calibration_curve`'s bin of a probability: the number of inner edges i/n strictly below it. */
export function calibrationBin(p: number, bins: number): number {
  let b = 0;
  // Edges computed as NumPy's linspace does (i · (1/n)), so a probability on an edge lands where it does there.
  const step = 1 / bins;
  while (b < bins - 1 && (b + 1) * step < p) b++;
  return b;
}

export interface CalibrationSums {
  readonly count: Float64Array;
  readonly sumPredicted: Float64Array;
  readonly sumPositive: Float64Array;
}

/** Per bin: weight, Σ w·p and Σ w·y. `bin`, `p` and `y` are per row; `y` is 1 where the outcome is the one `p` predicts. */
export function calibrationSums(bin: ArrayLike<number>, p: ArrayLike<number>, y: ArrayLike<number>, bins: number, w?: Weights): CalibrationSums {
  const count = new Float64Array(bins);
  const sumPredicted = new Float64Array(bins);
  const sumPositive = new Float64Array(bins);
  for (let i = 0; i < bin.length; i++) {
    const wi = weightAt(w, i);
    const b = bin[i]!;
    count[b]! += wi;
    sumPredicted[b]! += wi * p[i]!;
    if (y[i]) sumPositive[b]! += wi;
  }
  return { count, sumPredicted, sumPositive };
}

export function expectedCalibrationError(s: CalibrationSums): number {
  let total = 0;
  let ece = 0;
  for (let b = 0; b < s.count.length; b++) total += s.count[b]!;
  if (total === 0) return NaN;
  for (let b = 0; b < s.count.length; b++) {
    const c = s.count[b]!;
    if (c > 0) ece += (c / total) * Math.abs(s.sumPositive[b]! / c - s.sumPredicted[b]! / c);
  }
  return ece;
}

/** The non-empty bins of a calibration curve. */
export function calibrationCurve(s: CalibrationSums): { lower: number; upper: number; count: number; meanPredicted: number; fractionPositive: number }[] {
  const bins = s.count.length;
  const out = [];
  for (let b = 0; b < bins; b++) {
    const c = s.count[b]!;
    if (c > 0) out.push({ lower: b / bins, upper: (b + 1) / bins, count: c, meanPredicted: s.sumPredicted[b]! / c, fractionPositive: s.sumPositive[b]! / c });
  }
  return out;
}

/** Precision, recall, F1, FPR, selection rate and accuracy when predicting positive at score ≥ t, for each t. */
export function thresholdSweep(s: SortedScores, thresholds: readonly number[]) {
  const n = s.y.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += s.y[i]!;
  const negatives = n - positives;
  const descending = [...thresholds].sort((a, b) => b - a);
  const rows = new Map<number, { threshold: number; precision: number | null; recall: number | null; f1: number | null; falsePositiveRate: number | null; selectionRate: number; accuracy: number }>();
  let i = 0;
  let tp = 0;
  let fp = 0;
  for (const t of descending) {
    while (i < n && s.score[i]! >= t) {
      if (s.y[i]) tp++;
      else fp++;
      i++;
    }
    const fn = positives - tp;
    rows.set(t, {
      threshold: t,
      precision: tp + fp > 0 ? tp / (tp + fp) : null,
      recall: positives > 0 ? tp / positives : null,
      f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
      falsePositiveRate: negatives > 0 ? fp / negatives : null,
      selectionRate: n > 0 ? (tp + fp) / n : 0,
      accuracy: n > 0 ? (tp + (negatives - fp)) / n : 0,
    });
  }
  return thresholds.map((t) => rows.get(t)!);
}
