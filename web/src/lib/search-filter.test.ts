import { describe, expect, it } from 'vitest';
import { parseRunSearch } from '../../../src/domain/tracking/search-rules.js';
import { checkRunFilter, identifier, parseFilter, parseOrderBy, parseRunFilter } from './search-filter';

describe('client-side runs filter grammar', () => {
  it('parses a conjunction over every entity and records where each comparison is', () => {
    const text = "metrics.acc > 0.9 and params.lr = '0.01' AND tags.`team name` LIKE '%ml%'";
    expect(parseFilter(text)).toEqual([
      { entity: 'metric', key: 'acc', comparator: '>', value: { kind: 'number', value: 0.9 }, start: 0, end: 17 },
      { entity: 'param', key: 'lr', comparator: '=', value: { kind: 'string', value: '0.01' }, start: 22, end: 40 },
      { entity: 'tag', key: 'team name', comparator: 'LIKE', value: { kind: 'string', value: '%ml%' }, start: 45, end: 73 },
    ]);
  });

  it('points at the offending token', () => {
    const text = 'metrics.acc >> 1';
    const check = checkRunFilter(text);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    // ">" at 12 is the comparator; the second ">" at 13 is where a value was expected.
    expect(check.error.start).toBe(13);
    expect(check.error.message).toMatch(/Expected a value .* at position 13, found '>'/);
  });

  it('reports an unfinished filter at the end of the input', () => {
    const check = checkRunFilter("params.a = 'b' and");
    expect(check.ok || [check.error.start, check.error.end]).toEqual([18, 18]);
    const quote = checkRunFilter("params.a = 'oops");
    expect(quote.ok || [quote.error.start, quote.error.message]).toEqual([11, 'Unterminated \' quote at position 11']);
  });

  it('spans the whole comparison for a type error', () => {
    const text = "attributes.status = 'FINISHED' and metrics.acc = 'high'";
    const check = checkRunFilter(text);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(text.slice(check.error.start, check.error.end)).toBe("metrics.acc = 'high'");
    expect(check.error.message).toMatch(/numeric value for metric 'acc'/);
  });

  it('reads order_by clauses', () => {
    expect(parseOrderBy('metrics.`val loss` DESC')).toEqual({ entity: 'metric', key: 'val loss', ascending: false });
    expect(() => parseOrderBy('metrics.acc sideways')).toThrow(/ASC or DESC/);
  });

  it('quotes keys that are not plain words so they parse back', () => {
    for (const key of ['acc', 'val loss', 'a`b', '1st', 'mlflow.source.name']) {
      expect(parseOrderBy(identifier('metrics', key))).toEqual({ entity: 'metric', key, ascending: true });
    }
  });

  // The port must agree with the server's parser; a grammar change on one side without the other fails here.
  it.each([
    ["metrics.acc > 0.9 and params.lr = '0.01'", true],
    ["tags.mlflow.source.name = 'train.py'", true],
    ["attributes.run_id IN ('a', \"b\") and tags.x not in ('c')", true],
    ["params.p ilike 'it''s' and metrics.m >= -1.5e-3", true],
    ["attributes.status != 'FAILED' and datasets.name = 'train'", true],
    ['run_name = "x"', true],
    ['metrics.acc <> 1', true],
    ['metrics.acc >> 1', false],
    ["metrics.acc > 1 or params.a = 'b'", false],
    ["params.a = 'unterminated", false],
    ['bogus.a = 1', false],
    ['metrics.acc >', false],
    ['acc = 1 = 2', false],
    ["metrics.acc = '0.9'", false],
    ['params.lr = 0.01', false],
    ["metrics.acc LIKE '%'", false],
    ["attributes.start_time > '5'", false],
    ["attributes.nope = 'x'", false],
    ["datasets.color = 'x'", false],
    ['metrics.a = 1 and', false],
    ["params.a IN ('x' 'y')", false],
  ])('agrees with the server on %s', (filter, valid) => {
    const server = (() => {
      try {
        parseRunSearch(filter);
        return true;
      } catch {
        return false;
      }
    })();
    expect(server).toBe(valid);
    expect(checkRunFilter(filter).ok).toBe(valid);
    if (valid) expect(parseRunFilter(filter).map(({ start: _s, end: _e, ...c }) => c)).toEqual(parseRunSearch(filter).filter);
  });
});
