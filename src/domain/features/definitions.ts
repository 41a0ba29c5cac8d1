import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DomainError } from '../../core/errors.js';
import { parseExpression, references } from './expression.js';
import { FEATURE_TYPES, KEY_TYPES, type EntityDef, type FeatureRepo, type FeatureViewDef, type SourceDef } from './types.js';

/**
 * Feature definitions as users write them in `feature_repo/*.yaml` (snake_case, as Feast names things), checked
 * here once for the CLI and the API alike. Every problem is reported, each naming the object at fault.
 */
const Name = z.string().regex(/^[a-z][a-z0-9_]{0,127}$/, 'must be lowercase letters, digits and underscores, starting with a letter');
const Column = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a plain column name (letters, digits, underscores)');

export const RawEntity = z.object({
  name: Name,
  join_keys: z.record(Column, z.enum(KEY_TYPES)).refine((k) => Object.keys(k).length > 0, 'needs at least one join key'),
  description: z.string().max(2000).optional(),
}).strict();

export const RawSource = z.object({
  dataset: z.string().min(1).max(300).optional(),
  path: z.string().min(1).max(4096).optional(),
  uri: z.string().min(1).max(4096).optional(),
  timestamp_field: Column.default('event_timestamp'),
  created_timestamp_field: Column.optional(),
}).strict();

export const RawFeatureView = z.object({
  name: Name,
  entity: Name,
  source: RawSource.optional(),
  sources: z.array(z.unknown()).optional(),
  schema: z.array(z.object({ name: z.string().min(1).max(256), dtype: z.enum(FEATURE_TYPES) }).strict()).min(1),
  transformations: z.array(z.object({ name: z.string().min(1).max(256), expression: z.string().min(1).max(2000) }).strict()).default([]),
  ttl: z.union([z.string(), z.number()]),
  owner: z.string().max(256).optional(),
  tags: z.record(z.string().max(256), z.string().max(1000)).default({}),
  description: z.string().max(2000).optional(),
}).strict();

export const RawRepo = z.object({
  entities: z.array(RawEntity).max(1000).default([]),
  feature_views: z.array(RawFeatureView).max(1000).default([]),
}).strict();
export type RawRepo = z.input<typeof RawRepo>;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30m`, `24h`, `7d`, `2w`, a number of seconds, or 0 (never expires); undefined when it is none of these. */
export function parseTtl(ttl: string | number): number | undefined {
  if (typeof ttl === 'number') return Number.isInteger(ttl) && ttl >= 0 ? ttl : undefined;
  const m = /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(ttl);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2] || 's']!;
}

export const NAMING_PATTERN = '<entity>_<feature>_<aggregation>_<window>';
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The team's convention: `user_purchase_count_7d` — the entity, what is measured, how, over what window. */
export function followsNaming(feature: string, entity: string): boolean {
  return new RegExp(`^${escapeRe(entity)}_(?:[a-z][a-z0-9]*_)+[a-z][a-z0-9]*_(?:\\d+[smhdw]|lifetime)$`).test(feature);
}

const namingProblem = (view: string, feature: string, entity: string) =>
  `feature view '${view}': feature '${feature}' does not follow ${NAMING_PATTERN} (expected like '${entity}_purchase_count_7d': it starts with the entity '${entity}_' and ends with a window such as 7d, 24h or lifetime)`;

function sourceOf(view: string, raw: z.infer<typeof RawSource>, problems: string[]): SourceDef | undefined {
  const given = (['dataset', 'path', 'uri'] as const).filter((k) => raw[k] !== undefined);
  if (given.length !== 1) {
    problems.push(`feature view '${view}' must have exactly one source (dataset, path or uri); it has ${given.length === 0 ? 'none' : given.join(' and ')}`);
    return undefined;
  }
  const times = { timestampField: raw.timestamp_field, ...(raw.created_timestamp_field ? { createdField: raw.created_timestamp_field } : {}) };
  if (raw.dataset !== undefined) {
    if (!/^[^@\s]+@[^@\s]+$/.test(raw.dataset)) problems.push(`feature view '${view}': source dataset '${raw.dataset}' must name a version, as name@version`);
    return { kind: 'dataset', dataset: raw.dataset, ...times };
  }
  if (raw.uri !== undefined) {
    if (!/^s3:\/\/[^/]+\/.+\.(parquet|csv)$/i.test(raw.uri)) problems.push(`feature view '${view}': source uri '${raw.uri}' must be s3://bucket/key ending in .parquet or .csv`);
    return { kind: 's3', uri: raw.uri, ...times };
  }
  const p = raw.path!;
  if (!p.startsWith('/')) problems.push(`feature view '${view}': source path '${p}' must be absolute (the CLI resolves paths against the definition file)`);
  if (!/\.(parquet|csv)$/i.test(p)) problems.push(`feature view '${view}': source path '${p}' must end in .parquet or .csv`);
  return { kind: 'path', path: p, ...times };
}

/** Validates a whole repository: each object, then names, entities, TTLs, sources and transformations across them. */
export function validateRepo(input: unknown): FeatureRepo {
  const parsed = RawRepo.safeParse(input);
  if (!parsed.success) {
    throw new DomainError('INVALID_PARAMETER_VALUE', `Invalid feature definitions: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const raw = parsed.data;
  const problems: string[] = [];
  const entities = new Map<string, EntityDef>();
  for (const e of raw.entities) {
    if (entities.has(e.name)) problems.push(`entity '${e.name}' is defined twice`);
    entities.set(e.name, { name: e.name, joinKeys: Object.entries(e.join_keys).map(([name, type]) => ({ name, type })), ...(e.description ? { description: e.description } : {}) });
  }
  const views: FeatureViewDef[] = [];
  const seen = new Set<string>();
  for (const v of raw.feature_views) {
    if (seen.has(v.name)) problems.push(`feature view '${v.name}' is defined twice`);
    seen.add(v.name);
    if (v.sources !== undefined) problems.push(`feature view '${v.name}' must have exactly one source; write 'source:', not a list of sources`);
    if (!v.source) {
      if (v.sources === undefined) problems.push(`feature view '${v.name}' must have exactly one source (dataset, path or uri); it has none`);
      continue;
    }
    const entity = entities.get(v.entity);
    if (!entity) problems.push(`feature view '${v.name}': unknown entity '${v.entity}'${entities.size ? ` (defined: ${[...entities.keys()].join(', ')})` : ''}`);
    const ttl = parseTtl(v.ttl);
    if (ttl === undefined) problems.push(`feature view '${v.name}': ttl '${v.ttl}' is not a duration; write 30m, 24h, 7d, 2w, a number of seconds, or 0 for never expires`);
    const source = sourceOf(v.name, v.source, problems);
    const names = new Set<string>();
    const reserved = new Set([...(entity?.joinKeys.map((k) => k.name) ?? []), v.source.timestamp_field, ...(v.source.created_timestamp_field ? [v.source.created_timestamp_field] : []), 'event_timestamp']);
    for (const f of [...v.schema.map((s) => s.name), ...v.transformations.map((t) => t.name)]) {
      if (names.has(f)) problems.push(`feature view '${v.name}': feature '${f}' is defined twice`);
      names.add(f);
      if (reserved.has(f)) problems.push(`feature view '${v.name}': '${f}' is a join key or timestamp column, not a feature`);
      if (!followsNaming(f, v.entity)) problems.push(namingProblem(v.name, f, v.entity));
    }
    const numeric = new Set(v.schema.filter((s) => s.dtype === 'int64' || s.dtype === 'float64').map((s) => s.name));
    for (const t of v.transformations) {
      try {
        const unknown = references(parseExpression(t.expression)).filter((r) => !numeric.has(r));
        if (unknown.length) problems.push(`feature view '${v.name}': transformation '${t.name}' reads ${unknown.map((u) => `'${u}'`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not a numeric feature of this view`);
      } catch (err) {
        problems.push(`feature view '${v.name}': transformation '${t.name}': ${(err as Error).message}`);
      }
    }
    if (source && ttl !== undefined) {
      views.push({
        name: v.name, entity: v.entity, source, schema: v.schema.map((s) => ({ name: s.name, type: s.dtype })), derived: v.transformations.map((t) => ({ name: t.name, expression: t.expression })),
        ttlSeconds: ttl, tags: v.tags, ...(v.owner ? { owner: v.owner } : {}), ...(v.description ? { description: v.description } : {}),
      });
    }
  }
  if (problems.length) throw new DomainError('INVALID_PARAMETER_VALUE', `Invalid feature definitions:\n- ${problems.join('\n- ')}`);
  return { entities: [...entities.values()], featureViews: views };
}

/** Keys in a fixed order, so one definition always has one digest. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

export const digestOf = (spec: unknown): string => createHash('sha256').update(JSON.stringify(canonical(spec))).digest('hex');

/** The top-level fields whose values differ between two versions of a definition. */
export function changedFields(a: object, b: object): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => JSON.stringify(canonical((a as Record<string, unknown>)[k])) !== JSON.stringify(canonical((b as Record<string, unknown>)[k])));
}
