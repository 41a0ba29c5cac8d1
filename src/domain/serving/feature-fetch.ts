import { invalid } from '../../core/errors.js';
import { tensorValues, type Tensor } from './tensor.js';

/**
 * A request to a deployment that fetches its own features carries the entities' join keys only: one column per key,
 * every column as long. Anything else is refused naming the field, so a caller still sending the model's inputs
 * learns what this deployment takes instead.
 */
export function entityColumns(given: Readonly<Record<string, readonly unknown[]>>, keys: readonly string[], field: string): Record<string, readonly unknown[]> {
  const extra = Object.keys(given).filter((k) => !keys.includes(k));
  if (extra.length) {
    throw invalid(`Invalid value for parameter '${field}': this deployment fetches its features from the feature store; send only the join key(s) ${keys.join(', ')}, not ${extra.map((e) => `'${e}'`).join(', ')}`);
  }
  const missing = keys.filter((k) => !(k in given));
  if (missing.length) throw invalid(`Invalid value for parameter '${field}': missing join key ${missing.map((m) => `'${m}'`).join(', ')} (this deployment fetches its features for ${keys.join(', ')})`);
  const lengths = new Set(keys.map((k) => given[k]!.length));
  if (lengths.size !== 1) throw invalid(`Invalid value for parameter '${field}': every join key needs as many values (one per row)`);
  if (given[keys[0]!]!.length === 0) throw invalid(`Invalid value for parameter '${field}': no rows`);
  for (const k of keys) {
    const bad = given[k]!.findIndex((v) => typeof v !== 'number' && typeof v !== 'string');
    if (bad >= 0) throw invalid(`Invalid value for parameter '${field}.${k}[${bad}]': a join key is a number or a string, got ${JSON.stringify(given[k]![bad]) ?? 'undefined'}`);
  }
  return Object.fromEntries(keys.map((k) => [k, given[k]!]));
}

/** Open Inference Protocol inputs as join key columns: one tensor per key, named by it. */
export function entitiesFromTensors(tensors: readonly Tensor[], keys: readonly string[]): Record<string, readonly unknown[]> {
  const columns: Record<string, readonly unknown[]> = {};
  for (const t of tensors) columns[t.name] = tensorValues(t);
  return entityColumns(columns, keys, 'inputs');
}
