import { invalid } from '../../core/errors.js';
import { parseFilter, parseOrderBy, type Comparator, type Comparison, type OrderClause } from '../tracking/search-filter.js';
import type { RegistryQuery } from './registry.store.js';

/**
 * Which filters and orders registry searches accept, as MLflow's SqlAlchemyStore decides them:
 * registered models filter on `name` and tags and sort by name or last update; versions filter on
 * name, version_number, run_id, source_path and tags and sort by name, version_number and timestamps.
 *
 * Prompts (MLflow 3 keeps them in the registry with the tag `mlflow.prompt.is_prompt = 'true'`) are left
 * out unless the filter asks for them; the MLflow 3 client appends `tags.`mlflow.prompt.is_prompt` != 'true'`
 * to every model search, and that clause must match models that do not carry the tag at all.
 */
export interface SearchInput {
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  readonly maxResults?: number;
  readonly pageToken?: string;
}

/** The tag MLflow 3 puts on prompts, which live in the registry beside models. */
export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';
const STRING_COMPARATORS = new Set<Comparator>(['=', '!=', 'LIKE', 'ILIKE']);
const NUMERIC_COMPARATORS = new Set<Comparator>(['=', '!=', '<', '<=', '>', '>=']);

const isQueryingPrompts = (filter: readonly Comparison[]): boolean =>
  filter.some((c) => c.entity === 'tag' && c.key === IS_PROMPT_TAG && c.value.kind === 'string'
    && ((c.comparator === '=' && c.value.value.toLowerCase() === 'true') || (c.comparator === '!=' && c.value.value.toLowerCase() === 'false')));

function withoutPromptClauses(filter: readonly Comparison[]): { filter: Comparison[]; excludePrompts: boolean } {
  if (isQueryingPrompts(filter)) return { filter: [...filter], excludePrompts: false };
  return { filter: filter.filter((c) => !(c.entity === 'tag' && c.key === IS_PROMPT_TAG)), excludePrompts: true };
}

function checkTag(c: Comparison): void {
  if (!STRING_COMPARATORS.has(c.comparator)) throw invalid(`Invalid comparator for tag: ${c.comparator}`);
  if (c.value.kind !== 'string') throw invalid(`Tag values must be quoted strings (tags.${c.key})`);
}

function orderBy(clauses: readonly string[], valid: Readonly<Record<string, string>>): OrderClause[] {
  const seen = new Set<string>();
  return clauses.map((text) => {
    const o = parseOrderBy(text);
    const field = o.entity === 'attribute' ? valid[o.key] : undefined;
    if (!field) throw invalid(`Invalid order by key '${o.key}' specified. Valid keys are ${Object.keys(valid).join(', ')}`);
    if (seen.has(field)) throw invalid(`\`order_by\` contains duplicate fields: ${clauses.join(', ')}`);
    seen.add(field);
    return o;
  });
}

export function modelSearchQuery(input: SearchInput): Omit<RegistryQuery, 'maxResults' | 'offset'> {
  const parsed = parseFilter(input.filter);
  for (const c of parsed) {
    if (c.entity === 'tag') checkTag(c);
    else if (c.entity === 'attribute') {
      if (c.key !== 'name') throw invalid(`Invalid attribute name: ${c.key}`);
      if (!STRING_COMPARATORS.has(c.comparator)) throw invalid(`Invalid comparator for attribute: ${c.comparator}`);
      if (c.value.kind !== 'string') throw invalid('The model name must be compared with a quoted string');
    } else throw invalid(`Invalid token type: ${c.entity}; registered models are searched by name and tags`);
  }
  return {
    ...withoutPromptClauses(parsed),
    orderBy: orderBy(input.orderBy ?? [], { name: 'name', last_updated_timestamp: 'updated', timestamp: 'updated' }),
  };
}

const DEFAULT_VERSION_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'];

export function versionSearchQuery(input: SearchInput): Omit<RegistryQuery, 'maxResults' | 'offset'> {
  const parsed = parseFilter(input.filter).map((c): Comparison => {
    if (c.entity === 'tag') {
      checkTag(c);
      return c;
    }
    if (c.entity !== 'attribute') throw invalid(`Invalid token type: ${c.entity}; model versions are searched by attributes and tags`);
    if (c.key === 'version_number') {
      if (!NUMERIC_COMPARATORS.has(c.comparator)) throw invalid(`Invalid comparator for attribute version_number: ${c.comparator}`);
      const n = c.value.kind === 'number' ? c.value.value : c.value.kind === 'string' ? Number(c.value.value) : NaN;
      if (!Number.isInteger(n)) throw invalid('version_number must be compared with an integer');
      return { ...c, value: { kind: 'number', value: n } };
    }
    if (!['name', 'run_id', 'source_path'].includes(c.key)) throw invalid(`Invalid attribute name: ${c.key}`);
    const inAllowed = c.key === 'run_id' && (c.comparator === 'IN' || c.comparator === 'NOT IN');
    if (!STRING_COMPARATORS.has(c.comparator) && !inAllowed) throw invalid(`Invalid comparator for attribute: ${c.comparator}`);
    if (c.value.kind === 'number') throw invalid(`${c.key} must be compared with a quoted string`);
    return c;
  });
  const clauses = input.orderBy && input.orderBy.length > 0 ? input.orderBy : DEFAULT_VERSION_ORDER;
  return {
    ...withoutPromptClauses(parsed),
    orderBy: orderBy(clauses, { name: 'name', version_number: 'version', creation_timestamp: 'created', last_updated_timestamp: 'updated' }),
  };
}
