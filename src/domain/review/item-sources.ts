import type { PredictionRecord } from '../serving/types.js';
import type { TraceForReview } from './review.service.js';
import type { NewReviewItem, ReviewQueue } from './types.js';
import { newHexId } from '../../core/ids.js';

interface LoggedTensor {
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/**
 * A ZipMap value: sklearn-onnx classifiers (and MLflow's scoring of them) give their probabilities as a sequence of
 * maps, one per row, class label → probability; the prediction log keeps each row's map as a JSON object.
 */
type ClassMap = Readonly<Record<string, number>>;
const isClassMap = (v: unknown): v is ClassMap =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0 && Object.values(v).every((p) => typeof p === 'number');

/**
 * One output's or input's values for row `i`, named `name` when one wide and `name_0`, `name_1`… otherwise; a
 * ZipMap row (label → probability) gives `name_<label>` per class.
 */
function rowValues(name: string, t: LoggedTensor, rows: number, i: number): [string, unknown][] {
  const width = rows > 0 ? Math.max(1, Math.floor(t.data.length / rows)) : 0;
  if (width === 1) {
    const v = t.data[i];
    return isClassMap(v) ? Object.entries(v).map(([label, p]) => [`${name}_${label}`, p]) : [[name, v]];
  }
  return Array.from({ length: width }, (_, k) => [`${name}_${k}`, t.data[i * width + k]] as [string, unknown]);
}

const isProbability = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

/** The most probable class of a ZipMap row: its label and probability (the first label on a tie, as argmax). */
function topOfMap(m: ClassMap): { confidence: number; label: string } | undefined {
  let best: { confidence: number; label: string } | undefined;
  for (const [label, p] of Object.entries(m)) {
    if (!isProbability(p)) return undefined;
    if (best === undefined || p > best.confidence) best = { confidence: p, label };
  }
  return best;
}

/**
 * The confidence of a classifier's answer for one row: the largest class probability (for a single probability
 * column, max(p, 1 − p)), with the class it belongs to (its index in a tensor, its label in a ZipMap). The output is
 * the one named, else one called like `probabilities`, else the last whose row is probabilities summing to 1.
 */
function confidenceOf(outputs: [string, LoggedTensor][], rows: number, i: number, named?: string): { confidence: number; label: string } | undefined {
  const candidates = named !== undefined
    ? outputs.filter(([n]) => n === named)
    : [...outputs.filter(([n]) => /prob/i.test(n)), ...outputs.filter(([n]) => !/prob/i.test(n)).reverse()];
  for (const [, t] of candidates) {
    const width = rows > 0 ? Math.floor(t.data.length / rows) : 0;
    const cell = width === 1 ? t.data[i] : undefined;
    if (isClassMap(cell)) {
      const top = topOfMap(cell);
      if (top === undefined) continue;
      const sum = Object.values(cell).reduce((s, v) => s + v, 0);
      if (named === undefined && Math.abs(sum - 1) > 1e-3) continue;
      return top;
    }
    const values = rowValues('', t, rows, i).map(([, v]) => v);
    if (values.length === 0 || !values.every(isProbability)) continue;
    if (values.length === 1) return { confidence: Math.max(values[0]!, 1 - values[0]!), label: values[0]! >= 0.5 ? '1' : '0' };
    const sum = values.reduce((s, v) => s + v, 0);
    if (named === undefined && Math.abs(sum - 1) > 1e-3) continue;
    const index = values.indexOf(Math.max(...values));
    return { confidence: values[index]!, label: String(index) };
  }
  return undefined;
}

/**
 * Logged predictions as review candidates: one per row of each request (id `prediction/row` for a batch, as monitors
 * join labels), its inputs and outputs flattened to named fields. The model's answer is the first output when it is a
 * label (a string or an integer), else the most probable class (its index, or its label in a ZipMap).
 */
export function predictionItems(records: readonly PredictionRecord[], queue: ReviewQueue, now: number): NewReviewItem[] {
  const out: NewReviewItem[] = [];
  for (const r of records) {
    const inputs = Object.entries((r.inputs ?? {}) as Record<string, LoggedTensor>);
    const outputs = Object.entries((r.outputs ?? {}) as Record<string, LoggedTensor>);
    const rows = inputs[0]?.[1].shape[0] ?? outputs[0]?.[1].shape[0] ?? 0;
    for (let i = 0; i < rows; i++) {
      const fields: Record<string, unknown> = {};
      for (const [name, t] of [...inputs, ...outputs]) for (const [k, v] of rowValues(name, t, rows, i)) fields[k] = v;
      const conf = confidenceOf(outputs, rows, i, queue.spec.lowConfidence?.output);
      const first = outputs[0] ? rowValues(outputs[0][0], outputs[0][1], rows, i) : [];
      const answer = first.length === 1 && (typeof first[0]![1] === 'string' || Number.isInteger(first[0]![1])) ? String(first[0]![1]) : conf?.label;
      out.push({
        id: newHexId(), queue: queue.name,
        source: { kind: 'prediction', id: rows === 1 ? r.predictionId : `${r.predictionId}/${i}`, deployment: r.deployment, model: r.modelName, version: r.version },
        reason: 'all', fields, ...(answer !== undefined ? { predicted: answer } : {}), ...(conf ? { confidence: conf.confidence } : {}),
        assigned: [], time: r.time, createdAt: now,
      });
    }
  }
  return out;
}

const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));

/** A trace as reviewers see it: its request and answer (the root span's input and output) and what the rule can test. */
export function traceFields(t: TraceForReview): { fields: Record<string, unknown>; predicted?: string } {
  const fields: Record<string, unknown> = {
    name: t.name, status: t.status, model: t.models.join(','), cost: t.cost, inputTokens: t.inputTokens, outputTokens: t.outputTokens,
    ...(t.promptName !== undefined ? { promptName: t.promptName, promptVersion: t.promptVersion } : {}),
    ...(t.userId !== undefined ? { userId: t.userId } : {}),
    input: text(t.input) ?? null, output: text(t.output) ?? null,
  };
  return { fields };
}
