import { tensorValues, type Tensor } from './tensor.js';

/** How a shadow candidate's answer is compared with the stable version's, per mirrored request. */
export interface OutputComparison {
  /**
   * `values`: every element within `absTolerance + relTolerance·|stable|` (numpy's `isclose` rule);
   * `labels`: the predicted class of every row agrees (classifiers whose scores may move).
   */
  readonly compare: 'values' | 'labels';
  readonly absTolerance: number;
  readonly relTolerance: number;
}

const isFloat = (t: Tensor) => t.datatype === 'FP32' || t.datatype === 'FP64';
const sameShape = (a: Tensor, b: Tensor) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/**
 * The class each row predicts: the arg-max over the last dimension of a score tensor [N, K ≥ 2]; a
 * single probability [N] or [N, 1] is the positive class at ≥ 0.5; labels that are not floats are
 * themselves.
 */
export function rowLabels(t: Tensor): (number | string | boolean)[] {
  const values = tensorValues(t);
  if (!isFloat(t)) return values;
  const k = t.shape.length >= 2 ? t.shape[t.shape.length - 1]! : 1;
  if (k === 1) return values.map((v) => ((v as number) >= 0.5 ? 1 : 0));
  const labels: number[] = [];
  for (let row = 0; row * k < values.length; row++) {
    let best = 0;
    for (let j = 1; j < k; j++) if ((values[row * k + j] as number) > (values[row * k + best] as number)) best = j;
    labels.push(best);
  }
  return labels;
}

/** Whether the candidate's outputs agree with the stable ones under `c`; outputs are matched by name. */
export function outputsAgree(candidate: readonly Tensor[], stable: readonly Tensor[], c: OutputComparison): boolean {
  if (candidate.length !== stable.length) return false;
  return stable.every((s) => {
    const t = candidate.find((x) => x.name === s.name);
    if (!t || !sameShape(t, s)) return false;
    if (c.compare === 'labels') {
      const a = rowLabels(t);
      const b = rowLabels(s);
      return a.length === b.length && a.every((v, i) => v === b[i]);
    }
    const xs = tensorValues(t);
    const ys = tensorValues(s);
    return xs.every((v, i) => {
      const w = ys[i];
      if (typeof v === 'number' && typeof w === 'number') return Math.abs(v - w) <= c.absTolerance + c.relTolerance * Math.abs(w);
      return v === w;
    });
  });
}
