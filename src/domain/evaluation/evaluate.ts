/**
 * One evaluation over a predictions table: checks the request against the task, reads the named
 * columns, builds the slices and fairness groups, and hands typed arrays to the task's metric set.
 */
import { invalid } from '../../core/errors.js';
import { evaluateClassification, type ClassificationInput } from './classification.evaluate.js';
import {
  groupingColumn, labelColumn, numberColumn, presentValues, sortLabels, toClassIndex, type GroupingColumn, type LabelColumn,
} from './evaluation-input.js';
import type { FairnessView, GroupSetup } from './fairness.evaluate.js';
import { AIF360_METRICS, DEFAULT_FAIRNESS_THRESHOLDS, FAIRLEARN_METRICS, type FairnessThreshold } from './fairness.metrics.js';
import { combine, makeView, subsets } from './groups.js';
import type { PredictionsTable } from './predictions-table.js';
import { evaluateRanking } from './ranking.evaluate.js';
import { evaluateRegression } from './regression.evaluate.js';
import type { EvaluationSpec } from './schemas.js';
import type { EvaluationResult } from './types.js';

/** With more columns than this, slices and intersections stop at pairs: all combinations would be too many. */
const ALL_COMBINATIONS_UP_TO = 4;

function resolveThresholds(given: EvaluationSpec['fairnessThresholds']): FairnessThreshold[] {
  if (!given) return [...DEFAULT_FAIRNESS_THRESHOLDS];
  return given.map((t, i) => {
    const inFairlearn = (FAIRLEARN_METRICS as readonly string[]).includes(t.metric);
    const inAif = (AIF360_METRICS as readonly string[]).includes(t.metric);
    if (!inFairlearn && !inAif) {
      throw invalid(`Invalid value for parameter 'fairnessThresholds.${i}.metric': '${t.metric}' is not a fairness metric; use one of ${[...new Set([...FAIRLEARN_METRICS, ...AIF360_METRICS])].join(', ')}`);
    }
    const convention = t.convention ?? (inFairlearn && inAif ? undefined : inFairlearn ? 'fairlearn' : 'aif360');
    if (!convention) throw invalid(`Invalid value for parameter 'fairnessThresholds.${i}.convention': '${t.metric}' exists in both conventions; say 'fairlearn' or 'aif360'`);
    if ((convention === 'fairlearn' && !inFairlearn) || (convention === 'aif360' && !inAif)) {
      throw invalid(`Invalid value for parameter 'fairnessThresholds.${i}.convention': '${t.metric}' is not a ${convention} metric`);
    }
    return { metric: t.metric, convention, ...(t.min !== undefined ? { min: t.min } : {}), ...(t.max !== undefined ? { max: t.max } : {}) };
  });
}

function combinations(count: number, minSize: number): number[][] {
  const all = subsets([...Array(count).keys()], minSize);
  return count > ALL_COMBINATIONS_UP_TO ? all.filter((s) => s.length <= 2) : all;
}

async function groupSetup(table: PredictionsTable, spec: EvaluationSpec): Promise<GroupSetup> {
  for (const column of Object.keys(spec.privileged)) {
    if (!spec.sensitive.includes(column)) throw invalid(`Invalid value for parameter 'privileged.${column}': '${column}' is not among the sensitive columns [${spec.sensitive.join(', ')}]`);
  }
  const names = [...new Set([...spec.slices, ...spec.sensitive])];
  const columns: GroupingColumn[] = [];
  for (const name of names) columns.push(await groupingColumn(table, name));
  const combos = combine(columns, table.rowCount);
  const position = (name: string) => names.indexOf(name);
  const slices = combinations(spec.slices.length, 1).map((s) => makeView(columns, combos, s.map((i) => position(spec.slices[i]!))));
  for (const [column, values] of Object.entries(spec.privileged)) {
    const known = columns[position(column)]!.values;
    const unknown = values.filter((v) => !known.includes(v));
    if (unknown.length) throw invalid(`Invalid value for parameter 'privileged.${column}': ${unknown.map((v) => `'${v}'`).join(', ')} does not occur in column '${column}' (values: ${known.slice(0, 20).join(', ')})`);
  }
  const fairnessSets = [
    ...spec.sensitive.map((_, i) => [i]),
    ...(spec.intersections ? combinations(spec.sensitive.length, 2) : []),
  ];
  const fairness: FairnessView[] = fairnessSets.map((set) => {
    const cols = set.map((i) => spec.sensitive[i]!);
    const view = makeView(columns, combos, cols.map(position));
    const declared = cols.every((c) => spec.privileged[c] !== undefined);
    const privileged = declared
      ? new Set(view.groups.filter((g) => cols.every((c) => spec.privileged[c]!.includes(g.key[c]!))).map((g) => g.label))
      : undefined;
    return { view, ...(privileged ? { privileged } : {}), checked: set.length === 1 };
  });
  return { columns, combos, slices, fairness, thresholds: resolveThresholds(spec.fairnessThresholds) };
}

const needed = (value: string | undefined, field: string, why: string): string => {
  if (!value) throw invalid(`Invalid value for parameter '${field}': ${why}`);
  return value;
};

/** Binary classes: [negative, positive]. The positive label defaults to the greater label, scikit-learn's convention for `roc_auc_score`. */
function binaryClasses(spec: EvaluationSpec, label: LabelColumn, prediction?: LabelColumn): { classes: string[]; note: string } {
  if (spec.classes && spec.classes.length !== 2) throw invalid(`Invalid value for parameter 'classes': a binary task has 2 classes, got ${spec.classes.length}`);
  const observed = [...new Set([...presentValues(label), ...(prediction ? presentValues(prediction) : [])])];
  let candidates = spec.classes ?? sortLabels(observed);
  if (!spec.classes && candidates.length > 2) {
    throw invalid(`Column '${label.name}' has ${candidates.length} distinct labels (${candidates.slice(0, 5).join(', ')}…) but the task is binary; use task 'multiclass'`);
  }
  if (candidates.length === 1) {
    const only = candidates[0]!;
    const pairs: Record<string, [string, string]> = { '1': ['0', '1'], '0': ['0', '1'], true: ['false', 'true'], false: ['false', 'true'], '1.0': ['0', '1'] };
    const pair = spec.positiveLabel ? [only === spec.positiveLabel ? `not ${only}` : only, spec.positiveLabel] : pairs[only.toLowerCase()];
    if (!pair) throw invalid(`Column '${label.name}' holds only the label '${only}'; say which label is positive with positiveLabel, or declare the two classes`);
    candidates = pair;
  }
  const sorted = spec.classes ? [...spec.classes] : sortLabels(candidates);
  const positive = spec.positiveLabel ?? sortLabels(sorted)[1]!;
  if (!sorted.includes(positive)) throw invalid(`Invalid value for parameter 'positiveLabel': '${positive}' is not one of the classes [${sorted.join(', ')}]`);
  const negative = sorted.find((c) => c !== positive)!;
  const note = spec.positiveLabel ? `Positive label: '${positive}'.` : `Positive label: '${positive}', the greater of the two labels (scikit-learn's default).`;
  return { classes: [negative, positive], note };
}

async function classificationInput(table: PredictionsTable, spec: EvaluationSpec, groups: GroupSetup): Promise<ClassificationInput> {
  const label = await labelColumn(table, spec.label, 'label');
  const prediction = spec.prediction ? await labelColumn(table, spec.prediction, 'prediction') : undefined;
  const probability = spec.scoreKind === 'probability';
  const notes: string[] = [];
  const base = { probability, calibrationBins: spec.calibrationBins, groups, bootstrap: spec.bootstrap };
  if (spec.task === 'binary') {
    if (!spec.score && !prediction) throw invalid("Invalid value for parameter 'score': a binary evaluation needs a score column, a prediction column or both");
    if (spec.scores) throw invalid("Invalid value for parameter 'scores': a binary task takes one 'score' column, P(positive label)");
    const { classes, note } = binaryClasses(spec, label, prediction);
    notes.push(note);
    const y = toClassIndex(label, classes, 'label');
    const score = spec.score ? await numberColumn(table, spec.score, 'score', { probability }) : undefined;
    let predicted: Int32Array;
    if (prediction) predicted = toClassIndex(prediction, classes, 'prediction');
    else {
      predicted = Int32Array.from(score!, (s) => (s >= spec.threshold ? 1 : 0));
      notes.push(`Predicted labels are score ≥ ${spec.threshold}.`);
    }
    if (score && !probability) notes.push('Scores are decision values: log loss, Brier score and calibration need probabilities and are left out.');
    return { ...base, task: 'binary', classes, y, predicted, ...(score ? { scores: [score] } : {}), ...(prediction ? {} : { threshold: spec.threshold }), notes };
  }
  if (spec.sensitive.length > 0) throw invalid("Invalid value for parameter 'sensitive': fairness audits need a binary decision; use task 'binary' (e.g. one class against the rest)");
  if (!spec.scores && !prediction) throw invalid("Invalid value for parameter 'scores': a multiclass evaluation needs probability columns ('scores'), a prediction column or both");
  if (spec.score) throw invalid("Invalid value for parameter 'score': a multiclass task takes one probability column per class in 'scores'");
  const observed = [...new Set([...presentValues(label), ...(prediction ? presentValues(prediction) : [])])];
  const classes = spec.classes ?? sortLabels(observed);
  if (spec.scores && spec.scores.length !== classes.length) {
    throw invalid(`Invalid value for parameter 'scores': ${spec.scores.length} probability columns for ${classes.length} classes [${classes.join(', ')}]; give one per class, in the order of 'classes'`);
  }
  if (spec.scores && !spec.classes) notes.push(`Probability columns are taken in the classes' sorted order: ${spec.scores.map((s, i) => `${s} → '${classes[i]}'`).join(', ')}.`);
  const y = toClassIndex(label, classes, 'label');
  let scores: Float64Array[] | undefined;
  if (spec.scores) {
    scores = [];
    for (const column of spec.scores) scores.push(await numberColumn(table, column, 'class probability', { probability }));
    if (probability) {
      let off = 0;
      let worst = 0;
      for (let i = 0; i < y.length; i++) {
        let s = 0;
        for (const c of scores) s += c[i]!;
        const d = Math.abs(s - 1);
        if (d > 1e-6) off++;
        worst = Math.max(worst, d);
      }
      if (off > 0) notes.push(`${off} rows' probabilities do not sum to 1 (largest deviation ${worst.toPrecision(3)}); log loss uses them as given, as scikit-learn ≥ 1.5 does (with a warning).`);
    }
  }
  let predicted: Int32Array;
  if (prediction) predicted = toClassIndex(prediction, classes, 'prediction');
  else {
    predicted = new Int32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      let best = 0;
      for (let k = 1; k < scores!.length; k++) if (scores![k]![i]! > scores![best]![i]!) best = k;
      predicted[i] = best;
    }
    notes.push('Predicted labels are the most probable class (the first on ties, as NumPy argmax).');
  }
  return { ...base, task: 'multiclass', classes, y, predicted, ...(scores ? { scores } : {}), notes };
}

/** Below this many rows (queries for ranking) an interval says little: the usual n ≥ 30 rule of thumb. */
export const SMALL_SAMPLE = 30;
export const SMALL_SAMPLE_NOTE = 'Small sample:';

/** Notes on an evaluation, or slice groups, too small for their numbers and intervals to mean much. */
function sampleSizeNotes(r: EvaluationResult): EvaluationResult {
  const notes: string[] = [];
  const size = r.task === 'ranking' ? (r.queries?.count ?? r.rows) : r.rows;
  const unit = r.task === 'ranking' ? (size === 1 ? 'query was' : 'queries were') : size === 1 ? 'row was' : 'rows were';
  if (size < SMALL_SAMPLE) {
    const collapse = size === 1 ? ' (with one row every resample is that row, so each interval is a single point)' : '';
    notes.push(`${SMALL_SAMPLE_NOTE} only ${size} ${unit} evaluated, fewer than ${SMALL_SAMPLE}; the bootstrap intervals cannot show the real uncertainty at this size${collapse}. Treat the numbers as anecdotes, not estimates.`);
  }
  const small = r.slices.flatMap((s) => s.groups.filter((g) => g.count < SMALL_SAMPLE).map((g) => `${s.columns.join(' × ')} = ${g.label.replace(/&/g, ' × ')} (${g.count})`));
  if (small.length > 0 && size >= SMALL_SAMPLE) {
    notes.push(`${SMALL_SAMPLE_NOTE} slice groups with fewer than ${SMALL_SAMPLE} rows, whose metrics and intervals mean little: ${small.slice(0, 20).join(', ')}${small.length > 20 ? ` and ${small.length - 20} more` : ''}.`);
  }
  return notes.length ? { ...r, notes: [...r.notes, ...notes] } : r;
}

/** Evaluates the table as the spec says. Bad input (a missing column, a label outside the classes, …) is INVALID_PARAMETER_VALUE naming it. */
export async function evaluatePredictions(table: PredictionsTable, spec: EvaluationSpec): Promise<EvaluationResult> {
  return sampleSizeNotes(await evaluateTable(table, spec));
}

async function evaluateTable(table: PredictionsTable, spec: EvaluationSpec): Promise<EvaluationResult> {
  if (table.rowCount === 0) throw invalid('The data has no rows');
  if (spec.task === 'ranking') {
    if (spec.slices.length || spec.sensitive.length) throw invalid("Invalid value for parameter 'slices': slices and sensitive columns are not supported for ranking");
    const queryId = needed(spec.queryId, 'queryId', 'a ranking evaluation needs the query id column');
    const score = needed(spec.score, 'score', 'a ranking evaluation needs the score column');
    const relevance = await numberColumn(table, spec.label, 'relevance');
    if (relevance.some((r) => r < 0)) throw invalid(`Column '${spec.label}' (relevance) has negative values; relevance is 0 (irrelevant) or more`);
    return evaluateRanking({
      queryCodes: (await labelColumn(table, queryId, 'query id')).codes,
      relevance,
      // A missing score: a relevant document the retriever did not return (see ranking.metrics.ts).
      score: await numberColumn(table, score, 'score', { allowMissing: true }),
      ks: [...new Set(spec.k)].sort((a, b) => a - b),
      bootstrap: spec.bootstrap,
      notes: ['Resamples draw whole queries.'],
    });
  }
  const groups = await groupSetup(table, spec);
  if (spec.task === 'regression') {
    if (spec.sensitive.length > 0) throw invalid("Invalid value for parameter 'sensitive': fairness audits need a binary decision; use slices for per-group regression metrics");
    const prediction = needed(spec.prediction, 'prediction', 'a regression evaluation needs the prediction column');
    return evaluateRegression({
      y: await numberColumn(table, spec.label, 'label'),
      prediction: await numberColumn(table, prediction, 'prediction'),
      groups,
      bootstrap: spec.bootstrap,
      notes: [],
    });
  }
  return evaluateClassification(await classificationInput(table, spec, groups));
}

export { groupSetup, classificationInput };
