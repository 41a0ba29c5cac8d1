import { describe, expect, it } from 'vitest';
import { createRng, fillMultinomial, percentileInterval } from './bootstrap.js';
import { MAX_SCORE_BINS } from './classification.evaluate.js';
import {
  averagePrecision, binaryBrierTerms, binaryLogLossTerms, calibrationBin, calibrationSums, confusionMatrix, expectedCalibrationError, rocAuc, summarizeConfusion, weightedMean,
} from './classification.metrics.js';
import { compareModels } from './compare.js';
import { evaluatePredictions } from './evaluate.js';
import { inlineTable } from './predictions-table.js';
import { EvaluationSpecSchema, type EvaluationSpecInput } from './schemas.js';

/** Labels and a score with a known separation: y ~ Bernoulli(½), score = noisy label, rounded so ties occur. */
function synthetic(n: number, seed: number, decimals = 3) {
  const random = createRng(seed);
  const y: number[] = [];
  const p: number[] = [];
  const group: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = random() < 0.5 ? 1 : 0;
    y.push(label);
    p.push(Math.round(Math.min(1, Math.max(0, 0.3 + 0.35 * label + 0.45 * (random() - 0.5))) * 10 ** decimals) / 10 ** decimals);
    group.push(random() < 0.3 ? 'a' : 'b');
  }
  return { y, p, group };
}

const run = (columns: Record<string, unknown[]>, spec: EvaluationSpecInput) => evaluatePredictions(inlineTable(columns), EvaluationSpecSchema.parse(spec));

describe('bootstrap intervals', () => {
  it('each resample is the exact metric on the resampled rows (same seed, weights recomputed here)', async () => {
    const d = synthetic(300, 1);
    const resamples = 200;
    const r = await run({ y: d.y, p: d.p }, { task: 'binary', label: 'y', score: 'p', bootstrap: { resamples, seed: 42 } });
    const random = createRng(42);
    const w = new Int32Array(300);
    const auc = new Float64Array(resamples);
    const ll = new Float64Array(resamples);
    const acc = new Float64Array(resamples);
    const ap = new Float64Array(resamples);
    const brier = new Float64Array(resamples);
    const ece = new Float64Array(resamples);
    const terms = binaryLogLossTerms(d.y, d.p);
    const brierTerms = binaryBrierTerms(d.y, d.p);
    const bins = d.p.map((v) => calibrationBin(v, 10));
    const yhat = d.p.map((s) => (s >= 0.5 ? 1 : 0));
    for (let i = 0; i < resamples; i++) {
      fillMultinomial(w, random);
      auc[i] = rocAuc(d.y, d.p, w);
      ll[i] = weightedMean(terms, w);
      acc[i] = summarizeConfusion(confusionMatrix(d.y, yhat, 2, w), 2).accuracy;
      ap[i] = averagePrecision(d.y, d.p, w);
      brier[i] = weightedMean(brierTerms, w);
      ece[i] = expectedCalibrationError(calibrationSums(bins, d.p, d.y, 10, w));
    }
    const checked = [['roc_auc', auc], ['log_loss', ll], ['accuracy_score', acc], ['average_precision', ap], ['brier_score_loss', brier], ['expected_calibration_error', ece]] as const;
    for (const [name, samples] of checked) {
      const expected = percentileInterval(samples, 0.95)!;
      expect(r.metrics[name]!.ci!.lower, name).toBeCloseTo(expected.lower, 12);
      expect(r.metrics[name]!.ci!.upper, name).toBeCloseTo(expected.upper, 12);
      expect(r.metrics[name]!.ci!.resamples).toBe(resamples);
    }
  });

  it('slices get an interval for every metric, each resample the exact metric on the group\'s resampled rows', async () => {
    const d = synthetic(240, 3);
    const resamples = 150;
    const r = await run({ y: d.y, p: d.p, g: d.group }, { task: 'binary', label: 'y', score: 'p', slices: ['g'], bootstrap: { resamples, seed: 9 } });
    const a = r.slices[0]!.groups.find((x) => x.label === 'a')!;
    const names = Object.keys(a.metrics).filter((m) => m !== 'example_count');
    expect(names).toEqual(expect.arrayContaining(['roc_auc', 'average_precision', 'log_loss', 'brier_score_loss', 'expected_calibration_error', 'f1_macro', 'balanced_accuracy_score']));
    for (const m of names) expect(a.metrics[m]!.ci, m).toBeDefined();
    // The group's rows keep their weights; the others weigh 0.
    const random = createRng(9);
    const w = new Int32Array(240);
    const inA = d.group.map((g) => g === 'a');
    const terms = binaryLogLossTerms(d.y, d.p);
    const bins = d.p.map((v) => calibrationBin(v, 10));
    const yhat = d.p.map((s) => (s >= 0.5 ? 1 : 0));
    const samples = { roc_auc: [] as number[], log_loss: [] as number[], expected_calibration_error: [] as number[], f1_macro: [] as number[] };
    for (let i = 0; i < resamples; i++) {
      fillMultinomial(w, random);
      const wa = Int32Array.from(w, (v, row) => (inA[row] ? v : 0));
      samples.roc_auc.push(rocAuc(d.y, d.p, wa));
      samples.log_loss.push(weightedMean(terms, wa));
      samples.expected_calibration_error.push(expectedCalibrationError(calibrationSums(bins, d.p, d.y, 10, wa)));
      samples.f1_macro.push(summarizeConfusion(confusionMatrix(d.y, yhat, 2, wa), 2).macro.f1);
    }
    for (const [name, values] of Object.entries(samples)) {
      const expected = percentileInterval(values, 0.95)!;
      expect(a.metrics[name]!.ci!.lower, name).toBeCloseTo(expected.lower, 12);
      expect(a.metrics[name]!.ci!.upper, name).toBeCloseTo(expected.upper, 12);
    }
  });

  it('regression slices: median absolute error, max error and the target\'s sum and mean get intervals from the resampled rows', async () => {
    const random = createRng(4);
    const y = Array.from({ length: 120 }, () => Math.round(random() * 100) / 10);
    const yhat = y.map((v) => v + Math.round((random() - 0.5) * 40) / 10);
    const g = y.map((_, i) => (i % 3 === 0 ? 'x' : 'z'));
    const resamples = 100;
    const r = await run({ y, yhat, g }, { task: 'regression', label: 'y', prediction: 'yhat', slices: ['g'], bootstrap: { resamples, seed: 2 } });
    const x = r.slices[0]!.groups.find((s) => s.label === 'x')!;
    const rng = createRng(2);
    const w = new Int32Array(120);
    const samples = { median_absolute_error: [] as number[], max_error: [] as number[], sum_on_target: [] as number[], mean_on_target: [] as number[] };
    for (let i = 0; i < resamples; i++) {
      fillMultinomial(w, rng);
      // The resample written out row by row, as NumPy would see it.
      const rows = [...w].flatMap((count, row) => (g[row] === 'x' ? new Array<number>(count).fill(row) : []));
      const abs = rows.map((row) => Math.abs(y[row]! - yhat[row]!)).sort((p, q) => p - q);
      const at = (abs.length - 1) / 2;
      samples.median_absolute_error.push(abs[Math.floor(at)]! + (at - Math.floor(at)) * (abs[Math.ceil(at)]! - abs[Math.floor(at)]!));
      samples.max_error.push(abs[abs.length - 1]!);
      const sum = rows.reduce((acc, row) => acc + y[row]!, 0);
      samples.sum_on_target.push(sum);
      samples.mean_on_target.push(sum / rows.length);
    }
    for (const [name, values] of Object.entries(samples)) {
      const expected = percentileInterval(values, 0.95)!;
      expect(x.metrics[name]!.ci!.lower, name).toBeCloseTo(expected.lower, 9);
      expect(x.metrics[name]!.ci!.upper, name).toBeCloseTo(expected.upper, 9);
    }
    expect(r.metrics.median_absolute_error!.ci).toBeDefined();
  });

  it('the same seed gives the same intervals; another seed other ones', async () => {
    const d = synthetic(200, 2);
    const spec = (seed: number): EvaluationSpecInput => ({ task: 'binary', label: 'y', score: 'p', slices: ['g'], bootstrap: { resamples: 100, seed } });
    const a = await run({ y: d.y, p: d.p, g: d.group }, spec(5));
    const b = await run({ y: d.y, p: d.p, g: d.group }, spec(5));
    const c = await run({ y: d.y, p: d.p, g: d.group }, spec(6));
    expect(a.metrics).toEqual(b.metrics);
    expect(a.slices).toEqual(b.slices);
    expect(c.metrics.roc_auc!.ci).not.toEqual(a.metrics.roc_auc!.ci);
  });

  it('interval widths agree with the textbook standard errors (binomial accuracy, DeLong AUC)', async () => {
    const n = 3000;
    const d = synthetic(n, 3);
    const r = await run({ y: d.y, p: d.p }, { task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 1000, seed: 1 } });
    const acc = r.metrics.accuracy_score!;
    const seAcc = Math.sqrt((acc.value! * (1 - acc.value!)) / n);
    expect((acc.ci!.upper - acc.ci!.lower) / (2 * 1.96 * seAcc)).toBeGreaterThan(0.85);
    expect((acc.ci!.upper - acc.ci!.lower) / (2 * 1.96 * seAcc)).toBeLessThan(1.15);
    // DeLong et al. (1988): Var(AUC) = S10/P + S01/N from the structural components of each positive and negative.
    const pos = d.p.filter((_, i) => d.y[i] === 1);
    const neg = d.p.filter((_, i) => d.y[i] === 0);
    const credit = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0);
    const v10 = pos.map((x) => neg.reduce((acc, z) => acc + credit(x, z), 0) / neg.length);
    const v01 = neg.map((z) => pos.reduce((acc, x) => acc + credit(x, z), 0) / pos.length);
    const A = v10.reduce((a, b) => a + b, 0) / pos.length;
    expect(r.metrics.roc_auc!.value).toBeCloseTo(A, 12);
    const variance = (v: number[]) => v.reduce((a, x) => a + (x - A) ** 2, 0) / (v.length - 1);
    const seAuc = Math.sqrt(variance(v10) / pos.length + variance(v01) / neg.length);
    const ratio = (r.metrics.roc_auc!.ci!.upper - r.metrics.roc_auc!.ci!.lower) / (2 * 1.96 * seAuc);
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThan(1.15);
  });

  it('with more distinct scores than bins, resamples group adjacent scores and say so; the point AUC stays exact', async () => {
    const n = MAX_SCORE_BINS + 20_000;
    const random = createRng(9);
    const y = Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
    const p = y.map((v) => Math.min(1, Math.max(0, 0.35 + 0.3 * v + 0.5 * (random() - 0.5))));
    const r = await run({ y, p }, { task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 20, seed: 1 } });
    expect(r.metrics.roc_auc!.value).toBeCloseTo(rocAuc(y, p), 14);
    const bins = Number(/group the scores into (\d+) bins/.exec(r.notes.join(' '))?.[1]);
    expect(bins).toBeGreaterThan(MAX_SCORE_BINS / 2);
    expect(bins).toBeLessThanOrEqual(MAX_SCORE_BINS);
    const { lower, upper } = r.metrics.roc_auc!.ci!;
    expect(lower).toBeLessThan(r.metrics.roc_auc!.value!);
    expect(upper).toBeGreaterThan(r.metrics.roc_auc!.value!);
  });

  it('slices: counts and metrics per value and per combination', async () => {
    const r = await run(
      { y: [1, 0, 1, 0, 1, 1], yhat: [1, 0, 0, 0, 1, 0], region: ['eu', 'eu', 'us', 'us', 'us', 'eu'], plan: ['a', 'b', 'a', 'b', 'a', 'a'] },
      { task: 'binary', label: 'y', prediction: 'yhat', slices: ['region', 'plan'], bootstrap: { resamples: 0 } },
    );
    expect(r.slices.map((s) => s.columns)).toEqual([['region'], ['plan'], ['region', 'plan']]);
    const eu = r.slices[0]!.groups.find((g) => g.label === 'eu')!;
    // eu rows: (1,1), (0,0), (1,0) → accuracy 2/3, recall 1/2.
    expect([eu.count, eu.metrics.accuracy_score!.value, eu.metrics.recall_score!.value]).toEqual([3, 2 / 3, 0.5]);
    const usB = r.slices[2]!.groups.find((g) => g.label === 'us&b')!;
    expect(usB.count).toBe(1);
    expect(usB.metrics.recall_score).toMatchObject({ value: null, reason: expect.stringContaining('no positive labels') });
  });
});

describe('comparisons', () => {
  it('paired deltas with intervals and McNemar on the same rows', async () => {
    const d = synthetic(500, 4);
    const random = createRng(8);
    const worse = d.p.map((s) => Math.min(1, Math.max(0, s + 0.4 * (random() - 0.5))));
    const spec = EvaluationSpecSchema.parse({ task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 300, seed: 2 } });
    const c = await compareModels(inlineTable({ y: d.y, p: d.p, q: worse }), spec, { score: 'q' });
    const auc = c.deltas.find((x) => x.metric === 'roc_auc')!;
    expect(auc.delta.value).toBeCloseTo(rocAuc(d.y, d.p) - rocAuc(d.y, worse), 14);
    expect(auc.delta.ci!.lower).toBeGreaterThan(0);
    expect(auc.pValue).toBeLessThan(0.05);
    const correctA = d.y.map((v, i) => (d.p[i]! >= 0.5 ? 1 : 0) === v);
    const correctB = d.y.map((v, i) => (worse[i]! >= 0.5 ? 1 : 0) === v);
    expect(c.mcnemar!.candidateOnlyCorrect).toBe(correctA.filter((a, i) => a && !correctB[i]).length);
    expect(c.mcnemar!.baselineOnlyCorrect).toBe(correctA.filter((a, i) => !a && correctB[i]).length);
    const same = await compareModels(inlineTable({ y: d.y, p: d.p }), spec, { score: 'p' });
    expect(same.deltas.every((x) => x.delta.value === 0 && x.pValue === 1)).toBe(true);
  });
});

describe('bad input', () => {
  it('names the problem', async () => {
    const base = { task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 } } as const;
    await expect(run({ y: [0, 1, 2], p: [0.1, 0.2, 0.3] }, base)).rejects.toMatchObject({ message: expect.stringContaining("has 3 distinct labels") });
    await expect(run({ y: ['a', 'a'], p: [0.1, 0.2] }, base)).rejects.toMatchObject({ message: expect.stringContaining('positiveLabel') });
    await expect(run({ y: [0, 1], p: [0.1, 0.2] }, { ...base, positiveLabel: 'yes' })).rejects.toMatchObject({ message: expect.stringContaining("'yes' is not one of the classes") });
    await expect(run({ y: [0, 1], p: [0.1, 0.2], s: ['a', 'b'] }, { ...base, privileged: { s: ['a'] } })).rejects.toMatchObject({ message: expect.stringContaining('not among the sensitive columns') });
    await expect(run({ y: ['a', 'b', 'c'] }, { task: 'multiclass', label: 'y', scores: ['p1', 'p2'], classes: ['a', 'b', 'c'], bootstrap: { resamples: 0 } }))
      .rejects.toMatchObject({ message: expect.stringContaining('2 probability columns for 3 classes') });
    await expect(run({ q: ['1'], rel: [-1], s: [0.3] }, { task: 'ranking', label: 'rel', score: 's', queryId: 'q' })).rejects.toMatchObject({ message: expect.stringContaining('negative') });
  });

  it('decision scores skip the probability metrics instead of failing', async () => {
    const r = await run({ y: [0, 1, 1, 0], s: [-2, 3, 0.5, 1] }, { task: 'binary', label: 'y', score: 's', scoreKind: 'decision', threshold: 0, bootstrap: { resamples: 0 } });
    expect(r.metrics.log_loss).toBeUndefined();
    expect(r.metrics.roc_auc!.value).toBe(0.75);
  });
});
