import type { Verdict } from './analysis.js';
import type { Deployment } from './types.js';

export type RolloutDecision =
  | { readonly action: 'wait' }
  | { readonly action: 'advance'; readonly nextStep: number }
  | { readonly action: 'promote' }
  | { readonly action: 'rollback'; readonly reason: string };

/**
 * What a rollout does next, given the verdict over its current step: a failing check rolls back at
 * once, whenever it is seen; a passing one advances only when the step's interval is over; too
 * little traffic to judge holds the step. A paused rollout does nothing on its own.
 */
export function decide(d: Deployment, verdict: Verdict, now: number): RolloutDecision {
  const r = d.rollout;
  if (!r || r.phase === 'paused') return { action: 'wait' };
  if (verdict.status === 'fail') {
    const failed = verdict.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`);
    return { action: 'rollback', reason: `analysis failed at step ${r.stepIndex + 1}/${r.steps.length} (${r.steps[r.stepIndex]}%): ${failed.join('; ')}` };
  }
  if (now - r.stepStartedAt < r.intervalMs || verdict.status === 'inconclusive') return { action: 'wait' };
  return r.stepIndex + 1 >= r.steps.length ? { action: 'promote' } : { action: 'advance', nextStep: r.stepIndex + 1 };
}
