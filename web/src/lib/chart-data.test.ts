import { describe, expect, it } from 'vitest';
import { alignSeries, diffRows, forLogScale, lonePoints, paddedRange, scaleAxis, smooth, toSeries } from './chart-data';

describe('chart data shaping', () => {
  it('smooths like a debiased EMA: the weighted mean of the points so far', () => {
    // w = 0.5 over 1, 2, 3: s1 = 1; s2 = (2 + 0.5·1)/1.5 = 5/3; s3 = (3 + 0.5·2 + 0.25·1)/1.75 = 4.25/1.75.
    const s = smooth([1, 2, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(5 / 3, 12);
    expect(s[2]).toBeCloseTo(4.25 / 1.75, 12);
    expect(smooth([4, null, 8], 0)).toEqual([4, null, 8]);
    // A gap is skipped: s3 weighs 8 and 4 as neighbours, (8 + 0.9·4)/1.9.
    expect(smooth([4, null, 8], 0.9)[2]).toBeCloseTo(11.6 / 1.9, 12);
  });

  it('orders points by step or time and shows NaN and infinities as gaps', () => {
    const points = [
      { step: 2, timestamp: 3000, value: 0.5 },
      { step: 0, timestamp: 1000, value: Number.NaN },
      { step: 1, timestamp: 2500, value: Number.MAX_VALUE },
    ];
    expect(toSeries(points, 'step')).toEqual({ x: [0, 1, 2], y: [null, null, 0.5] });
    expect(toSeries(points, 'time').x).toEqual([1, 2.5, 3]);
    expect(toSeries(points, 'relative').x).toEqual([0, 1.5, 2]);
  });

  it('drops values a log axis cannot show', () => {
    expect(forLogScale([1, 0, -2, null, 1e-9])).toEqual([1, null, null, null, 1e-9]);
  });

  it('aligns series of different steps on one x array', () => {
    expect(alignSeries([{ x: [0, 2, 4], y: [1, 2, 3] }, { x: [1, 2], y: [9, 8] }])).toEqual([
      [0, 1, 2, 4],
      [1, null, 2, 3],
      [null, 9, 8, null],
    ]);
  });

  it('scales numeric axes linearly and categorical axes evenly', () => {
    expect(scaleAxis(['0.1', '0.3', undefined, '0.2']).position).toEqual([0, 1, null, expect.closeTo(0.5, 12)]);
    const cat = scaleAxis(['adam', 'sgd', 'adam', 'rmsprop']);
    expect(cat.kind).toBe('categorical');
    expect(cat.ticks.map((t) => t.label)).toEqual(['adam', 'rmsprop', 'sgd']);
    expect(cat.position).toEqual([0, 1, 0, 0.5]);
    expect(scaleAxis([3, 3]).position).toEqual([0.5, 0.5]);
  });

  it('flags rows where runs disagree, a missing value counting as different', () => {
    const rows = diffRows([new Map([['lr', '0.1'], ['depth', '6']]), new Map([['lr', '0.1'], ['depth', '8']]), new Map([['lr', '0.1']])]);
    expect(rows).toEqual([
      { key: 'depth', values: ['6', '8', undefined], differs: true },
      { key: 'lr', values: ['0.1', '0.1', '0.1'], differs: false },
    ]);
  });
});

describe('a metric with one point is still drawn', () => {
  it('finds the series with exactly one drawable point, with its x and value', () => {
    const data: [number[], ...(number | null)[][]] = [[0, 5, 9], [null, 0.42, null], [1, 2, 3], [null, null, null], [7, null, null]];
    expect(lonePoints(data, ['acc', 'loss', 'empty', 'f1'])).toEqual([
      { series: 0, label: 'acc', x: 5, y: 0.42 },
      { series: 3, label: 'f1', x: 0, y: 7 },
    ]);
  });

  it('widens a scale whose values are all equal, so the point has room', () => {
    expect(paddedRange(3, 3)).toEqual([2.7, 3.3]);
    expect(paddedRange(0, 0)).toEqual([-1, 1]);
    expect(paddedRange(1, 4)).toEqual([1, 4]);
  });
});
