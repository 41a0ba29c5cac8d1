import { z } from 'zod';
import { parse } from '../parse.js';
import { Int64, KeyValue, MetricValue } from '../wire-types.js';

/** What MLflow's tracking requests name a run by; GET requests carry both. */
export const RunRef = z.object({ run_id: z.string().min(1).optional(), run_uuid: z.string().min(1).optional() });

export const Metric = z.object({
  key: z.string(), value: MetricValue, timestamp: Int64, step: Int64.optional(),
  model_id: z.string().optional(), dataset_name: z.string().optional(), dataset_digest: z.string().optional(),
});
/** MLflow 3 metrics may name the logged model and dataset they were measured for; empty strings mean none. */
export const metricOf = (m: z.output<typeof Metric>) => {
  const point = { key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 };
  // The plain point without spreads: a batch makes a thousand of them.
  if (!m.model_id && !m.dataset_name && !m.dataset_digest) return point;
  return {
    ...point,
    ...(m.model_id ? { modelId: m.model_id } : {}),
    ...(m.dataset_name ? { datasetName: m.dataset_name } : {}),
    ...(m.dataset_digest ? { datasetDigest: m.dataset_digest } : {}),
  };
};
export const LogBatch = RunRef.extend({
  metrics: z.array(Metric).optional(),
  params: z.array(KeyValue).optional(),
  tags: z.array(KeyValue).optional(),
});
/**
 * The log-batch body in the shape clients send it (numbers as numbers, no nulls), read without zod: on the ingest
 * path the schema's per-field union checks cost more than parsing the JSON. Whatever this accepts `LogBatch`
 * accepts with the same result; anything else (numbers as strings, "NaN", a wrong type) is left to `LogBatch`,
 * so a refusal is worded by the schema as before.
 */
export function plainLogBatch(body: unknown): z.output<typeof LogBatch> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  if (!optionalId(b.run_id) || !optionalId(b.run_uuid)) return undefined;
  const metrics = b.metrics === undefined ? undefined : plainMetrics(b.metrics);
  const params = b.params === undefined ? undefined : plainKeyValues(b.params);
  const tags = b.tags === undefined ? undefined : plainKeyValues(b.tags);
  if (metrics === null || params === null || tags === null) return undefined;
  return {
    ...(b.run_id !== undefined ? { run_id: b.run_id as string } : {}),
    ...(b.run_uuid !== undefined ? { run_uuid: b.run_uuid as string } : {}),
    ...(metrics ? { metrics } : {}),
    ...(params ? { params } : {}),
    ...(tags ? { tags } : {}),
  };
}

const optionalId = (v: unknown) => v === undefined || (typeof v === 'string' && v.length > 0);
const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
const isInt64 = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

function plainMetrics(value: unknown): z.output<typeof Metric>[] | null {
  if (!Array.isArray(value)) return null;
  const out = new Array<z.output<typeof Metric>>(value.length);
  for (let i = 0; i < value.length; i++) {
    const m = value[i] as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
    const { key, value: v, timestamp, step, model_id, dataset_name, dataset_digest } = m;
    if (typeof key !== 'string' || typeof v !== 'number' || !Number.isFinite(v) || !isInt64(timestamp)) return null;
    if ((step !== undefined && !isInt64(step)) || !optionalString(model_id) || !optionalString(dataset_name) || !optionalString(dataset_digest)) return null;
    if (model_id === undefined && dataset_name === undefined && dataset_digest === undefined) {
      out[i] = step !== undefined ? { key, value: v, timestamp, step } : { key, value: v, timestamp };
      continue;
    }
    out[i] = {
      key, value: v, timestamp,
      ...(step !== undefined ? { step } : {}),
      ...(model_id !== undefined ? { model_id: model_id as string } : {}),
      ...(dataset_name !== undefined ? { dataset_name: dataset_name as string } : {}),
      ...(dataset_digest !== undefined ? { dataset_digest: dataset_digest as string } : {}),
    };
  }
  return out;
}

function plainKeyValues(value: unknown): { key: string; value: string }[] | null {
  if (!Array.isArray(value)) return null;
  const out = new Array<{ key: string; value: string }>(value.length);
  for (let i = 0; i < value.length; i++) {
    const kv = value[i] as Record<string, unknown> | null;
    if (typeof kv !== 'object' || kv === null || Array.isArray(kv) || typeof kv.key !== 'string' || typeof kv.value !== 'string') return null;
    out[i] = { key: kv.key, value: kv.value };
  }
  return out;
}

/** A log-batch body, validated: the plain reader when it can, else the schema (which words any refusal). */
export function readLogBatch(body: unknown): z.output<typeof LogBatch> {
  return plainLogBatch(body) ?? parse(LogBatch, body);
}
