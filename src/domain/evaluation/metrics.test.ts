import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binnedAucAp } from './classification.evaluate.js';
import {
  averagePrecision, binaryBrierTerms, binaryLogLossTerms, confusionMatrix, curves, rocAuc, sortByScore, summarizeConfusion, weightedMean,
} from './classification.metrics.js';
import { binomialHalfCdf, mcnemar } from './comparison.metrics.js';
import { evaluatePredictions } from './evaluate.js';
import { inlineTable } from './predictions-table.js';
import { ndcgAtK } from './ranking.metrics.js';
import { meanMetrics, regressionSums } from './regression.metrics.js';
import { EvaluationSpecSchema, type EvaluationSpecInput } from './schemas.js';
import type { EvaluationResult, Estimate } from './types.js';

/** Inputs and expected values written by fixtures/make-sklearn-fixtures.py with scikit-learn 1.2.1. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/sklearn-fixtures.json', import.meta.url), 'utf8')) as any;

const run = (columns: Record<string, unknown[]>, spec: Omit<EvaluationSpecInput, 'bootstrap'>): Promise<EvaluationResult> =>
  evaluatePredictions(inlineTable(columns), EvaluationSpecSchema.parse({ ...spec, bootstrap: { resamples: 0 } }));

const value = (e: Estimate | undefined) => {
  expect(e, 'metric present').toBeDefined();
  return e!.value;
};

describe('binary classification against scikit-learn', () => {
  for (const f of fixtures.binary) {
    it(`${f.name}: the full metric set`, async () => {
      const r = await run({ y: f.y, p: f.score }, { task: 'binary', label: 'y', score: 'p', threshold: f.threshold, classes: ['0', '1'] });
      for (const name of ['accuracy_score', 'balanced_accuracy_score', 'roc_auc', 'average_precision', 'log_loss', 'brier_score_loss', 'expected_calibration_error']) {
        expect(value(r.metrics[name]), name).toBeCloseTo(f.expected[name], 12);
      }
      for (const name of ['precision_score', 'recall_score', 'f1_score']) {
        // scikit-learn reports 0 where the metric is undefined (zero_division); we say why instead.
        if (r.metrics[name]!.value === null) expect(f.expected[name]).toBe(0);
        else expect(r.metrics[name]!.value, name).toBeCloseTo(f.expected[name], 12);
      }
      expect(r.confusionMatrix!.matrix).toEqual(f.expected.confusion_matrix);
      const cal = r.curves!.calibration!;
      expect(cal.map((b) => b.count)).toEqual(f.expected.calibration.counts);
      cal.forEach((b, i) => {
        expect(b.fractionPositive).toBeCloseTo(f.expected.calibration.fraction_positives[i], 12);
        expect(b.meanPredicted).toBeCloseTo(f.expected.calibration.mean_predicted[i], 12);
      });
    });
  }

  it('ROC curve points are roc_curve(drop_intermediate=False)', () => {
    const f = fixtures.binary[0];
    const { roc } = curves(sortByScore(f.score, f.y));
    expect(roc.map((p) => p.x)).toEqual(f.expected.roc_curve.fpr.map((v: number) => expect.closeTo(v, 12)));
    expect(roc.map((p) => p.y)).toEqual(f.expected.roc_curve.tpr.map((v: number) => expect.closeTo(v, 12)));
  });

  it('sample weights give scikit-learn\'s weighted values', () => {
    const f = fixtures.binary[0];
    const e = f.expected_weighted;
    expect(rocAuc(f.y, f.score, f.weight)).toBeCloseTo(e.roc_auc, 12);
    expect(averagePrecision(f.y, f.score, f.weight)).toBeCloseTo(e.average_precision, 12);
    expect(weightedMean(binaryLogLossTerms(f.y, f.score), f.weight)).toBeCloseTo(e.log_loss, 12);
    expect(weightedMean(binaryBrierTerms(f.y, f.score), f.weight)).toBeCloseTo(e.brier_score_loss, 12);
    const yhat = f.score.map((s: number) => (s >= 0.5 ? 1 : 0));
    const s = summarizeConfusion(confusionMatrix(f.y, yhat, 2, f.weight), 2);
    expect(s.accuracy).toBeCloseTo(e.accuracy_score, 12);
    expect(s.balancedAccuracy).toBeCloseTo(e.balanced_accuracy_score, 12);
    expect(s.perClass[1]!.precision).toBeCloseTo(e.precision_score, 12);
    expect(s.perClass[1]!.recall).toBeCloseTo(e.recall_score, 12);
    expect(s.perClass[1]!.f1).toBeCloseTo(e.f1_score, 12);
  });

  it('the per-bin counts a bootstrap resample builds give the weighted AUC and AP', () => {
    const f = fixtures.binary[0];
    const distinct = [...new Set<number>(f.score)].sort((a, b) => b - a);
    const counts = new Float64Array(2 * distinct.length);
    f.score.forEach((s: number, i: number) => (counts[2 * distinct.indexOf(s) + f.y[i]] += f.weight[i]));
    const r = binnedAucAp(counts, distinct.length);
    expect(r.rocAuc).toBeCloseTo(f.expected_weighted.roc_auc, 12);
    expect(r.averagePrecision).toBeCloseTo(f.expected_weighted.average_precision, 12);
  });

  it('ties count half a pair (worked by hand)', () => {
    // Positives at 0.5, 0.5; negatives at 0.5, 0.1. Pairs: (0.5 vs 0.5) ½ twice, (0.5 vs 0.1) 1 twice → 3/4.
    expect(rocAuc([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.1])).toBe(0.75);
    // One threshold group at 0.5 holds both positives with precision 2/3, so AP = 1 · 2/3.
    expect(averagePrecision([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.1])).toBeCloseTo(2 / 3, 15);
  });

  it('AUC with a single class is undefined, with the reason', async () => {
    const r = await run({ y: [1, 1, 1], p: [0.2, 0.6, 0.9] }, { task: 'binary', label: 'y', score: 'p' });
    expect(r.metrics.roc_auc).toMatchObject({ value: null, reason: expect.stringContaining('one class') });
    expect(r.metrics.recall_score!.value).toBeCloseTo(2 / 3, 15);
    expect(r.positiveLabel).toBe('1');
  });

  it('micro, macro and weighted averages as scikit-learn\'s average= (worked by hand)', async () => {
    // 4 negatives, 6 positives; predictions give TP 4, FN 2, FP 1, TN 3.
    // class 1: P 4/5, R 4/6, F1 8/11; class 0: P 3/5, R 3/4, F1 6/9. Supports 4 (class 0) and 6 (class 1).
    const y = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const yhat = [0, 0, 0, 1, 1, 1, 1, 1, 0, 0];
    const r = await run({ y, yhat }, { task: 'binary', label: 'y', prediction: 'yhat' });
    const expected: Record<string, number> = {
      precision_score: 4 / 5, recall_score: 4 / 6, f1_score: 8 / 11,
      precision_micro: 0.7, recall_micro: 0.7, f1_micro: 0.7,
      precision_macro: (3 / 5 + 4 / 5) / 2, recall_macro: (3 / 4 + 4 / 6) / 2, f1_macro: (6 / 9 + 8 / 11) / 2,
      precision_weighted: (4 * (3 / 5) + 6 * (4 / 5)) / 10, recall_weighted: 0.7, f1_weighted: (4 * (6 / 9) + 6 * (8 / 11)) / 10,
    };
    for (const [name, v] of Object.entries(expected)) expect(value(r.metrics[name]), name).toBeCloseTo(v, 14);
  });

  for (const f of fixtures.binary) {
    it(`${f.name}: averages from scikit-learn's confusion matrix by the published formulas`, async () => {
      const r = await run({ y: f.y, p: f.score }, { task: 'binary', label: 'y', score: 'p', threshold: f.threshold, classes: ['0', '1'] });
      const [[tn, fp], [fn, tp]] = f.expected.confusion_matrix as [[number, number], [number, number]];
      const n = tn + fp + fn + tp;
      const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b); // zero_division=0
      const perClass = [
        { p: ratio(tn, tn + fn), r: ratio(tn, tn + fp), f: ratio(2 * tn, 2 * tn + fn + fp), support: tn + fp },
        { p: ratio(tp, tp + fp), r: ratio(tp, tp + fn), f: ratio(2 * tp, 2 * tp + fp + fn), support: fn + tp },
      ];
      const macro = (k: 'p' | 'r' | 'f') => (perClass[0]![k] + perClass[1]![k]) / 2;
      const weighted = (k: 'p' | 'r' | 'f') => (perClass[0]![k] * perClass[0]!.support + perClass[1]![k] * perClass[1]!.support) / n;
      const accuracy = (tn + tp) / n;
      const expected: Record<string, number> = {
        precision_micro: accuracy, recall_micro: accuracy, f1_micro: accuracy,
        precision_macro: macro('p'), recall_macro: macro('r'), f1_macro: macro('f'),
        precision_weighted: weighted('p'), recall_weighted: weighted('r'), f1_weighted: weighted('f'),
      };
      for (const [name, v] of Object.entries(expected)) expect(value(r.metrics[name]), name).toBeCloseTo(v, 12);
    });
  }

  it('no positive predictions: precision is undefined, not 0', async () => {
    const r = await run({ y: [1, 0, 1, 0], p: [0.1, 0.2, 0.3, 0.4] }, { task: 'binary', label: 'y', score: 'p' });
    expect(r.metrics.precision_score).toMatchObject({ value: null, reason: expect.stringContaining('no positive predictions') });
    expect(r.metrics.recall_score!.value).toBe(0);
  });
});

describe("AIF360's per-group breakdown", () => {
  it('compares each unprivileged group alone with the privileged one, besides the pooled comparison (worked by hand)', async () => {
    // white (privileged): y 1,1,0,0 ŷ 1,1,1,0 → SR 3/4, TPR 1, FPR 1/2.
    // black: y 1,1,0,0 ŷ 1,0,0,0 → SR 1/4, TPR 1/2, FPR 0.   asian: y 1,0,0 ŷ 1,1,0 → SR 2/3, TPR 1, FPR 1/2.
    // Pooled unprivileged (7 rows): SR 3/7, TPR 2/3, FPR 1/4.
    const r = await run(
      { y: [1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0], yhat: [1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0], race: ['white', 'white', 'white', 'white', 'black', 'black', 'black', 'black', 'asian', 'asian', 'asian'] },
      { task: 'binary', label: 'y', prediction: 'yhat', sensitive: ['race'], privileged: { race: ['white'] } },
    );
    const a = r.fairness!.attributes[0]!;
    expect(value(a.aif360!.disparate_impact)).toBeCloseTo((3 / 7) / (3 / 4), 14);
    const by = Object.fromEntries(a.aif360ByGroup!.map((g) => [g.group, Object.fromEntries(Object.entries(g.metrics).map(([k, e]) => [k, e.value]))]));
    expect(a.aif360ByGroup!.map((g) => [g.group, g.count])).toEqual([['asian', 3], ['black', 4]]);
    expect(by.black!.disparate_impact).toBeCloseTo(1 / 3, 14);
    expect(by.black!.statistical_parity_difference).toBeCloseTo(-1 / 2, 14);
    expect(by.black!.equal_opportunity_difference).toBeCloseTo(-1 / 2, 14);
    expect(by.black!.average_odds_difference).toBeCloseTo(0.5 * ((0 - 0.5) + (0.5 - 1)), 14);
    expect(by.asian!.disparate_impact).toBeCloseTo((2 / 3) / (3 / 4), 14);
    expect(by.asian!.statistical_parity_difference).toBeCloseTo(2 / 3 - 3 / 4, 14);
    expect(by.asian!.equal_opportunity_difference).toBe(0);
    expect(by.asian!.average_odds_difference).toBe(0);
    // The pooled DI 4/7 already fails the four-fifths rule; black alone (1/3) is named too, asian (8/9) is not.
    expect(a.notes.join(' ')).toContain("Against the privileged group alone, 'black' has disparate_impact = 0.3333, needs ≥ 0.8 and ≤ 1.25");
    expect(a.notes.join(' ')).not.toContain("'asian' has");
  });
});

describe('multiclass classification against scikit-learn', () => {
  for (const f of fixtures.multiclass) {
    it(`${f.name}: averages, one-vs-rest AUC, log loss, Brier`, async () => {
      const columns: Record<string, unknown[]> = { y: f.y };
      f.labels.forEach((l: string, k: number) => (columns[`p_${l}`] = f.proba.map((row: number[]) => row[k])));
      const r = await run(columns, { task: 'multiclass', label: 'y', scores: f.labels.map((l: string) => `p_${l}`), classes: f.labels });
      const e = f.expected;
      for (const name of ['accuracy_score', 'balanced_accuracy_score', 'log_loss', 'brier_score_loss', 'roc_auc_ovr_macro', 'roc_auc_ovr_weighted', 'average_precision_macro',
        'precision_micro', 'recall_micro', 'f1_micro', 'precision_macro', 'recall_macro', 'f1_macro', 'precision_weighted', 'recall_weighted', 'f1_weighted']) {
        expect(value(r.metrics[name]), name).toBeCloseTo(e[name], 12);
      }
      expect(r.confusionMatrix!.matrix).toEqual(e.confusion_matrix);
      r.perClass!.forEach((c, k) => {
        expect(c.support).toBe(e.per_class.support[k]);
        for (const [field, key] of [['precision', 'precision'], ['recall', 'recall'], ['f1', 'f1']] as const) {
          const v = c[field].value;
          if (v === null) expect(e.per_class[key][k]).toBe(0);
          else expect(v).toBeCloseTo(e.per_class[key][k], 12);
        }
        expect(c.rocAuc!.value).toBeCloseTo(e.roc_auc_per_class[k], 12);
      });
    });
  }

  it('a class never predicted has undefined precision and the averages say how they counted it', async () => {
    const f = fixtures.multiclass[1];
    const r = await run({ y: f.y, yhat: ['cat', 'dog', 'cat', 'dog', 'cat', 'dog'] }, { task: 'multiclass', label: 'y', prediction: 'yhat', classes: f.labels });
    expect(r.perClass![2]!.precision).toMatchObject({ value: null, reason: expect.stringContaining('never predicted') });
    expect(r.notes.join(' ')).toContain("'owl'");
  });
});

describe('regression against scikit-learn', () => {
  for (const f of fixtures.regression) {
    it(`${f.name}`, async () => {
      const r = await run({ y: f.y, yhat: f.prediction }, { task: 'regression', label: 'y', prediction: 'yhat' });
      for (const name of ['mean_absolute_error', 'mean_squared_error', 'root_mean_squared_error', 'r2_score', 'mean_absolute_percentage_error',
        'median_absolute_error', 'max_error', 'explained_variance_score']) {
        expect(value(r.metrics[name]), name).toBeCloseTo(f.expected[name], 10);
      }
      for (const [q, v] of Object.entries(f.expected.residual_quantiles)) expect(r.residualQuantiles![String(Number(q))]).toBeCloseTo(v as number, 10);
    });
  }

  it('weighted sums give scikit-learn\'s weighted values', () => {
    const f = fixtures.regression[0];
    const m = meanMetrics(regressionSums(f.y, f.prediction, 10, f.weight));
    const e = f.expected_weighted;
    expect(m.mae).toBeCloseTo(e.mean_absolute_error, 10);
    expect(m.mse).toBeCloseTo(e.mean_squared_error, 10);
    expect(m.r2).toBeCloseTo(e.r2_score, 10);
    expect(m.mape).toBeCloseTo(e.mean_absolute_percentage_error, 10);
  });

  it('R² of a constant target is undefined, with what scikit-learn would say', async () => {
    const r = await run({ y: [2, 2, 2], yhat: [1, 2, 3] }, { task: 'regression', label: 'y', prediction: 'yhat' });
    expect(r.metrics.r2_score).toMatchObject({ value: null, reason: expect.stringContaining('constant') });
    expect(r.metrics.mean_absolute_error!.value).toBeCloseTo(2 / 3, 15);
  });
});

describe('ranking', () => {
  const f = fixtures.ranking[0];
  it('per-query nDCG matches scikit-learn\'s ndcg_score, ties averaged', () => {
    let at = 0;
    f.per_query.forEach((q: Record<string, number>) => {
      const n = f.query.filter((id: string) => id === f.query[at]).length;
      const rel = f.relevance.slice(at, at + n);
      const score = f.score.slice(at, at + n);
      for (const k of f.ks) expect(ndcgAtK(rel, score, k)).toBeCloseTo(q[`ndcg_at_${k}`]!, 12);
      at += n;
    });
  });

  it('means over all queries and over those with a relevant document', async () => {
    const r = await run({ q: f.query, rel: f.relevance, s: f.score }, { task: 'ranking', label: 'rel', score: 's', queryId: 'q', k: f.ks });
    const names = [...f.ks.flatMap((k: number) => [`precision_at_${k}`, `recall_at_${k}`, `hit_rate_at_${k}`, `ndcg_at_${k}`]), 'reciprocal_rank', 'average_precision'];
    const withRelevant = f.per_query.filter((q: { has_relevant: boolean }) => q.has_relevant);
    for (const name of names) {
      const all = f.per_query.reduce((a: number, q: Record<string, number | null>) => a + (q[name] ?? 0), 0) / f.per_query.length;
      const rel = withRelevant.reduce((a: number, q: Record<string, number>) => a + q[name]!, 0) / withRelevant.length;
      expect(value(r.metrics[name]), name).toBeCloseTo(all, 12);
      expect(value(r.metrics[`${name}_with_relevant`]), name).toBeCloseTo(rel, 12);
    }
    expect(r.queries).toEqual({ count: 6, withoutRelevant: 1 });
    // Worked by hand, query q0 ranked by score: relevances 3, 0, 1, 2, 0, 0 → relevant at ranks 1, 3, 4.
    expect(f.per_query[0].precision_at_3).toBeCloseTo(2 / 3, 12);
    expect(f.per_query[0].average_precision).toBeCloseTo((1 + 2 / 3 + 3 / 4) / 3, 12);
  });

  it('scikit-learn\'s documented nDCG example', () => {
    expect(ndcgAtK([10, 0, 0, 1, 5], [0.1, 0.2, 0.3, 4, 70], 5)).toBeCloseTo(0.6956940443813076, 12);
  });
});

describe('fairness: Fairlearn and AIF360 formulas', () => {
  const f = fixtures.fairness[0];
  it('per group rates, both conventions, intersections', async () => {
    const r = await run(
      { y: f.columns.y, yhat: f.columns.yhat, sex: f.columns.sex, race: f.columns.race },
      { task: 'binary', label: 'y', prediction: 'yhat', sensitive: ['sex', 'race'], privileged: { sex: ['male'], race: ['a'] } },
    );
    const byName = new Map(r.fairness!.attributes.map((a) => [a.attribute, a]));
    expect([...byName.keys()]).toEqual(['sex', 'race', 'sex&race']);
    for (const [attr, e] of Object.entries(f.expected) as [string, Record<string, number> & { groups: Record<string, Record<string, number | null>> }][]) {
      const a = byName.get(attr)!;
      for (const g of a.groups) {
        const eg = e.groups[g.group]!;
        expect(g.count).toBe(eg.count);
        for (const [ours, theirs] of [['selection_rate', 'selection_rate'], ['true_positive_rate', 'tpr'], ['false_positive_rate', 'fpr'], ['precision', 'precision']]) {
          if (eg[theirs!] === null) expect(g.metrics[ours!]!.value, `${attr}/${g.group}/${ours}`).toBeNull();
          else expect(g.metrics[ours!]!.value, `${attr}/${g.group}/${ours}`).toBeCloseTo(eg[theirs!]!, 12);
        }
      }
      for (const m of ['demographic_parity_difference', 'demographic_parity_ratio', 'equalized_odds_difference', 'equalized_odds_ratio']) {
        expect(value(a.fairlearn[m]), `${attr} ${m}`).toBeCloseTo(e[m]!, 12);
      }
      for (const m of ['disparate_impact', 'statistical_parity_difference', 'equal_opportunity_difference', 'average_odds_difference']) {
        expect(value(a.aif360![m]), `${attr} ${m}`).toBeCloseTo(e[m]!, 12);
      }
    }
  });

  it('a group without positives: TPR undefined with the reason, left out of the summaries and named', async () => {
    const r = await run(
      { y: f.columns.y, yhat: f.columns.yhat, race: f.columns.race },
      { task: 'binary', label: 'y', prediction: 'yhat', sensitive: ['race'], privileged: { race: ['a'] } },
    );
    const race = r.fairness!.attributes[0]!;
    expect(race.groups.find((g) => g.group === 'd')!.metrics.true_positive_rate).toMatchObject({ value: null, reason: 'the group has no positive labels' });
    expect(race.notes.join(' ')).toContain("'d'");
  });

  it('the four-fifths rule decides pass/fail per attribute', async () => {
    const r = await run(
      { y: f.columns.y, yhat: f.columns.yhat, sex: f.columns.sex, race: f.columns.race },
      { task: 'binary', label: 'y', prediction: 'yhat', sensitive: ['sex', 'race'], privileged: { sex: ['male'], race: ['a'] } },
    );
    const di = (attr: string) => r.fairness!.attributes.find((a) => a.attribute === attr)!.checks.find((c) => c.metric === 'disparate_impact')!;
    expect(f.expected.sex.disparate_impact).toBeGreaterThan(0.8);
    expect(di('sex').passed).toBe(true);
    expect(f.expected.race.disparate_impact).toBeLessThan(0.8);
    expect(di('race')).toMatchObject({ passed: false, convention: 'aif360', min: 0.8, max: 1.25 });
    expect(r.fairness!.passed).toBe(false);
    expect(r.fairness!.attributes.find((a) => a.attribute === 'sex&race')!.checks).toEqual([]);
  });

  it('custom thresholds with an explicit convention', async () => {
    const r = await run(
      { y: f.columns.y, yhat: f.columns.yhat, sex: f.columns.sex },
      {
        task: 'binary', label: 'y', prediction: 'yhat', sensitive: ['sex'],
        fairnessThresholds: [{ metric: 'demographic_parity_difference', max: 0.1 }, { metric: 'equal_opportunity_difference', convention: 'fairlearn', max: 0.1 }],
      },
    );
    const checks = r.fairness!.attributes[0]!.checks;
    expect(checks[0]).toMatchObject({ metric: 'demographic_parity_difference', convention: 'fairlearn', passed: false });
    expect(checks[1]).toMatchObject({ passed: true });
    await expect(run({ y: [1, 0], yhat: [1, 0], sex: ['a', 'b'] }, { task: 'binary', label: 'y', prediction: 'yhat', sensitive: ['sex'], fairnessThresholds: [{ metric: 'equal_opportunity_difference', max: 0.1 }] }))
      .rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('both conventions') });
  });
});

describe("McNemar's test", () => {
  for (const f of fixtures.mcnemar) {
    it(`${f.name}: exact binomial and continuity-corrected chi-square`, () => {
      const aRight = f.a.map((v: number, i: number) => v === f.y[i]);
      const bRight = f.b.map((v: number, i: number) => v === f.y[i]);
      const b = aRight.filter((r: boolean, i: number) => r && !bRight[i]).length;
      const c = aRight.filter((r: boolean, i: number) => !r && bRight[i]).length;
      const m = mcnemar(b, c);
      expect(b).toBe(f.expected.a_only_correct);
      expect(c).toBe(f.expected.b_only_correct);
      expect(m.exactPValue).toBeCloseTo(f.expected.exact_p_value, 12);
      expect(m.chi2Statistic).toBeCloseTo(f.expected.chi2_statistic, 12);
      expect(m.chi2PValue).toBeCloseTo(f.expected.chi2_p_value, 10);
    });
  }

  it('binomial tail worked by hand and on a large count', () => {
    // P(X ≤ 1) for Bin(4, ½) = (1 + 4) / 16.
    expect(binomialHalfCdf(1, 4)).toBeCloseTo(5 / 16, 15);
    // By symmetry P(X ≤ m/2 − 1) + P(X = m/2) + P(X ≥ m/2 + 1) = 1 with the two tails equal (log-gamma limits the digits).
    const m = 100_000;
    const below = binomialHalfCdf(m / 2 - 1, m);
    const atMost = binomialHalfCdf(m / 2, m);
    expect(2 * below + (atMost - below)).toBeCloseTo(1, 9);
    // P(X = m/2) ≈ √(2 / (π m)) by Stirling.
    expect((atMost - below) / Math.sqrt(2 / (Math.PI * m))).toBeCloseTo(1, 4);
  });
});
