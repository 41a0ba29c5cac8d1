import type { PredictionRecord } from '../serving/types.js';
import type { TraceForReview } from './review.service.js';
import type { NewReviewItem, ReviewQueue } from './types.js';
import { newHexId } from '../../core/ids.js';

interface LoggedTensor {
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/** One tensor's values for row `i`, named `name` when one wide and `name_0`, `name_1`… otherwise. */
function rowValues(name: string, t: LoggedTensor, rows: number, i: number): [string, unknown][] {
  const width = rows > 0 ? Math.max(1, Math.floor(t.data.length / rows)) : 0;
  if (width === 1) return [[name, t.data[i]]];
  return Array.from({ length: width }, (_, k) => [`${name}_${k}`, t.data[i * width + k]] as [string, unknown]);
}

const isProbability = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

/**
 * The confidence of a classifier's answer for one row: the largest class probability (for a single probability
 * column, max(p, 1 − p)), with the class index it belongs to. The output is the one named, else one called like
 * `probabilities`, else the last whose row is probabilities summing to 1.
 */
function confidenceOf(outputs: [string, LoggedTensor][], rows: number, i: number, named?: string): { confidence: number; index: number } | undefined {
  const row = (t: LoggedTensor) => rowValues('', t, rows, i).map(([, v]) => v);
  const candidates = named !== undefined
    ? outputs.filter(([n]) => n === named)
    : [...outputs.filter(([n]) => /prob/i.test(n)), ...outputs.filter(([n]) => !/prob/i.test(n)).reverse()];
  for (const [, t] of candidates) {
    const values = row(t);
    if (values.length === 0 || !values.every(isProbability)) continue;
    if (values.length === 1) return { confidence: Math.max(values[0]!, 1 - values[0]!), index: values[0]! >= 0.5 ? 1 : 0 };
    const sum = values.reduce((s, v) => s + v, 0);
    if (named === undefined && Math.abs(sum - 1) > 1e-3) continue;
    const index = values.indexOf(Math.max(...values));
    return { confidence: values[index]!, index };
  }
  return undefined;
}

/**
 * Logged predictions as review candidates: one per row of each request (id `prediction/row` for a batch, as monitors
 * join labels), its inputs and outputs flattened to named fields. The model's answer is the first output when it is a
 * label (a string or an integer), else the most probable class's index.
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
      const answer = first.length === 1 && (typeof first[0]![1] === 'string' || Number.isInteger(first[0]![1])) ? String(first[0]![1]) : conf ? String(conf.index) : undefined;
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
