import { invalid } from '../../core/errors.js';
import { parseFilter, parseOrderBy, type Comparator, type Comparison, type OrderClause } from './search-filter.js';

/**
 * Which comparisons a search accepts, decided before any SQL is built. MLflow's rules, with `IN`/`NOT IN`
 * allowed on every string-valued key (MLflow accepts them on `run_id` only; this is a superset).
 */
const NUMERIC: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
const STRING: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

const RUN_NUMERIC_ATTRIBUTES = new Set(['start_time', 'end_time', 'created', 'Created']);
const RUN_STRING_ATTRIBUTES = new Set(['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage']);
const DATASET_KEYS = new Set(['name', 'digest', 'context']);
const EXPERIMENT_NUMERIC_ATTRIBUTES = new Set(['creation_time', 'last_update_time', 'experiment_id']);
const EXPERIMENT_STRING_ATTRIBUTES = new Set(['name', 'artifact_location', 'lifecycle_stage']);

type Kind = 'numeric' | 'string';

function check(c: Comparison, kind: Kind, what: string): void {
  const allowed = kind === 'numeric' ? NUMERIC : STRING;
  if (!allowed.includes(c.comparator)) {
    throw invalid(`Invalid comparator '${c.comparator}' for ${what} '${c.key}'; allowed: ${allowed.join(', ')}`);
  }
  const listy = c.comparator === 'IN' || c.comparator === 'NOT IN';
  if (listy) return;
  if (kind === 'numeric' && c.value.kind !== 'number') throw invalid(`Expected a numeric value for ${what} '${c.key}', got '${String(c.value.value)}'`);
  if (kind === 'string' && c.value.kind !== 'string') {
    throw invalid(`Expected a quoted string value for ${what} '${c.key}' (e.g. ${c.key} = '${String(c.value.value)}')`);
  }
}

function runKind(c: { entity: Comparison['entity']; key: string }): [Kind, string] {
  switch (c.entity) {
    case 'metric':
      return ['numeric', 'metric'];
    case 'param':
      return ['string', 'param'];
    case 'tag':
      return ['string', 'tag'];
    case 'dataset':
      if (!DATASET_KEYS.has(c.key)) throw invalid(`Invalid dataset key '${c.key}'; valid keys: ${[...DATASET_KEYS].join(', ')}`);
      return ['string', 'dataset attribute'];
    case 'attribute':
      if (RUN_NUMERIC_ATTRIBUTES.has(c.key)) return ['numeric', 'attribute'];
      if (RUN_STRING_ATTRIBUTES.has(c.key)) return ['string', 'attribute'];
      throw invalid(
        `Invalid attribute key '${c.key}' specified. Valid keys are: ${[...RUN_STRING_ATTRIBUTES, ...RUN_NUMERIC_ATTRIBUTES].join(', ')}`,
      );
  }
}

function experimentKind(c: { entity: Comparison['entity']; key: string }): [Kind, string] {
  if (c.entity === 'tag') return ['string', 'tag'];
  if (c.entity === 'attribute') {
    if (EXPERIMENT_NUMERIC_ATTRIBUTES.has(c.key)) return ['numeric', 'attribute'];
    if (EXPERIMENT_STRING_ATTRIBUTES.has(c.key)) return ['string', 'attribute'];
    throw invalid(`Invalid attribute key '${c.key}' for experiment search; valid keys: ${[...EXPERIMENT_STRING_ATTRIBUTES, ...EXPERIMENT_NUMERIC_ATTRIBUTES].join(', ')}`);
  }
  throw invalid(`Invalid entity '${c.entity}' for experiment search: only attributes and tags can be searched`);
}

export interface ParsedSearch {
  readonly filter: Comparison[];
  readonly orderBy: OrderClause[];
}

function parseSearch(filter: string | undefined, orderBy: readonly string[] | undefined, kindOf: typeof runKind): ParsedSearch {
  const comparisons = parseFilter(filter);
  for (const c of comparisons) {
    const [kind, what] = kindOf(c);
    check(c, kind, what);
  }
  const order = (orderBy ?? []).filter((o) => o.trim() !== '').map(parseOrderBy);
  for (const o of order) {
    if (o.entity === 'dataset') throw invalid(`Cannot order by dataset fields ('${o.key}')`);
    kindOf(o);
  }
  return { filter: comparisons, orderBy: order };
}

export const parseRunSearch = (filter?: string, orderBy?: readonly string[]) => parseSearch(filter, orderBy, runKind);
export const parseExperimentSearch = (filter?: string, orderBy?: readonly string[]) => parseSearch(filter, orderBy, experimentKind);
