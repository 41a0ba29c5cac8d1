import { describe, expect, it } from 'vitest';
import { normalizeConfig, SweepConfigSchema } from './schemas.js';
import { gridSize, suggest } from './samplers.js';
import { checkSpace, enumerateGrid } from './space.js';
import type { SweepConfig } from './types.js';

const config = (input: unknown): SweepConfig => normalizeConfig(SweepConfigSchema.parse(input));

describe('search spaces', () => {
  const grid = config({
    method: 'grid', metric: { name: 'loss' },
    parameters: {
      opt: { type: 'categorical', values: ['sgd', 'adam'] },
      layers: { type: 'int', min: 1, max: 3 },
      momentum: { type: 'uniform', min: 0, max: 0.5, gridPoints: 2, when: { opt: 'sgd' } },
    },
  });

  it('grid search enumerates the product exactly, a conditional parameter only where it is active', () => {
    const expected = [
      ...[1, 2, 3].flatMap((layers) => [0, 0.5].map((momentum) => ({ opt: 'sgd', layers, momentum }))),
      ...[1, 2, 3].map((layers) => ({ opt: 'adam', layers })),
    ];
    expect(enumerateGrid(grid.parameters)).toEqual(expected);
    expect(gridSize(grid)).toBe(9);
    expect(Array.from({ length: 9 }, (_, i) => suggest(grid, i, []))).toEqual(expected);
  });

  it('log-uniform grid points are evenly spaced on the log scale', () => {
    expect(enumerateGrid(config({ method: 'grid', metric: { name: 'm' }, parameters: { lr: { type: 'log_uniform', min: 0.001, max: 0.1, gridPoints: 3 } } }).parameters))
      .toEqual([{ lr: 0.001 }, { lr: expect.closeTo(0.01, 12) as number }, { lr: 0.1 }]);
  });

  const space = {
    metric: { name: 'loss' },
    parameters: {
      lr: { type: 'log_uniform', min: 1e-4, max: 1 },
      units: { type: 'int', min: 8, max: 64, step: 8 },
      opt: { type: 'categorical', values: ['sgd', 'adam'] },
      momentum: { type: 'uniform', min: 0, max: 0.9, when: { opt: 'sgd' } },
    },
  };

  it('random search with a seed proposes the same trials again, another seed others, all within the space', () => {
    const a = config({ ...space, method: 'random', seed: 42 });
    const first = Array.from({ length: 50 }, (_, i) => suggest(a, i, []));
    expect(Array.from({ length: 50 }, (_, i) => suggest(config({ ...space, method: 'random', seed: 42 }), i, []))).toEqual(first);
    expect(suggest(config({ ...space, method: 'random', seed: 43 }), 0, [])).not.toEqual(first[0]);
    for (const p of first) {
      expect(p.lr).toBeGreaterThanOrEqual(1e-4);
      expect(p.lr).toBeLessThanOrEqual(1);
      expect([8, 16, 24, 32, 40, 48, 56, 64]).toContain(p.units);
      expect('momentum' in p).toBe(p.opt === 'sgd');
    }
    // Log-uniform: about half the draws below √(1e-4·1) = 0.01.
    const below = first.filter((p) => (p.lr as number) < 0.01).length;
    expect(below).toBeGreaterThan(12);
    expect(below).toBeLessThan(38);
  });

  it('rejects what a space cannot mean', () => {
    const check = (parameters: unknown) => () => checkSpace(config({ method: 'random', metric: { name: 'm' }, parameters }).parameters);
    expect(check({ x: { type: 'uniform', min: 1, max: 1 } })).toThrow(/min must be below max/);
    expect(check({ x: { type: 'int', min: 0, max: 10, step: 3 } })).toThrow(/multiple of step/);
    expect(check({ m: { type: 'uniform', min: 0, max: 1, when: { opt: 'sgd' } }, opt: { type: 'categorical', values: ['sgd'] } })).toThrow(/declared before/);
    expect(check({ opt: { type: 'categorical', values: ['sgd'] }, m: { type: 'uniform', min: 0, max: 1, when: { opt: 'adam' } } })).toThrow(/not a value 'opt' can take/);
    expect(() => enumerateGrid(config({ method: 'grid', metric: { name: 'm' }, parameters: { x: { type: 'uniform', min: 0, max: 1 } } }).parameters)).toThrow(/gridPoints/);
  });
});
