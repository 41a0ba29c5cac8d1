import { describe, expect, it } from 'vitest';
import { metricPageJson } from './wire.js';

/** The reference is JSON.stringify of the page in MLflow's shape, non-finite values as MLflow's strings. */
const reference = (points: { key: string; value: number; timestamp: number; step: number }[], token?: string) =>
  JSON.stringify({
    ...(points.length > 0 ? { metrics: points.map((m) => ({ key: m.key, value: Number.isFinite(m.value) ? m.value : String(m.value), timestamp: m.timestamp, step: m.step })) } : {}),
    ...(token !== undefined ? { next_page_token: token } : {}),
  });

describe('get-history page bytes', () => {
  const values = [0, -0, 1, -1, 0.1, 1 / 3, 1e21, 1e-7, -1.5e300, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 123456789012345680000, NaN, Infinity, -Infinity];
  const points = values.map((value, i) => ({ key: i % 2 ? 'loss' : 'val/acc 1:2', value, timestamp: 1_700_000_000_000 + i, step: i }));
  // Integers at the edges: zero, negative, the largest safe ones.
  points.push(
    { key: 'loss', value: 2, timestamp: 0, step: 0 },
    { key: 'loss', value: 3, timestamp: -1, step: -10 },
    { key: 'loss', value: 4, timestamp: Number.MAX_SAFE_INTEGER, step: -Number.MAX_SAFE_INTEGER },
    { key: 'ünïcode "quoted" \\ key', value: 5, timestamp: 9, step: 10 },
  );

  it('is the JSON MLflow sends, byte for byte, with and without a page token', () => {
    expect(metricPageJson(points, undefined).toString('utf8')).toBe(reference(points));
    expect(metricPageJson(points, 'eyJhZnRlciI6WzFdfQ==').toString('utf8')).toBe(reference(points, 'eyJhZnRlciI6WzFdfQ=='));
  });

  it('leaves out an empty list', () => {
    expect(metricPageJson([], undefined).toString()).toBe('{}');
    expect(metricPageJson([], 'x').toString()).toBe('{"next_page_token":"x"}');
  });

  it('grows past its first guess of the size', () => {
    const long = Array.from({ length: 3000 }, (_, i) => ({ key: `k${'x'.repeat(i % 200)}`, value: Math.sin(i) * 1e-10, timestamp: 1_700_000_000_000 + i, step: i }));
    expect(metricPageJson(long, undefined).toString('utf8')).toBe(reference(long));
  });
});
