import { describe, expect, it } from 'vitest';
import { groupEnvelope } from '../../lib/chart-data';
import { toRow } from './run-columns';
import { aggregate, groupRuns, moveColumn, neighbour, readView, writeView, type RunView } from './run-view';
import type { Run } from '../../api/tracking';

const run = (id: string, params: Record<string, string>, metrics: Record<string, number>): Run => ({
  info: { runId: id, runName: id, experimentId: '1', userId: 'u', status: 'FINISHED', startTime: 0, endTime: 1, artifactUri: '', lifecycleStage: 'active' },
  data: { metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, timestamp: 0, step: 0 })), params: Object.entries(params).map(([key, value]) => ({ key, value })), tags: [] },
  inputs: [],
});

describe('run views in the URL', () => {
  it('round-trips every part of a view, keys with commas and colons included', () => {
    const view: RunView = {
      filter: "params.lr = '0.1'",
      order: 'metrics.acc DESC',
      columns: [{ kind: 'metric', key: 'acc,top-1' }, { kind: 'param', key: 'a:b' }],
      groupBy: { kind: 'tag', key: 'team' },
      hidden: new Set(['r1', 'r,2']),
      panels: [
        { kind: 'line', metric: 'loss' },
        { kind: 'scatter', x: { kind: 'param', key: 'lr' }, y: { kind: 'metric', key: 'acc,top-1' } },
        { kind: 'parallel', dimensions: [{ kind: 'param', key: 'lr' }, { kind: 'metric', key: 'acc' }] },
      ],
      widths: new Map([['name', 300], ['metric:acc,top-1', 90], ['param:a:b', 200]]),
      wide: new Set(['line:loss', 'scatter:param%3Alr,metric%3Aacc%2Ctop-1']),
    };
    const params = writeView(view, new URLSearchParams('x=time&smooth=0.5'));
    expect(params.get('x')).toBe('time');
    expect(readView(new URLSearchParams(params.toString()))).toEqual(view);
  });

  it('reads absent parts as defaults, and an emptied panel list as no panels', () => {
    expect(readView(new URLSearchParams(''))).toEqual({ filter: '', order: '', columns: undefined, groupBy: undefined, hidden: new Set(), panels: undefined, widths: new Map(), wide: new Set() });
    const none = writeView({ ...readView(new URLSearchParams('')), panels: [] });
    expect(readView(none).panels).toEqual([]);
  });

  it('drops column widths outside 60–800 px or not whole pixels', () => {
    const view = readView(new URLSearchParams(`widths=${encodeURIComponent('59:metric:a,801:metric:b,100.5:metric:c,x:metric:d,60:metric:e,800:name')}`));
    expect([...view.widths]).toEqual([['metric:e', 60], ['name', 800]]);
  });
});

describe('reordering columns', () => {
  const cols = [{ kind: 'metric', key: 'a' }, { kind: 'metric', key: 'b' }, { kind: 'metric', key: 'c' }, { kind: 'param', key: 'p' }] as const;
  const keys = (cs: readonly { key: string }[]) => cs.map((c) => c.key).join('');
  it('moves a column onto another of its kind, before it going left and after it going right', () => {
    expect(keys(moveColumn(cols, 'metric:c', 'metric:a'))).toBe('cabp');
    expect(keys(moveColumn(cols, 'metric:a', 'metric:c'))).toBe('bcap');
    expect(keys(moveColumn(cols, 'metric:a', 'metric:b'))).toBe('bacp');
  });
  it('leaves the order alone across kinds or for unknown columns', () => {
    expect(keys(moveColumn(cols, 'metric:a', 'param:p'))).toBe('abcp');
    expect(keys(moveColumn(cols, 'metric:z', 'metric:a'))).toBe('abcp');
  });
  it('names the neighbour of a column among its kind only', () => {
    expect(neighbour(cols, 'metric:b', -1)).toBe('metric:a');
    expect(neighbour(cols, 'metric:c', 1)).toBeUndefined();
    expect(neighbour(cols, 'param:p', -1)).toBeUndefined();
  });
});

describe('grouping runs', () => {
  it('groups by a param in numeric order, runs without it last, with mean/min/max per metric', () => {
    const rows = [
      run('a', { lr: '0.1' }, { acc: 0.5 }), run('b', { lr: '0.01' }, { acc: 0.7 }), run('c', { lr: '0.1' }, { acc: 0.9 }),
      run('d', {}, { acc: 0.2 }), run('e', { lr: '0.1' }, {}),
    ].map(toRow);
    const groups = groupRuns(rows, { kind: 'param', key: 'lr' }, [{ kind: 'metric', key: 'acc' }]);
    expect(groups.map((g) => [g.value, g.rows.map((r) => r.run.info.runId)])).toEqual([['0.01', ['b']], ['0.1', ['a', 'c', 'e']], [undefined, ['d']]]);
    // lr = 0.1: acc of a and c (e has none): mean 0.7, min 0.5, max 0.9.
    const a = groups[1]!.aggregates.get('metric:acc')!;
    expect(a.count).toBe(2);
    expect(a.mean).toBeCloseTo(0.7, 12);
    expect([a.min, a.max]).toEqual([0.5, 0.9]);
  });

  it('leaves NaN and missing values out of an aggregate', () => {
    expect(aggregate([1, NaN, undefined, 3])).toEqual({ count: 2, mean: 2, min: 1, max: 3 });
    expect(aggregate([undefined])).toBeUndefined();
  });

  it('draws a group as mean with a min–max envelope over the members present at each x', () => {
    expect(groupEnvelope([[1, null, 3], [3, 2, null]], 3)).toEqual({ mean: [2, 2, 3], min: [1, 2, 3], max: [3, 2, 3] });
  });
});
