import { describe, expect, it } from 'vitest';
import { outputsAgree, rowLabels } from './output-comparison.js';
import { tensorFromJson } from './tensor.js';

const fp32 = (rows: number[][], name = 'y') => tensorFromJson(name, 'FP32', [rows.length, rows[0]!.length], rows, 'outputs');
const values = { compare: 'values', absTolerance: 1e-3, relTolerance: 1e-2 } as const;
const labels = { ...values, compare: 'labels' } as const;

describe('comparing a shadow candidate\'s outputs with the stable ones', () => {
  it('agrees within |a − b| ≤ abs + rel·|stable| and not beyond (numpy isclose)', () => {
    // stable 10: allowed 0.001 + 0.01·10 = 0.101 → 10.1 agrees, 10.102 does not (float32 rounding is far smaller).
    expect(outputsAgree([fp32([[10.1]])], [fp32([[10]])], values)).toBe(true);
    expect(outputsAgree([fp32([[10.102]])], [fp32([[10]])], values)).toBe(false);
    // stable 0: only the absolute part counts.
    expect(outputsAgree([fp32([[0.0009]])], [fp32([[0]])], values)).toBe(true);
    expect(outputsAgree([fp32([[0.0011]])], [fp32([[0]])], values)).toBe(false);
  });

  it('takes the arg-max of class scores, ≥ 0.5 of one probability, and other labels as they are', () => {
    expect(rowLabels(fp32([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]]))).toEqual([1, 0]);
    expect(rowLabels(fp32([[0.49], [0.5], [0.93]]))).toEqual([0, 1, 1]);
    expect(rowLabels(tensorFromJson('label', 'INT64', [3], [2, 0, 1], 'outputs'))).toEqual([2, 0, 1]);
  });

  it('lets a classifier\'s scores move as long as each row predicts the same class', () => {
    const stable = [fp32([[0.2, 0.8], [0.6, 0.4]])];
    expect(outputsAgree([fp32([[0.35, 0.65], [0.9, 0.1]])], stable, labels)).toBe(true);
    expect(outputsAgree([fp32([[0.35, 0.65], [0.9, 0.1]])], stable, values)).toBe(false);
    expect(outputsAgree([fp32([[0.35, 0.65], [0.45, 0.55]])], stable, labels)).toBe(false);
  });

  it('disagrees on a different shape or a missing output', () => {
    expect(outputsAgree([fp32([[1, 2]])], [fp32([[1], [2]])], values)).toBe(false);
    expect(outputsAgree([fp32([[1]], 'z')], [fp32([[1]])], values)).toBe(false);
  });
});
