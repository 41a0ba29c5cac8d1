import { describe, expect, it } from 'vitest';
import { operationsOf, typeOf } from './openapi-view';

describe('API reference view', () => {
  it('writes schemas as short types', () => {
    expect(typeOf({ type: 'object', properties: { name: { type: 'string' }, tags: { type: 'array', items: { $ref: '#/components/schemas/KeyValue' } } }, required: ['name'] }))
      .toBe('{ name: string; tags?: KeyValue[] }');
    expect(typeOf({ anyOf: [{ type: 'number' }, { enum: ['NaN', 'Infinity'] }] })).toBe('number | "NaN" | "Infinity"');
    expect(typeOf({ type: ['number', 'null'] })).toBe('number | null');
    expect(typeOf({ type: 'object', additionalProperties: { type: 'number' } })).toBe('Record<string, number>');
    expect(typeOf(undefined)).toBe('unknown');
  });

  it('lists each method of each path with its parameters, body and responses', () => {
    const ops = operationsOf({
      info: { title: 't', version: '1' },
      paths: {
        '/api/v1/runs/{id}': {
          get: { summary: 'Get a run', tags: ['runs'], parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Run' } } } } } },
          patch: { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { status: { enum: ['FINISHED'] } } } } } } },
        },
      },
    });
    expect(ops.map((o) => [o.method, o.path, o.tag])).toEqual([['GET', '/api/v1/runs/{id}', 'runs'], ['PATCH', '/api/v1/runs/{id}', 'other']]);
    expect(ops[0]!.parameters).toEqual([{ name: 'id', where: 'path', required: true, type: 'string' }]);
    expect(ops[0]!.responses).toEqual([{ status: '200', type: 'Run' }]);
    expect(ops[1]!.body).toBe('{ status?: "FINISHED" }');
  });
});
