/**
 * Two models on the same rows: the candidate's columns are the spec's, the baseline's are given apart.
 * Each resample draws one set of row (or query) weights and evaluates both models on it, so the interval
 * of a delta reflects the pairing; classification adds McNemar's test on the predicted labels.
 */
import { invalid } from '../../core/errors.js';
import { BOOTSTRAP_METHOD, bootstrapPValue, bootstrapSamples, percentileInterval } from './bootstrap.js';
import { pointMetrics, resampler, type ClassificationInput } from './classification.evaluate.js';
import { mcnemar } from './comparison.metrics.js';
import { classificationInput, groupSetup } from './evaluate.js';
import { labelColumn, numberColumn } from './evaluation-input.js';
import type { PredictionsTable } from './predictions-table.js';
import { perQuery } from './ranking.evaluate.js';
import { queryMeans } from './ranking.metrics.js';
import { meanMetrics, regressionSums } from './regression.metrics.js';
import type { BaselineColumns, EvaluationSpec } from './schemas.js';
import type { ComparisonResult, MetricDelta, MetricValue } from './types.js';

const LOWER_IS_BETTER = new Set(['log_loss', 'brier_score_loss', 'expected_calibration_error', 'mean_absolute_error', 'mean_squared_error',
  'root_mean_squared_error', 'mean_absolute_percentage_error']);
export const higherIsBetter = (metric: string) => !LOWER_IS_BETTER.has(metric);

const COMPARED: Record<EvaluationSpec['task'], readonly string[]> = {
  binary: ['accuracy_score', 'balanced_accuracy_score', 'f1_score', 'f1_macro', 'roc_auc', 'average_precision', 'log_loss', 'brier_score_loss'],
  multiclass: ['accuracy_score', 'balanced_accuracy_score', 'f1_macro', 'roc_auc_ovr_macro', 'log_loss', 'brier_score_loss'],
  regression: ['mean_absolute_error', 'root_mean_squared_error', 'r2_score', 'mean_absolute_percentage_error'],
  ranking: [],
};

const metricValue = (v: number | undefined): MetricValue => (v === undefined || Number.isNaN(v) ? { value: null, reason: 'undefined on these rows' } : { value: v });

type Evaluator = { names: string[]; point: () => [Record<string, number>, Record<string, number>]; resample: (w: Int32Array) => [Record<string, number>, Record<string, number>] };

function classificationEvaluator(candidate: ClassificationInput, baseline: ClassificationInput): Evaluator {
  const pc = pointMetrics(candidate, candidate.y, candidate.predicted, candidate.scores);
  const pb = pointMetrics(baseline, baseline.y, baseline.predicted, baseline.scores);
  const rc = resampler(candidate, pc);
  const rb = resampler(baseline, pb);
  const names = COMPARED[candidate.task].filter((m) => m in pc.values && m in pb.values);
  return {
    names,
    point: () => [pc.values, pb.values],
    resample: (w) => {
      rc.accumulate(w);
      rb.accumulate(w);
      return [rc.overall(), rb.overall()];
    },
  };
}

function regressionEvaluator(y: Float64Array, candidate: Float64Array, baseline: Float64Array): Evaluator {
  let centre = 0;
  for (let i = 0; i < y.length; i++) centre += y[i]! / y.length;
  const values = (prediction: Float64Array, w?: Int32Array) => {
    const m = meanMetrics(regressionSums(y, prediction, centre, w));
    return { mean_absolute_error: m.mae, root_mean_squared_error: m.rmse, r2_score: m.r2, mean_absolute_percentage_error: m.mape };
  };
  return { names: [...COMPARED.regression], point: () => [values(candidate), values(baseline)], resample: (w) => [values(candidate, w), values(baseline, w)] };
}

async function rankingEvaluator(table: PredictionsTable, spec: EvaluationSpec, baselineScore: string): Promise<Evaluator & { units: number }> {
  const queryCodes = (await labelColumn(table, spec.queryId!, 'query id')).codes;
  const relevance = await numberColumn(table, spec.label, 'relevance');
  const ks = [...new Set(spec.k)].sort((a, b) => a - b);
  const c = perQuery({ queryCodes, relevance, score: await numberColumn(table, spec.score!, 'score'), ks });
  const b = perQuery({ queryCodes, relevance, score: await numberColumn(table, baselineScore, 'baseline score'), ks });
  const names = [...ks.map((k) => `ndcg_at_${k}`), 'reciprocal_rank', ...ks.map((k) => `precision_at_${k}`)];
  const means = (q: typeof c, w?: Int32Array) => queryMeans(q.values, q.hasRelevant, names, w).all;
  return { names, units: c.values.length, point: () => [means(c), means(b)], resample: (w) => [means(c, w), means(b, w)] };
}

export async function compareModels(table: PredictionsTable, spec: EvaluationSpec, baseline: BaselineColumns): Promise<ComparisonResult> {
  if (table.rowCount === 0) throw invalid('The data has no rows');
  if (spec.slices.length || spec.sensitive.length) throw invalid("Invalid value for parameter 'slices': a comparison takes no slices or sensitive columns");
  const notes: string[] = [];
  let evaluator: Evaluator;
  let units = table.rowCount;
  let mcnemarResult: ComparisonResult['mcnemar'];
  if (spec.task === 'ranking') {
    if (!spec.queryId || !spec.score || !baseline.score) throw invalid("Invalid value for parameter 'baseline.score': a ranking comparison needs queryId, score and baseline.score");
    const r = await rankingEvaluator(table, spec, baseline.score);
    evaluator = r;
    units = r.units;
    notes.push('Resamples draw whole queries, the same ones for both models.');
  } else if (spec.task === 'regression') {
    if (!spec.prediction || !baseline.prediction) throw invalid("Invalid value for parameter 'baseline.prediction': a regression comparison needs prediction and baseline.prediction");
    evaluator = regressionEvaluator(
      await numberColumn(table, spec.label, 'label'),
      await numberColumn(table, spec.prediction, 'prediction'),
      await numberColumn(table, baseline.prediction, 'baseline prediction'),
    );
  } else {
    const groups = await groupSetup(table, spec);
    const candidateInput = await classificationInput(table, spec, groups);
    const baselineSpec: EvaluationSpec = { ...spec, prediction: baseline.prediction, score: baseline.score, scores: baseline.scores };
    if (!baseline.prediction && !baseline.score && !baseline.scores) throw invalid("Invalid value for parameter 'baseline': give the baseline's prediction, score or scores column");
    const baselineInput = await classificationInput(table, baselineSpec, groups);
    if (baselineInput.classes.join('\u0000') !== candidateInput.classes.join('\u0000')) {
      throw invalid(`The two models' labels imply different classes: [${candidateInput.classes.join(', ')}] and [${baselineInput.classes.join(', ')}]; declare 'classes'`);
    }
    evaluator = classificationEvaluator(candidateInput, baselineInput);
    let b = 0;
    let c = 0;
    for (let i = 0; i < candidateInput.y.length; i++) {
      const candidateRight = candidateInput.predicted[i] === candidateInput.y[i];
      const baselineRight = baselineInput.predicted[i] === candidateInput.y[i];
      if (candidateRight && !baselineRight) b++;
      else if (!candidateRight && baselineRight) c++;
    }
    mcnemarResult = mcnemar(b, c);
    notes.push(...candidateInput.notes);
  }
  const [pc, pb] = evaluator.point();
  const names = evaluator.names;
  const samples = spec.bootstrap.resamples > 0
    ? bootstrapSamples(units, names.length, spec.bootstrap, (w, out) => {
      const [c, b] = evaluator.resample(w);
      names.forEach((m, j) => (out[j] = c[m]! - b[m]!));
    })
    : undefined;
  const deltas: MetricDelta[] = names.map((m, j) => {
    const delta = pc[m]! - pb[m]!;
    const ci = samples ? percentileInterval(samples[j]!, spec.bootstrap.confidence) : undefined;
    return {
      metric: m,
      higherIsBetter: higherIsBetter(m),
      candidate: metricValue(pc[m]),
      baseline: metricValue(pb[m]),
      delta: Number.isNaN(delta) ? { value: null, reason: 'the metric is undefined for one of the models' } : ci ? { value: delta, ci } : { value: delta },
      pValue: samples ? bootstrapPValue(samples[j]!) : null,
    };
  });
  return {
    task: spec.task,
    rows: table.rowCount,
    deltas,
    ...(mcnemarResult ? { mcnemar: mcnemarResult } : {}),
    ...(samples ? { bootstrap: { ...spec.bootstrap, method: `paired ${BOOTSTRAP_METHOD}` } } : {}),
    notes: [...notes, 'Deltas are candidate − baseline.'],
  };
}
