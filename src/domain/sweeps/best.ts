import type { Direction, Trial } from './types.js';

/**
 * The best trial: among complete trials with a number for a value (NaN never wins), the lowest or highest value
 * by the declared goal; equal values go to the earliest trial (lowest number), as Optuna's best_trial does.
 */
export function bestTrial(trials: readonly Trial[], direction: Direction): Trial | undefined {
  let best: Trial | undefined;
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    if (t.state !== 'COMPLETE' || t.value === undefined || Number.isNaN(t.value)) continue;
    if (!best || (direction === 'minimize' ? t.value < best.value! : t.value > best.value!)) best = t;
  }
  return best;
}

/** The best value after each finished trial, in trial order (for the best-so-far curve). */
export function bestSoFar(trials: readonly Trial[], direction: Direction): { number: number; value: number }[] {
  const out: { number: number; value: number }[] = [];
  let best: number | undefined;
  for (const t of [...trials].sort((a, b) => a.number - b.number)) {
    if (t.state !== 'COMPLETE' || t.value === undefined || Number.isNaN(t.value)) continue;
    if (best === undefined || (direction === 'minimize' ? t.value < best : t.value > best)) best = t.value;
    out.push({ number: t.number, value: best });
  }
  return out;
}
