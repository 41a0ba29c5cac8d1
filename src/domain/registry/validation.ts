import { invalid } from '../../core/errors.js';
import type { KeyValue } from '../tracking/types.js';
import { STAGES, type Stage, type Target } from './types.js';

/** MLflow's rules for registry names, aliases, tags and sources (mlflow/utils/validation.py). */
const MAX_NAME_LENGTH = 256;
const MAX_ALIAS_LENGTH = 255;
const MAX_TAG_KEY_LENGTH = 250;
const MAX_TAG_VALUE_LENGTH = 100_000;
const MAX_DESCRIPTION_LENGTH = 5000;

/** Stages are case-insensitive on input and canonical on output, as in MLflow. */
export function canonicalStage(stage: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (!found) throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of ${STAGES.join(', ')}.`);
  return found;
}

export const isStageName = (s: string): boolean => STAGES.some((stage) => stage.toLowerCase() === s.toLowerCase());

export function validateModelName(name: string, field = 'name'): string {
  if (name.trim() === '') throw invalid(`Missing value for required parameter '${field}'.`);
  if (name.includes('/') || name.includes(':')) throw invalid(`Invalid model name '${name}'. Names cannot contain '/' or ':'.`);
  if (name.length > MAX_NAME_LENGTH) throw invalid(`Invalid value for parameter '${field}': at most ${MAX_NAME_LENGTH} characters`);
  return name;
}

export function validateAlias(alias: string, { forWrite }: { forWrite: boolean }): string {
  if (alias === '') throw invalid('Registered model alias name cannot be empty.');
  if (!/^[\w-]+$/.test(alias)) {
    throw invalid(`Invalid alias name: '${alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`);
  }
  if (alias.length > MAX_ALIAS_LENGTH) throw invalid(`Registered model alias name must be at most ${MAX_ALIAS_LENGTH} characters`);
  if (forWrite && alias.toLowerCase() === 'latest') throw invalid("'latest' alias name (case insensitive) is reserved.");
  // `v3` would shadow `models:/name/3`-style version references in clients.
  if (forWrite && /^[vV]\d+$/.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
  return alias;
}

/** Version numbers travel as strings on the MLflow wire. */
export function parseVersion(version: string | number): number {
  const text = String(version).trim();
  // MLflow's wording (mlflow/utils/validation.py) for what is not an integer at all.
  if (!/^-?\d+$/.test(text)) throw invalid(`Parameter 'version' must be an integer, got '${version}'.`);
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw invalid(`Parameter 'version' must be a positive integer, got '${version}'`);
  return Number(text);
}

export function validateTag(tag: KeyValue): KeyValue {
  if (tag.key === '') throw invalid("Missing value for required parameter 'key'.");
  if (tag.key.length > MAX_TAG_KEY_LENGTH) throw invalid(`Tag key '${tag.key.slice(0, 40)}…' exceeds the maximum length of ${MAX_TAG_KEY_LENGTH}`);
  if (/(^|\/)\.\.?(\/|$)/.test(tag.key) || tag.key.startsWith('/')) throw invalid(`Invalid tag key '${tag.key}': must be a relative name without '.' or '..' segments`);
  if (tag.value.length > MAX_TAG_VALUE_LENGTH) throw invalid(`Tag value for '${tag.key}' exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH}`);
  return tag;
}

/** Later values win, as MLflow keeps the last of duplicated keys. */
export function uniqueTags(tags: readonly KeyValue[]): KeyValue[] {
  return [...new Map(tags.map((t) => [validateTag(t).key, t.value])).entries()].map(([key, value]) => ({ key, value }));
}

export function validateDescription(description: string | undefined): string | undefined {
  if (description !== undefined && description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalid(`Description exceeds the maximum length of ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return description;
}

/**
 * A source must not climb out of where it points (MLflow's check against `..`, encoded or not, and NUL):
 * the server later hands this location to clients as the version's files.
 */
export function validateSource(source: string): string {
  if (source.trim() === '') throw invalid("Missing value for required parameter 'source'.");
  let decoded = source;
  for (let i = 0; i < 5; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded.replace(/\+/g, ' '));
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  if (decoded.includes('\0') || decoded.split(/[/\\]/).some((part) => part === '..')) {
    // MLflow's sentence (mlflow/server/handlers.py), which clients and scripts look for.
    throw invalid(
      `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, ` +
        'or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.',
    );
  }
  return source;
}

/**
 * Targets as people write them: a stage name (any case), or an alias as `@champion`. A bare word that is
 * no stage is taken as an alias, so `--to champion` works; an alias named like a stage needs the `@`.
 */
export function parseTarget(text: string): Target {
  const t = text.trim();
  if (t.startsWith('@')) return { kind: 'alias', alias: validateAlias(t.slice(1), { forWrite: true }) };
  if (isStageName(t)) return { kind: 'stage', stage: canonicalStage(t) };
  return { kind: 'alias', alias: validateAlias(t, { forWrite: true }) };
}

export const formatTarget = (t: Target): string => (t.kind === 'stage' ? t.stage : `@${t.alias}`);
