/**
 * The binary and multiclass metric sets: overall, per class, per slice and per fairness group, with
 * bootstrap intervals. Point estimates use the exact metric functions. A resample is one pass over the
 * rows that adds its counts into per-combo confusion cells, per-score-bin label counts and a few sums;
 * every interval is then derived from those small tables.
 */
import {
  binaryBrierTerms, binaryLogLossTerms, calibrationBin, calibrationCurve, calibrationSums, confusionMatrix,
  curves, expectedCalibrationError, multiclassBrierTerms, multiclassLogLossTerms, rocAucAndAp, sortByScore, summarizeConfusion,
  thin, thresholdSweep, weightedMean, type CalibrationSums, type ClassificationSummary, type SortedScores,
} from './classification.metrics.js';
import { BOOTSTRAP_METHOD, bootstrapSamples, intervals, StatLayout, type BootstrapOptions } from './bootstrap.js';
import type { GroupCounts } from './fairness.metrics.js';
import { fairnessReport, fairnessSlots, writeFairness, type GroupSetup } from './fairness.evaluate.js';
import { gather, rowsByGroup, type View } from './groups.js';
import type { ClassReport, Estimate, EvaluationResult, Interval, Metrics, Slice } from './types.js';

export interface ClassificationInput {
  readonly task: 'binary' | 'multiclass';
  /** Binary: [negative, positive]. */
  readonly classes: readonly string[];
  readonly y: Int32Array;
  readonly predicted: Int32Array;
  /** Binary: [P(positive) or a decision score]; multiclass: one probability column per class. */
  readonly scores?: readonly Float64Array[];
  readonly probability: boolean;
  readonly threshold?: number;
  readonly calibrationBins: number;
  readonly groups: GroupSetup;
  readonly bootstrap: BootstrapOptions;
  readonly notes: readonly string[];
}

/** Score bins per resample: exact when there are at most this many distinct scores. */
export const MAX_SCORE_BINS = 1 << 17;

const REASONS: Record<string, string> = {
  accuracy_score: 'there are no rows',
  balanced_accuracy_score: 'there are no rows',
  precision_score: 'there are no positive predictions (scikit-learn reports 0 with an UndefinedMetricWarning)',
  recall_score: 'there are no positive labels (scikit-learn reports 0 with an UndefinedMetricWarning)',
  f1_score: 'there are neither positive labels nor positive predictions',
  roc_auc: 'only one class is present in the labels; ROC AUC is not defined then',
  roc_auc_ovr_macro: 'no class has both members and non-members among the labels',
  roc_auc_ovr_weighted: 'no class has both members and non-members among the labels',
  average_precision: 'there are no positive labels',
  average_precision_macro: 'no class has members among the labels',
  log_loss: 'there are no rows',
  brier_score_loss: 'there are no rows',
  expected_calibration_error: 'there are no rows',
};
const reasonFor = (name: string) => REASONS[name] ?? (name.startsWith('precision') || name.startsWith('recall') || name.startsWith('f1') ? 'there are no rows' : 'undefined on these rows');

/** One scored column seen as a binary problem: the positive class's score against "is that class". */
interface ScoredColumn {
  readonly target: Uint8Array;
  readonly score: Float64Array;
}

function scoredColumns(input: Pick<ClassificationInput, 'task' | 'classes'>, y: Int32Array, scores: readonly Float64Array[] | undefined): ScoredColumn[] {
  if (!scores) return [];
  if (input.task === 'binary') return [{ target: Uint8Array.from(y, (v) => (v === 1 ? 1 : 0)), score: scores[0]! }];
  return scores.map((score, k) => ({ target: Uint8Array.from(y, (v) => (v === k ? 1 : 0)), score }));
}

/** The top-label view of calibration for multiclass (confidence = max probability, hit = argmax is right); P(positive) for binary. */
function calibrationInputs(task: 'binary' | 'multiclass', y: Int32Array, scores: readonly Float64Array[]): { confidence: Float64Array; hit: Uint8Array } {
  if (task === 'binary') return { confidence: scores[0]!, hit: Uint8Array.from(y, (v) => (v === 1 ? 1 : 0)) };
  const n = y.length;
  const confidence = new Float64Array(n);
  const hit = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < scores.length; k++) if (scores[k]![i]! > scores[best]![i]!) best = k;
    confidence[i] = scores[best]![i]!;
    hit[i] = best === y[i] ? 1 : 0;
  }
  return { confidence, hit };
}

/** Metrics that need only the confusion matrix. */
function confusionMetrics(task: 'binary' | 'multiclass', s: ClassificationSummary, count: number): Record<string, number> {
  const out: Record<string, number> = { example_count: count, accuracy_score: s.accuracy, balanced_accuracy_score: s.balancedAccuracy };
  if (task === 'binary') {
    // scikit-learn's default `average='binary'`: the positive class alone.
    const pos = s.perClass[1]!;
    out.precision_score = pos.precision;
    out.recall_score = pos.recall;
    out.f1_score = pos.f1;
  }
  // Binary tasks get the other `average=` values too: teams gate on macro F1 whatever the number of classes.
  for (const avg of ['micro', 'macro', 'weighted'] as const) {
    out[`precision_${avg}`] = s[avg].precision;
    out[`recall_${avg}`] = s[avg].recall;
    out[`f1_${avg}`] = s[avg].f1;
  }
  return out;
}

/** ROC AUC and AP from per-column values: the column's own for binary, one-vs-rest averages for multiclass. */
function scoreMetrics(task: 'binary' | 'multiclass', aucs: readonly number[], aps: readonly number[], supports: readonly number[]): Record<string, number> {
  if (task === 'binary') return { roc_auc: aucs[0]!, average_precision: aps[0]! };
  let sum = 0;
  let defined = 0;
  let weighted = 0;
  let weight = 0;
  let apSum = 0;
  let apDefined = 0;
  aucs.forEach((auc, k) => {
    if (!Number.isNaN(auc)) {
      sum += auc;
      defined++;
      weighted += supports[k]! * auc;
      weight += supports[k]!;
    }
    if (!Number.isNaN(aps[k]!)) {
      apSum += aps[k]!;
      apDefined++;
    }
  });
  return {
    roc_auc_ovr_macro: defined ? sum / defined : NaN,
    roc_auc_ovr_weighted: weight ? weighted / weight : NaN,
    average_precision_macro: apDefined ? apSum / apDefined : NaN,
  };
}

export interface PointResult {
  readonly values: Record<string, number>;
  readonly summary: ClassificationSummary;
  readonly matrix: Float64Array;
  readonly aucs: number[];
  readonly aps: number[];
  readonly sorted: SortedScores[];
  readonly calibration?: CalibrationSums;
}

export function pointMetrics(input: ClassificationInput, y: Int32Array, predicted: Int32Array, scores: readonly Float64Array[] | undefined): PointResult {
  const k = input.classes.length;
  const matrix = confusionMatrix(y, predicted, k);
  const summary = summarizeConfusion(matrix, k);
  const values = confusionMetrics(input.task, summary, y.length);
  const columns = scoredColumns(input, y, scores);
  const sorted = columns.map((c) => sortByScore(c.score, c.target));
  const aucs: number[] = [];
  const aps: number[] = [];
  for (const s of sorted) {
    const r = rocAucAndAp(s);
    aucs.push(r.rocAuc);
    aps.push(r.averagePrecision);
  }
  if (columns.length > 0) Object.assign(values, scoreMetrics(input.task, aucs, aps, summary.perClass.map((c) => c.support)));
  let calibration: CalibrationSums | undefined;
  if (scores && input.probability) {
    const terms = input.task === 'binary'
      ? { ll: binaryLogLossTerms(columns[0]!.target, scores[0]!), br: binaryBrierTerms(columns[0]!.target, scores[0]!) }
      : { ll: multiclassLogLossTerms(y, scores), br: multiclassBrierTerms(y, scores) };
    values.log_loss = weightedMean(terms.ll);
    values.brier_score_loss = weightedMean(terms.br);
    const { confidence, hit } = calibrationInputs(input.task, y, scores);
    const bins = Int32Array.from(confidence, (p) => calibrationBin(p, input.calibrationBins));
    calibration = calibrationSums(bins, confidence, hit, input.calibrationBins);
    values.expected_calibration_error = expectedCalibrationError(calibration);
  }
  return { values, summary, matrix, aucs, aps, sorted, ...(calibration ? { calibration } : {}) };
}

interface ScoreBins {
  /** Row → bin·2 + target, bins in descending score. */
  readonly binTarget: Uint32Array;
  readonly bins: number;
  readonly exact: boolean;
  /** Per bin: its calibration bin and the mean of its scores (the score itself when exact). */
  readonly calibrationBin: Uint8Array;
  readonly meanScore: Float64Array;
}

/**
 * Bins of one scored column for the resamples: every distinct score its own bin when there are at most
 * MAX_SCORE_BINS of them, else runs of adjacent scores. A bin never spans two calibration bins, so the
 * calibration curve of a resample follows from the bin counts too.
 */
function binScores(column: ScoredColumn, sorted: SortedScores, calibrationBins: number): ScoreBins {
  const n = sorted.order.length;
  let distinct = 0;
  for (let i = 0; i < n; i++) distinct += sorted.tieEnd[i]!;
  const exact = distinct <= MAX_SCORE_BINS;
  const perBin = exact ? 1 : Math.ceil(n / MAX_SCORE_BINS);
  const binTarget = new Uint32Array(n);
  const calOfBin: number[] = [];
  const meanScore: number[] = [];
  let bin = 0;
  let inBin = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const row = sorted.order[i]!;
    binTarget[row] = (bin << 1) | column.target[row]!;
    inBin++;
    sum += sorted.score[i]!;
    if (calOfBin.length === bin) calOfBin.push(calibrationBin(sorted.score[i]!, calibrationBins));
    const cal = calOfBin[bin]!;
    // A bin closes only between distinct scores, so tied rows always share one.
    const next = i + 1 < n ? sorted.score[i + 1]! : NaN;
    if (sorted.tieEnd[i] && (exact || inBin >= perBin || i + 1 === n || calibrationBin(next, calibrationBins) !== cal)) {
      meanScore.push(sum / inBin);
      bin++;
      inBin = 0;
      sum = 0;
    }
  }
  return { binTarget, bins: Math.max(bin, 1), exact, calibrationBin: Uint8Array.from(calOfBin), meanScore: Float64Array.from(meanScore) };
}

/** ROC AUC and AP from per-bin negative/positive counts, bins in descending score: ties within a bin count half. */
export function binnedAucAp(counts: Int32Array | Float64Array, bins: number): { rocAuc: number; averagePrecision: number } {
  let tp = 0;
  let fp = 0;
  let area = 0;
  let ap = 0;
  for (let b = 0; b < bins; b++) {
    const dn = counts[2 * b]!;
    const dp = counts[2 * b + 1]!;
    area += dn * (2 * tp + dp);
    tp += dp;
    fp += dn;
    if (dp > 0) ap += (dp * tp) / (tp + fp);
  }
  return { rocAuc: tp > 0 && fp > 0 ? area / (2 * tp * fp) : NaN, averagePrecision: tp > 0 ? ap / tp : NaN };
}

/**
 * One slice group's score-based metrics in a resample, by one weighted pass over the group's rows: ROC AUC
 * and AP over its rows sorted by score (ties grouped, exactly as the point estimate), losses and calibration
 * from per-row terms. The resample's weights are the whole data's, so a group's size varies as it would.
 */
interface GroupScores {
  readonly rows: Int32Array;
  /** Per scored column: the group's rows by descending score, their targets (`y`) and where runs of equal scores end. */
  readonly columns: readonly { readonly order: Int32Array; readonly y: Uint8Array; readonly tieEnd: Uint8Array }[];
}

interface RowTerms {
  readonly logLoss?: Float64Array;
  readonly brier?: Float64Array;
  readonly calBin?: Int32Array;
  readonly confidence?: Float64Array;
  readonly hit?: Uint8Array;
}

function groupScores(scored: readonly ScoredColumn[], rows: Int32Array): GroupScores {
  const columns = scored.map((c) => {
    const sorted = sortByScore(gather(c.score, rows), gather(c.target, rows));
    return { order: Int32Array.from(sorted.order, (i) => rows[i]!), y: sorted.y, tieEnd: sorted.tieEnd };
  });
  return { rows, columns };
}

function rowTerms(input: ClassificationInput): RowTerms {
  if (!input.scores || !input.probability) return {};
  const columns = scoredColumns(input, input.y, input.scores);
  const terms = input.task === 'binary'
    ? { logLoss: binaryLogLossTerms(columns[0]!.target, input.scores[0]!), brier: binaryBrierTerms(columns[0]!.target, input.scores[0]!) }
    : { logLoss: multiclassLogLossTerms(input.y, input.scores), brier: multiclassBrierTerms(input.y, input.scores) };
  const { confidence, hit } = calibrationInputs(input.task, input.y, input.scores);
  return { ...terms, confidence, hit, calBin: Int32Array.from(confidence, (p) => calibrationBin(p, input.calibrationBins)) };
}

/** Loss and calibration sums per combo in one resample: one pass over the rows serves every slice view. */
interface ComboLosses {
  readonly weight: Float64Array;
  readonly logLoss: Float64Array;
  readonly brier: Float64Array;
  /** combo · bins + bin. */
  readonly count: Float64Array;
  readonly sumPredicted: Float64Array;
  readonly sumPositive: Float64Array;
}

function comboLosses(input: ClassificationInput, terms: Required<RowTerms>, w: Int32Array, into?: ComboLosses): ComboLosses {
  const combos = input.groups.combos.values.length;
  const bins = input.calibrationBins;
  const out = into ?? {
    weight: new Float64Array(combos), logLoss: new Float64Array(combos), brier: new Float64Array(combos),
    count: new Float64Array(combos * bins), sumPredicted: new Float64Array(combos * bins), sumPositive: new Float64Array(combos * bins),
  };
  const { weight, logLoss, brier, count, sumPredicted, sumPositive } = out;
  for (const a of [weight, logLoss, brier, count, sumPredicted, sumPositive]) a.fill(0);
  const comboOf = input.groups.combos.ofRow;
  const { logLoss: ll, brier: br, calBin, confidence, hit } = terms;
  for (let row = 0; row < comboOf.length; row++) {
    const wi = w[row]!;
    if (wi === 0) continue;
    const c = comboOf[row]!;
    weight[c]! += wi;
    logLoss[c]! += wi * ll[row]!;
    brier[c]! += wi * br[row]!;
    const at = c * bins + calBin[row]!;
    count[at]! += wi;
    sumPredicted[at]! += wi * confidence[row]!;
    sumPositive[at]! += wi * hit[row]!;
  }
  return out;
}

/** The score-based metrics of one group in one resample (ROC AUC, AP, log loss, Brier, ECE), as the point estimate names them. */
function groupScoreMetrics(input: ClassificationInput, g: GroupScores, combos: readonly number[], losses: ComboLosses | undefined, supports: readonly number[], w: Int32Array): Record<string, number> {
  const out: Record<string, number> = {};
  if (g.columns.length > 0) {
    const r = g.columns.map((c) => rocAucAndAp(c, w, c.order));
    Object.assign(out, scoreMetrics(input.task, r.map((x) => x.rocAuc), r.map((x) => x.averagePrecision), supports));
  }
  if (losses) {
    const bins = input.calibrationBins;
    const cal = { count: new Float64Array(bins), sumPredicted: new Float64Array(bins), sumPositive: new Float64Array(bins) };
    let total = 0;
    let ll = 0;
    let br = 0;
    for (const c of combos) {
      total += losses.weight[c]!;
      ll += losses.logLoss[c]!;
      br += losses.brier[c]!;
      for (let b = 0; b < bins; b++) {
        cal.count[b]! += losses.count[c * bins + b]!;
        cal.sumPredicted[b]! += losses.sumPredicted[c * bins + b]!;
        cal.sumPositive[b]! += losses.sumPositive[c * bins + b]!;
      }
    }
    out.log_loss = total > 0 ? ll / total : NaN;
    out.brier_score_loss = total > 0 ? br / total : NaN;
    out.expected_calibration_error = expectedCalibrationError(cal);
  }
  return out;
}

/** 2×2 confusion (rows true [neg, pos], columns predicted) as group counts. */
export const countsOf2x2 = (m: ArrayLike<number>, at = 0): GroupCounts => ({ tn: m[at]!, fp: m[at + 1]!, fn: m[at + 2]!, tp: m[at + 3]! });

/** Per-group confusion matrices of a view, summed from per-combo cells of size k². */
function groupMatrices(cells: ArrayLike<number>, view: View, k: number): Float64Array[] {
  const out = view.groups.map(() => new Float64Array(k * k));
  const kk = k * k;
  for (let combo = 0; combo < view.groupOfCombo.length; combo++) {
    const m = out[view.groupOfCombo[combo]!]!;
    for (let j = 0; j < kk; j++) m[j]! += cells[combo * kk + j]!;
  }
  return out;
}

interface Prepared {
  readonly n: number;
  readonly k: number;
  readonly cellOf: Uint32Array;
  readonly combos: number;
  readonly binned: ScoreBins[];
  readonly logLoss?: Float64Array;
  readonly brier?: Float64Array;
  /** Multiclass top-label calibration, accumulated per row; binary calibration comes from the score bins. */
  readonly topLabel?: { readonly calBin: Uint8Array; readonly confidence: Float64Array; readonly hit: Uint8Array };
}

function prepare(input: ClassificationInput, point: PointResult): Prepared {
  const n = input.y.length;
  const k = input.classes.length;
  const combos = input.groups.combos;
  const cellOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) cellOf[i] = (combos.ofRow[i]! * k + input.y[i]!) * k + input.predicted[i]!;
  const columns = scoredColumns(input, input.y, input.scores);
  const binned = columns.map((c, j) => binScores(c, point.sorted[j]!, input.calibrationBins));
  const base = { n, k, cellOf, combos: combos.values.length, binned };
  if (!input.scores || !input.probability) return base;
  if (input.task === 'binary') {
    const target = columns[0]!.target;
    return { ...base, logLoss: binaryLogLossTerms(target, input.scores[0]!), brier: binaryBrierTerms(target, input.scores[0]!) };
  }
  const { confidence, hit } = calibrationInputs(input.task, input.y, input.scores);
  return {
    ...base,
    logLoss: multiclassLogLossTerms(input.y, input.scores),
    brier: multiclassBrierTerms(input.y, input.scores),
    topLabel: { calBin: Uint8Array.from(confidence, (p) => calibrationBin(p, input.calibrationBins)), confidence, hit },
  };
}

/**
 * One resample's accumulation: per-combo confusion cells, per-bin label counts of each scored column and
 * the loss sums, in a single pass over the rows; the overall metrics follow from those.
 */
export function resampler(input: ClassificationInput, point: PointResult) {
  const p = prepare(input, point);
  const { n, k } = p;
  const cells = new Int32Array(p.combos * k * k);
  const binCounts = p.binned.map((b) => new Int32Array(2 * b.bins));
  const bins = input.calibrationBins;
  const cal = { count: new Float64Array(bins), sumPredicted: new Float64Array(bins), sumPositive: new Float64Array(bins) };
  const sums = { ll: 0, br: 0 };

  /** The common case, one scored column: a tight loop with everything in locals. */
  function accumulateOne(w: Int32Array): void {
    const { cellOf, logLoss, brier } = p;
    const binTarget = p.binned[0]!.binTarget;
    const counts = binCounts[0]!;
    let ll = 0;
    let br = 0;
    if (logLoss && brier) {
      for (let i = 0; i < n; i++) {
        const wi = w[i]!;
        cells[cellOf[i]!]! += wi;
        counts[binTarget[i]!]! += wi;
        ll += wi * logLoss[i]!;
        br += wi * brier[i]!;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const wi = w[i]!;
        cells[cellOf[i]!]! += wi;
        counts[binTarget[i]!]! += wi;
      }
    }
    sums.ll = ll;
    sums.br = br;
  }

  function accumulateAny(w: Int32Array): void {
    const { cellOf, logLoss, brier, topLabel } = p;
    const targets = p.binned.map((b) => b.binTarget);
    let ll = 0;
    let br = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      if (wi === 0) continue;
      cells[cellOf[i]!]! += wi;
      for (let c = 0; c < binCounts.length; c++) binCounts[c]![targets[c]![i]!]! += wi;
      if (logLoss) {
        ll += wi * logLoss[i]!;
        br += wi * brier![i]!;
      }
      if (topLabel) {
        const b = topLabel.calBin[i]!;
        cal.count[b]! += wi;
        cal.sumPredicted[b]! += wi * topLabel.confidence[i]!;
        cal.sumPositive[b]! += wi * topLabel.hit[i]!;
      }
    }
    sums.ll = ll;
    sums.br = br;
  }

  /** Binary calibration from the score bins: each bin lies in one calibration bin. */
  function calibrationFromBins(): void {
    const b = p.binned[0]!;
    const counts = binCounts[0]!;
    for (let j = 0; j < b.bins; j++) {
      const negatives = counts[2 * j]!;
      const positives = counts[2 * j + 1]!;
      const c = b.calibrationBin[j]!;
      cal.count[c]! += negatives + positives;
      cal.sumPositive[c]! += positives;
      cal.sumPredicted[c]! += (negatives + positives) * b.meanScore[j]!;
    }
  }

  return {
    cells,
    approximateBins: p.binned.filter((b) => !b.exact).map((b) => b.bins),
    accumulate(w: Int32Array): void {
      cells.fill(0);
      for (const c of binCounts) c.fill(0);
      cal.count.fill(0);
      cal.sumPredicted.fill(0);
      cal.sumPositive.fill(0);
      if (binCounts.length === 1 && !p.topLabel) accumulateOne(w);
      else accumulateAny(w);
      if (p.logLoss && !p.topLabel) calibrationFromBins();
    },
    overall(): Record<string, number> {
      const matrix = new Float64Array(k * k);
      for (let combo = 0; combo < p.combos; combo++) for (let j = 0; j < k * k; j++) matrix[j]! += cells[combo * k * k + j]!;
      const summary = summarizeConfusion(matrix, k);
      const values: Record<string, number> = confusionMetrics(input.task, summary, n);
      if (binCounts.length > 0) {
        const r = binCounts.map((c, j) => binnedAucAp(c, p.binned[j]!.bins));
        Object.assign(values, scoreMetrics(input.task, r.map((x) => x.rocAuc), r.map((x) => x.averagePrecision), summary.perClass.map((c) => c.support)));
      }
      if (p.logLoss) {
        values.log_loss = sums.ll / n;
        values.brier_score_loss = sums.br / n;
        values.expected_calibration_error = expectedCalibrationError(cal);
      }
      return values;
    },
  };
}

function bootstrap(input: ClassificationInput, point: PointResult, layout: StatLayout): { samples: Float64Array[]; approximate: number[] } {
  const k = input.classes.length;
  const overallNames = Object.keys(point.values).filter((name) => name !== 'example_count');
  const overall = overallNames.map((name) => layout.add(name));
  // Every metric a slice reports gets its interval, not only the count-based ones.
  const sliceNames = overallNames;
  const sliceSlots = input.groups.slices.map((view) => view.groups.map((g) => sliceNames.map((m) => layout.add(`slice:${view.name}:${g.label}:${m}`))));
  const terms = rowTerms(input);
  const scored = scoredColumns(input, input.y, input.scores);
  const sliceScores = input.groups.slices.map((view) => rowsByGroup(view, input.groups.combos).map((rows) => groupScores(scored, rows)));
  const sliceCombos = input.groups.slices.map((view) => view.groups.map((_, g) => [...view.groupOfCombo.keys()].filter((c) => view.groupOfCombo[c] === g)));
  let losses: ComboLosses | undefined;
  const fairness = input.groups.fairness.map((fv) => ({ fv, slots: fairnessSlots(fv, layout) }));
  const r = resampler(input, point);
  const samples = bootstrapSamples(input.y.length, layout.width, input.bootstrap, (w, out) => {
    r.accumulate(w);
    const values = r.overall();
    overallNames.forEach((name, j) => (out[overall[j]!] = values[name]!));
    if (terms.logLoss && input.groups.slices.length > 0) losses = comboLosses(input, terms as Required<RowTerms>, w, losses);
    input.groups.slices.forEach((view, v) => {
      groupMatrices(r.cells, view, k).forEach((m, g) => {
        const summary = summarizeConfusion(m, k);
        const s = { ...confusionMetrics(input.task, summary, 0), ...groupScoreMetrics(input, sliceScores[v]![g]!, sliceCombos[v]![g]!, losses, summary.perClass.map((c) => c.support), w) };
        sliceNames.forEach((name, j) => (out[sliceSlots[v]![g]![j]!] = s[name] ?? NaN));
      });
    });
    for (const { fv, slots } of fairness) writeFairness(fv, groupMatrices(r.cells, fv.view, 2).map((m) => countsOf2x2(m)), slots, out);
  });
  return { samples, approximate: r.approximateBins };
}

const estimate = (value: number, reason: string, ci?: Interval): Estimate => {
  if (Number.isNaN(value)) return { value: null, reason };
  return ci ? { value, ci } : { value };
};

function toMetrics(values: Record<string, number>, ciOf: (name: string) => Interval | undefined, prefix = ''): Metrics {
  return Object.fromEntries(Object.entries(values).map(([name, v]) => [name, estimate(v, reasonFor(name), ciOf(prefix + name))]));
}

function classReports(input: ClassificationInput, point: PointResult): ClassReport[] {
  return input.classes.map((label, c) => {
    const pc = point.summary.perClass[c]!;
    const report: ClassReport = {
      label,
      support: pc.support,
      precision: estimate(pc.precision, 'the class is never predicted'),
      recall: estimate(pc.recall, 'the class has no rows'),
      f1: estimate(pc.f1, 'the class is neither present nor predicted'),
    };
    const j = input.task === 'binary' ? (c === 1 ? 0 : -1) : c;
    if (j < 0 || point.aucs[j] === undefined) return report;
    return {
      ...report,
      rocAuc: estimate(point.aucs[j]!, 'the class is present in every row or in none'),
      averagePrecision: estimate(point.aps[j]!, 'the class has no rows'),
    };
  });
}

function zeroDivisionNotes(input: ClassificationInput, s: ClassificationSummary): string[] {
  const name = (cs: number[]) => cs.map((c) => `'${input.classes[c]}'`).join(', ');
  const notes: string[] = [];
  if (s.zeroDivision.precision.length) notes.push(`Precision is undefined for ${name(s.zeroDivision.precision)} (never predicted); counted as 0 in the macro and weighted averages, as scikit-learn does.`);
  if (s.zeroDivision.recall.length) notes.push(`Recall is undefined for ${name(s.zeroDivision.recall)} (no rows); counted as 0 in the averages and left out of balanced accuracy, as scikit-learn does.`);
  return notes;
}

function sliceResults(input: ClassificationInput, ciOf: (name: string) => Interval | undefined): Slice[] {
  return input.groups.slices.map((view) => {
    const rows = rowsByGroup(view, input.groups.combos);
    return {
      columns: view.columns,
      groups: view.groups.map((g, gi) => {
        const r = rows[gi]!;
        const point = pointMetrics(input, gather(input.y, r), gather(input.predicted, r), input.scores?.map((s) => gather(s, r)));
        return { key: g.key, label: g.label, count: r.length, metrics: toMetrics(point.values, ciOf, `slice:${view.name}:${g.label}:`) };
      }),
    };
  });
}

function curvesOf(input: ClassificationInput, point: PointResult): EvaluationResult['curves'] {
  if (point.sorted.length === 0) return undefined;
  const names = input.task === 'binary' ? [input.classes[1]!] : input.classes;
  const roc: Record<string, { x: number; y: number; threshold?: number }[]> = {};
  const pr: Record<string, { x: number; y: number; threshold: number }[]> = {};
  point.sorted.forEach((s, j) => {
    const c = curves(s);
    roc[names[j]!] = thin(c.roc);
    pr[names[j]!] = thin(c.pr);
  });
  const out: { roc: typeof roc; precisionRecall: typeof pr; calibration?: ReturnType<typeof calibrationCurve>; thresholds?: ReturnType<typeof thresholdSweep> } = { roc, precisionRecall: pr };
  if (point.calibration) out.calibration = calibrationCurve(point.calibration);
  if (input.task === 'binary') {
    const s = point.sorted[0]!;
    const lo = s.score[s.score.length - 1] ?? 0;
    const hi = s.score[0] ?? 1;
    const thresholds = input.probability
      ? Array.from({ length: 101 }, (_, i) => i / 100)
      : Array.from({ length: 101 }, (_, i) => lo + ((hi - lo) * i) / 100);
    out.thresholds = thresholdSweep(s, thresholds);
  }
  return out;
}

/** Per-combo confusion cells of the whole data, k² per combo. */
function pointCells(input: ClassificationInput): Float64Array {
  const k = input.classes.length;
  const cells = new Float64Array(input.groups.combos.values.length * k * k);
  for (let i = 0; i < input.y.length; i++) cells[(input.groups.combos.ofRow[i]! * k + input.y[i]!) * k + input.predicted[i]!]! += 1;
  return cells;
}

export function evaluateClassification(input: ClassificationInput): EvaluationResult {
  const point = pointMetrics(input, input.y, input.predicted, input.scores);
  const layout = new StatLayout();
  const boot = input.bootstrap.resamples > 0 && input.y.length > 0 ? bootstrap(input, point, layout) : undefined;
  const ciOf = intervals(layout, boot?.samples, input.bootstrap.confidence);
  const notes = [...input.notes, ...zeroDivisionNotes(input, point.summary)];
  if (boot && boot.approximate.length > 0) {
    notes.push(`Bootstrap intervals of ROC AUC and average precision group the scores into ${boot.approximate[0]} bins of adjacent values (rows in one bin count as tied); the point estimates are exact.`);
  }
  const k = input.classes.length;
  const matrix = Array.from({ length: k }, (_, r) => Array.from(point.matrix.subarray(r * k, (r + 1) * k)));
  const cells = input.groups.fairness.length > 0 ? pointCells(input) : undefined;
  return {
    task: input.task,
    rows: input.y.length,
    classes: input.classes,
    ...(input.task === 'binary' ? { positiveLabel: input.classes[1]! } : {}),
    ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
    metrics: toMetrics(point.values, ciOf),
    perClass: classReports(input, point),
    confusionMatrix: { labels: input.classes, matrix },
    ...(point.sorted.length > 0 ? { curves: curvesOf(input, point)! } : {}),
    slices: sliceResults(input, ciOf),
    ...(cells ? { fairness: fairnessReport(input.groups, (view) => groupMatrices(cells, view, 2).map((m) => countsOf2x2(m)), ciOf) } : {}),
    ...(boot ? { bootstrap: { ...input.bootstrap, method: BOOTSTRAP_METHOD } } : {}),
    notes,
  };
}
