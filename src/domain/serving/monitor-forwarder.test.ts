import { describe, expect, it } from 'vitest';
import type { Monitor } from '../monitoring/types.js';
import { monitorRows } from './monitor-forwarder.js';
import type { PredictionRecord } from './types.js';

const monitor = (config: Monitor['config']): Monitor => ({
  monitorId: 'm1', name: 'churn', modelName: 'churn', modelVersion: null, window: 'hour', config, referenceRows: 10, createdBy: 'x', createdAt: 0, updatedAt: 0,
});
const record = (id: string, inputs: Record<string, { shape: number[]; data: unknown[] }>, y: number[]): PredictionRecord => ({
  predictionId: id, deployment: 'churn', modelName: 'churn', version: '1', time: 0, latencyMs: 1, inputs, outputs: { y: { shape: [y.length, 1], data: y } },
});

describe('logged predictions as monitor rows', () => {
  it('spreads one [n, k] input over the monitor\'s k features, one row per tensor row, with ids that labels can join', () => {
    const rows = monitorRows(
      [record('p1', { x: { shape: [2, 2], data: [1, 2, 3, 4] } }, [0.1, 0.9]), record('p2', { x: { shape: [1, 2], data: [5, 6] } }, [0.5])],
      monitor({ features: [{ name: 'age', type: 'numeric' }, { name: 'tenure', type: 'numeric' }], predictionColumn: 'score', idColumn: 'id' }),
    );
    expect(rows).toEqual({ age: [1, 3, 5], tenure: [2, 4, 6], score: [0.1, 0.9, 0.5], id: ['p1/0', 'p1/1', 'p2'] });
  });

  it('makes a column of each named input when there are several, and numbers the columns of an unnamed matrix', () => {
    expect(monitorRows([record('p', { age: { shape: [2], data: [30, 40] }, plan: { shape: [2, 1], data: ['a', 'b'] } }, [1, 0])], monitor({ predictionColumn: 'y' })))
      .toEqual({ age: [30, 40], plan: ['a', 'b'], y: [1, 0] });
    expect(monitorRows([record('p', { x: { shape: [1, 3], data: [7, 8, 9] } }, [1])], monitor({}))).toEqual({ x_0: [7], x_1: [8], x_2: [9] });
  });
});
