import type { Asha, CurvePoint, Direction, MedianRule } from './types.js';

/**
 * Early stopping, judged one step at a time with Optuna's semantics: a trial's decision at step s looks only at its
 * values up to s, so the verdict does not depend on how often the controller asks.
 */

/** numpy.nanpercentile with linear interpolation. */
export function nanPercentile(values: readonly number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

/**
 * Optuna's MedianPruner: stop at step s (after `nWarmupSteps`, on the first step of each interval, once
 * `nStartupTrials` trials completed) when the trial's best value so far is worse than the median of the completed
 * trials' values at step s (NaN values ignored; no verdict with fewer than `nMinTrials` of them). A trial whose
 * values so far are all NaN is stopped.
 */
export function medianShouldStop(rule: MedianRule, direction: Direction, curve: readonly CurvePoint[], step: number, completed: readonly (readonly CurvePoint[])[]): boolean {
  if (completed.length === 0 || completed.length < rule.nStartupTrials) return false;
  if (step < rule.nWarmupSteps) return false;
  const nearestLower = Math.floor((step - rule.nWarmupSteps) / rule.intervalSteps) * rule.intervalSteps + rule.nWarmupSteps;
  const secondLast = curve.reduce((m, [s]) => (s > m && s !== step ? s : m), -1);
  if (!(secondLast < nearestLower)) return false;
  const values = curve.map(([, v]) => v).filter((v) => !Number.isNaN(v));
  if (values.length === 0) return true;
  const best = direction === 'maximize' ? Math.max(...values) : Math.min(...values);
  const atStep = completed.flatMap((c) => c.filter(([s]) => s === step).slice(-1).map(([, v]) => v));
  if (atStep.length < rule.nMinTrials) return false;
  const median = nanPercentile(atStep, 50);
  if (Number.isNaN(median)) return false;
  return direction === 'maximize' ? best < median : best > median;
}

/**
 * Optuna's SuccessiveHalvingPruner (asynchronous successive halving). Rung k sits at step
 * minResource·η^(minEarlyStoppingRate+k). When a trial reaches a rung its current value is recorded there, and it
 * goes on only if it is within the best ⌊n/η⌋ of the n values recorded at that rung so far (itself included; the
 * best one while n < η). Returns the rungs passed (their values to record) and whether the trial stops.
 */
export function ashaJudge(
  rule: Asha, direction: Direction, step: number, value: number, rungsDone: number, recordedAt: (rung: number) => readonly number[],
): { record: { rung: number; value: number }[]; stop: boolean } {
  const record: { rung: number; value: number }[] = [];
  for (let rung = rungsDone; ; rung++) {
    const promotionStep = rule.minResource * rule.reductionFactor ** (rule.minEarlyStoppingRate + rung);
    if (step < promotionStep) return { record, stop: false };
    if (Number.isNaN(value)) return { record, stop: true };
    record.push({ rung, value });
    const competing = [...recordedAt(rung), value].sort((a, b) => a - b);
    let idx = Math.floor(competing.length / rule.reductionFactor) - 1;
    if (idx === -1) idx = 0;
    const promotable = direction === 'maximize' ? value >= competing[competing.length - 1 - idx]! : value <= competing[idx]!;
    if (!promotable) return { record, stop: true };
  }
}
