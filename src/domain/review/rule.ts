import { invalid, isDomainError } from '../../core/errors.js';
import { parseFilter, type Comparison } from '../tracking/search-filter.js';

/** A queue's rule, compiled: does an item's fields match? */
export type Rule = (fields: Readonly<Record<string, unknown>>) => boolean;

/**
 * Rules use the search grammar (src/domain/tracking/search-filter.ts): comparisons of an item's fields joined by AND,
 * `amount > 1000 and country IN ('FR', 'DE') and label != 'ok'` (a field name with other characters in backticks).
 * A number compares as a number when the field holds one; LIKE/ILIKE take `%` and `_`; a missing field matches nothing.
 */
export function compileRule(text: string): Rule {
  let comparisons: Comparison[];
  try {
    comparisons = parseFilter(text);
  } catch (err) {
    if (isDomainError(err)) throw invalid(`Invalid value for 'rule': ${err.message.replace(/^Invalid filter: /, '')}`);
    throw err;
  }
  for (const c of comparisons) {
    if (c.entity !== 'attribute') throw invalid(`Invalid value for 'rule': '${c.entity}s.${c.key}' — a rule names an item's fields directly (\`${c.key}\`)`);
  }
  const tests = comparisons.map(test);
  return (fields) => tests.every((t) => t(fields));
}

function test(c: Comparison): Rule {
  const { key, comparator, value } = c;
  switch (comparator) {
    case 'IN':
    case 'NOT IN': {
      const set = new Set(value.kind === 'list' ? value.value : []);
      return (f) => f[key] !== undefined && f[key] !== null && set.has(String(f[key])) === (comparator === 'IN');
    }
    case 'LIKE':
    case 'ILIKE': {
      const pattern = String(value.value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
      const re = new RegExp(`^${pattern}$`, comparator === 'ILIKE' ? 'is' : 's');
      return (f) => f[key] !== undefined && f[key] !== null && re.test(typeof f[key] === 'string' ? f[key] : JSON.stringify(f[key]));
    }
    default: {
      const cmp = (a: number | string, b: number | string): boolean => {
        switch (comparator) {
          case '=': return a === b;
          case '!=': return a !== b;
          case '<': return a < b;
          case '<=': return a <= b;
          case '>': return a > b;
          default: return a >= b;
        }
      };
      if (value.kind === 'number') {
        return (f) => {
          const v = f[key];
          const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
          return !Number.isNaN(n) && cmp(n, value.value);
        };
      }
      const s = String(value.value);
      return (f) => f[key] !== undefined && f[key] !== null && cmp(typeof f[key] === 'string' ? f[key] : JSON.stringify(f[key]), s);
    }
  }
}
