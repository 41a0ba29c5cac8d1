import { describe, expect, it } from 'vitest';
import { spanTree } from './traces.service.js';
import type { SpanNode, StoredSpan } from './types.js';

const span = (id: string, start: number, parent?: string): StoredSpan => ({
  traceId: 't'.repeat(32), spanId: id, ...(parent ? { parentSpanId: parent } : {}), project: 'default', name: id, kind: 'span', startTime: start, status: 'ok', attributes: {},
});
const shape = (nodes: readonly SpanNode[]): unknown => nodes.map((n) => (n.children.length ? { [n.spanId]: shape(n.children) } : n.spanId));

describe('span tree', () => {
  it('nests by parent in start order, makes orphans roots and keeps spans caught in a parent cycle', () => {
    const tree = spanTree([span('c', 3, 'a'), span('a', 1), span('b', 2, 'a'), span('d', 4, 'b'), span('orphan', 0, 'missing'), span('x', 5, 'y'), span('y', 6, 'x')]);
    expect(shape(tree)).toEqual(['orphan', { a: [{ b: ['d'] }, 'c'] }, { x: ['y'] }]);
  });
});
