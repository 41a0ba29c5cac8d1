import { invalid } from '../../core/errors.js';
import type { Batch, KeyValue, Metric } from './types.js';

/** MLflow's limits, so clients that respect them upstream see the same boundaries here. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  runNameLength: 250,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
} as const;

// Keys double as file-system-like paths in MLflow's UI and exports: word characters, dot, dash, slash, space, colon.
const KEY_CHARS = /^[/\w.\- :]*$/;

export function validateKey(kind: 'metric' | 'param' | 'tag', key: string): void {
  if (key.length === 0) throw invalid(`Invalid ${kind} name: '' (the ${kind} key must not be empty)`);
  if (key.length > LIMITS.keyLength) {
    throw invalid(`${cap(kind)} key '${key.slice(0, 40)}…' has length ${key.length}, which exceeds the limit of ${LIMITS.keyLength}`);
  }
  if (!KEY_CHARS.test(key)) {
    throw invalid(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`,
    );
  }
  // A key must name one path: no `..` segments, no leading slash, nothing that normalizes to another key.
  const segments = key.split('/');
  if (key.startsWith('/') || segments.some((s) => s === '..' || s === '.') || key.includes('//')) {
    throw invalid(`Invalid ${kind} name: '${key}'. Names may be treated as files, so they cannot be absolute paths or contain '.', '..' or empty segments.`);
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Over-long param and tag values are cut to MLflow's limits rather than rejected, as MLflow does. */
export function normalizeParam(p: KeyValue): KeyValue {
  validateKey('param', p.key);
  return p.value.length > LIMITS.paramValueLength ? { key: p.key, value: p.value.slice(0, LIMITS.paramValueLength) } : p;
}

export function normalizeTag(t: KeyValue): KeyValue {
  validateKey('tag', t.key);
  return t.value.length > LIMITS.tagValueLength ? { key: t.key, value: t.value.slice(0, LIMITS.tagValueLength) } : t;
}

export function validateMetric<M extends Metric>(m: M): M {
  validateKey('metric', m.key);
  checkPosition(m);
  return m;
}

function checkPosition(m: Metric): void {
  if (!Number.isSafeInteger(m.timestamp)) throw invalid(`Invalid timestamp ${m.timestamp} for metric '${m.key}': must be an integer`);
  if (!Number.isSafeInteger(m.step)) throw invalid(`Invalid step ${m.step} for metric '${m.key}': must be an integer`);
}

/** Checks limits, then keys; within one batch, the same param key twice must carry the same value. */
export function normalizeBatch(batch: Batch): Batch {
  const { metrics, params, tags } = batch;
  if (metrics.length > LIMITS.batchMetrics) throw invalid(`A batch logging request can contain at most ${LIMITS.batchMetrics} metrics. Got ${metrics.length} metrics.`);
  if (params.length > LIMITS.batchParams) throw invalid(`A batch logging request can contain at most ${LIMITS.batchParams} params. Got ${params.length} params.`);
  if (tags.length > LIMITS.batchTags) throw invalid(`A batch logging request can contain at most ${LIMITS.batchTags} tags. Got ${tags.length} tags.`);
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.batchTotal) throw invalid(`A batch logging request can contain at most ${LIMITS.batchTotal} metrics, params and tags in total. Got ${total}.`);
  const normalizedParams = dedupe(params.map(normalizeParam), 'param');
  // The last value wins for a tag set twice in one batch, as if they had been set one after the other.
  const tagMap = new Map(tags.map(normalizeTag).map((t) => [t.key, t] as const));
  // A batch repeats a handful of keys hundreds of times: each distinct key is checked once.
  const checkedKeys = new Set<string>();
  for (const m of metrics) {
    if (!checkedKeys.has(m.key)) {
      validateKey('metric', m.key);
      checkedKeys.add(m.key);
    }
    checkPosition(m);
  }
  return { metrics, params: normalizedParams, tags: [...tagMap.values()] };
}

function dedupe(params: KeyValue[], kind: string): KeyValue[] {
  const seen = new Map<string, string>();
  for (const p of params) {
    const prior = seen.get(p.key);
    if (prior !== undefined && prior !== p.value) {
      throw invalid(`Duplicate ${kind} key '${p.key}' with different values in the same batch ('${prior}' and '${p.value}')`);
    }
    seen.set(p.key, p.value);
  }
  return [...seen].map(([key, value]) => ({ key, value }));
}

export function validateExperimentName(name: string, field = 'name'): string {
  if (name.trim().length === 0) throw invalid(`Invalid experiment name: '${name}'. Field '${field}' must be a non-empty string`);
  if (name.length > LIMITS.experimentNameLength) throw invalid(`Experiment name exceeds the maximum length of ${LIMITS.experimentNameLength} characters`);
  return name;
}

export function validateRunName(name: string): string {
  if (name.length > LIMITS.runNameLength) throw invalid(`Run name exceeds the maximum length of ${LIMITS.runNameLength} characters`);
  return name;
}

const ADJECTIVES = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fair', 'gentle', 'glad', 'grand',
  'honest', 'keen', 'kind', 'lively', 'lucid', 'merry', 'nimble', 'noble', 'placid', 'polite', 'proud', 'quick', 'quiet',
  'rare', 'sharp', 'shy', 'silent', 'sleek', 'smart', 'steady', 'sunny', 'swift', 'tidy', 'vast', 'warm', 'wise', 'witty',
];
const NOUNS = [
  'ant', 'bass', 'bat', 'bear', 'bee', 'bird', 'carp', 'cat', 'colt', 'crab', 'crane', 'deer', 'dove', 'eel', 'elk', 'finch',
  'fox', 'frog', 'goat', 'gull', 'hare', 'hawk', 'heron', 'horse', 'jay', 'koi', 'lamb', 'lark', 'lynx', 'mole', 'moth',
  'newt', 'owl', 'ox', 'panda', 'ram', 'robin', 'seal', 'shrew', 'slug', 'snail', 'squid', 'stork', 'swan', 'toad', 'trout',
  'wasp', 'whale', 'wolf', 'wren', 'yak',
];

/** A readable default run name in MLflow's style, e.g. `swift-heron-042`. */
export function generateRunName(random: () => number = Math.random): string {
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${String(Math.floor(random() * 1000)).padStart(3, '0')}`;
}
