import { describe, expect, it } from 'vitest';
import { parseFilter, parseOrderBy } from './search-filter.js';
import { parseExperimentSearch, parseRunSearch } from './search-rules.js';

describe('search filter grammar', () => {
  it('parses a conjunction over every entity with MLflow aliases and backquoted keys', () => {
    expect(parseFilter("metrics.acc > 0.9 and params.lr = '0.01' AND tags.`team name` LIKE '%ml%' and attributes.status = 'FINISHED'")).toEqual([
      { entity: 'metric', key: 'acc', comparator: '>', value: { kind: 'number', value: 0.9 } },
      { entity: 'param', key: 'lr', comparator: '=', value: { kind: 'string', value: '0.01' } },
      { entity: 'tag', key: 'team name', comparator: 'LIKE', value: { kind: 'string', value: '%ml%' } },
      { entity: 'attribute', key: 'status', comparator: '=', value: { kind: 'string', value: 'FINISHED' } },
    ]);
  });

  it('reads IN / NOT IN lists, ILIKE, double quotes, doubled quote escapes, negative and exponent numbers', () => {
    expect(parseFilter(`attributes.run_id IN ('a', "b") and tags.x not in ('c') and params.p ilike 'it''s' and metrics.m >= -1.5e-3`)).toEqual([
      { entity: 'attribute', key: 'run_id', comparator: 'IN', value: { kind: 'list', value: ['a', 'b'] } },
      { entity: 'tag', key: 'x', comparator: 'NOT IN', value: { kind: 'list', value: ['c'] } },
      { entity: 'param', key: 'p', comparator: 'ILIKE', value: { kind: 'string', value: "it's" } },
      { entity: 'metric', key: 'm', comparator: '>=', value: { kind: 'number', value: -0.0015 } },
    ]);
  });

  it('treats keys with dots after the entity as one key', () => {
    expect(parseFilter("tags.mlflow.source.name = 'train.py'")[0]).toMatchObject({ entity: 'tag', key: 'mlflow.source.name' });
  });

  it.each([
    ['metrics.acc >> 1'],
    ["metrics.acc > 1 or params.a = 'b'"],
    ["params.a = 'unterminated"],
    ['bogus.a = 1'],
    ['metrics.acc >'],
    ["params.a = 'b' and"],
    ['acc = 1 = 2'],
  ])('rejects %s with INVALID_PARAMETER_VALUE', (filter) => {
    expect(() => parseFilter(filter)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });

  it('parses order_by clauses', () => {
    expect(parseOrderBy('metrics.acc DESC')).toEqual({ entity: 'metric', key: 'acc', ascending: false });
    expect(parseOrderBy('attributes.start_time')).toEqual({ entity: 'attribute', key: 'start_time', ascending: true });
    expect(parseOrderBy('params.`learning rate` asc')).toEqual({ entity: 'param', key: 'learning rate', ascending: true });
    expect(() => parseOrderBy('metrics.acc sideways')).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
  });
});

describe('search rules per entity', () => {
  it('requires numbers for metrics and numeric attributes, strings for params, tags and string attributes', () => {
    expect(() => parseRunSearch("metrics.acc = '0.9'")).toThrow(/numeric value/);
    expect(() => parseRunSearch('params.lr = 0.01')).toThrow(/quoted string/);
    expect(() => parseRunSearch("metrics.acc LIKE '%'")).toThrow(/Invalid comparator 'LIKE'/);
    expect(() => parseRunSearch("attributes.start_time > '5'")).toThrow(/numeric value/);
    expect(() => parseRunSearch("attributes.nope = 'x'")).toThrow(/Invalid attribute key 'nope'/);
    expect(() => parseRunSearch("datasets.color = 'x'")).toThrow(/Invalid dataset key/);
    expect(parseRunSearch("attributes.status != 'FAILED' and datasets.name = 'train'", ['metrics.acc DESC']).orderBy).toHaveLength(1);
  });

  it('limits experiment search to attributes and tags', () => {
    expect(() => parseExperimentSearch('metrics.acc > 1')).toThrow(/only attributes and tags/);
    expect(parseExperimentSearch("name LIKE 'churn%'").filter[0]).toMatchObject({ entity: 'attribute', key: 'name' });
  });
});
