import { describe, expect, it } from 'vitest';
import { bestSoFar, bestTrial } from './best.js';
import { ashaJudge, medianShouldStop, nanPercentile } from './pruners.js';
import type { Asha, CurvePoint, MedianRule, Trial } from './types.js';

const curve = (values: readonly number[]): CurvePoint[] => values.map((v, s) => [s, v]);

/** Judges a curve step by step, as the service does; the step at which it stops, or undefined. */
function medianStop(rule: MedianRule, values: readonly number[], completed: readonly CurvePoint[][]): number | undefined {
  const c = curve(values);
  for (let s = 0; s < c.length; s++) if (medianShouldStop(rule, 'minimize', c.slice(0, s + 1), s, completed)) return s;
  return undefined;
}

describe('the median rule', () => {
  const rule: MedianRule = { type: 'median', nStartupTrials: 2, nWarmupSteps: 1, intervalSteps: 1, nMinTrials: 1 };
  const a = curve([10, 8, 6, 4, 2]);
  const b = curve([10, 9, 8, 7, 6]);

  it('stops where a hand computation says', () => {
    // Medians of the completed trials: step 1 → 8.5, step 2 → 7, step 3 → 5.5, step 4 → 4.
    // C: best so far at step 1 is 10 > 8.5 → stopped at 1 (step 0 is warm-up).
    expect(medianStop(rule, [11, 10, 9, 8, 7], [a, b])).toBe(1);
    // D: best 7 at step 1 (< 8.5), still 7 at step 2 (not > 7), 7 > 5.5 at step 3 → stopped at 3.
    expect(medianStop(rule, [9, 7, 7.5, 8, 9], [a, b])).toBe(3);
    // E follows the median from below: never stopped.
    expect(medianStop(rule, [10, 8.5, 7, 5.5, 4], [a, b])).toBeUndefined();
    // Fewer completed trials than nStartupTrials: nothing is stopped.
    expect(medianStop(rule, [11, 10, 9, 8, 7], [a])).toBeUndefined();
  });

  it('judges only the first step of each interval, and stops a trial whose values are all NaN', () => {
    expect(medianStop({ ...rule, intervalSteps: 2 }, [11, 10, 9, 8, 7], [a, b])).toBe(1);
    expect(medianStop({ ...rule, nWarmupSteps: 0, intervalSteps: 2 }, [9, 10, 9, 8, 7], [a, b])).toBe(2);
    expect(medianStop(rule, [NaN, NaN], [a, b])).toBe(1);
    expect(nanPercentile([1, NaN, 3, 2, 10], 50)).toBe(2.5);
  });
});

describe('ASHA', () => {
  const rule: Asha = { type: 'asha', minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 0 };

  it('stops exactly the trials a hand computation says', () => {
    // Rungs at steps 1, 2, 4. Trials run one after another; values at steps 0..5.
    const curves = [
      [9, 5, 4, 3.5, 3, 2.9], // T0: alone at every rung → promoted throughout
      [9, 6, 5, 4, 3, 2], //     T1: rung 0 {5, 6}: ⌊2/2⌋ = 1 → keep the best 1 (5) → stopped at step 1
      [9, 4, 3.5, 3.4, 3.2, 3], // T2: rung 0 {5,6,4} keeps 4; rung 1 {4, 3.5} keeps 3.5; rung 2 {3, 3.2} → stopped at 4
      [9, 5.5, 1, 1, 1, 1], //   T3: rung 0 {5,6,4,5.5}: best 2 are 4, 5 → stopped at step 1
      [9, 4.5, 3.8, 3, 2, 1], // T4: rung 0 {5,6,4,5.5,4.5}: best 2 → 4.5 kept; rung 1 {4, 3.5, 3.8}: best 1 → stopped at 2
    ];
    const rungs = new Map<number, number[]>();
    const stops = curves.map((values) => {
      let done = 0;
      for (let s = 0; s < values.length; s++) {
        const { record, stop } = ashaJudge(rule, 'minimize', s, values[s]!, done, (r) => rungs.get(r) ?? []);
        for (const r of record) rungs.set(r.rung, [...(rungs.get(r.rung) ?? []), r.value]);
        done += record.length;
        if (stop) return s;
      }
      return undefined;
    });
    expect(stops).toEqual([undefined, 1, 4, 1, 2]);
  });
});

describe('the best trial', () => {
  const trial = (number: number, state: Trial['state'], value?: number): Trial => ({
    sweepId: 's', number, state, params: {}, runId: `r${number}`, checkedStep: -1, attempts: 1, startedAt: 0, ...(value !== undefined ? { value } : {}),
  });
  const trials = [trial(0, 'COMPLETE', NaN), trial(1, 'COMPLETE', 0.3), trial(2, 'PRUNED', 0.1), trial(3, 'COMPLETE', 0.3), trial(4, 'FAILED'), trial(5, 'COMPLETE', 0.7)];

  it('is the lowest (or highest) complete value, the earliest on ties, never NaN or a stopped trial', () => {
    expect(bestTrial(trials, 'minimize')?.number).toBe(1);
    expect(bestTrial(trials, 'maximize')?.number).toBe(5);
    expect(bestTrial([trial(3, 'COMPLETE', 2), trial(1, 'COMPLETE', 2)], 'maximize')?.number).toBe(1);
    expect(bestTrial([trial(0, 'COMPLETE', NaN), trial(1, 'FAILED')], 'minimize')).toBeUndefined();
    expect(bestSoFar(trials, 'minimize')).toEqual([{ number: 1, value: 0.3 }, { number: 3, value: 0.3 }, { number: 5, value: 0.3 }]);
  });
});
