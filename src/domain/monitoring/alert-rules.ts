/**
 * An alert rule's life: a condition on one window figure that must hold for N consecutive windows.
 * inactive → pending (holds, fewer than N windows so far) → firing (N reached) → resolved (stops
 * holding); pending that stops holding goes back to inactive. A window without the figure does not hold.
 */
import type { AlertOp, AlertRule, AlertState } from './types.js';
import type { AlertRuleUpdate } from './monitoring.store.js';

export function holds(op: AlertOp, value: number, threshold: number): boolean {
  switch (op) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
  }
}

export interface RuleStep {
  readonly update: AlertRuleUpdate;
  /** Set when the state changed. */
  readonly transition?: AlertState;
}

export function stepRule(rule: AlertRule, value: number | undefined, now: number): RuleStep {
  const on = value !== undefined && holds(rule.op, value, rule.threshold);
  let state: AlertState;
  let consecutive: number;
  if (on) {
    consecutive = rule.consecutive + 1;
    state = consecutive >= rule.forWindows ? 'firing' : 'pending';
  } else {
    consecutive = 0;
    state = rule.state === 'firing' || rule.state === 'resolved' ? 'resolved' : 'inactive';
  }
  const changed = state !== rule.state;
  return {
    update: { state, consecutive, stateSince: changed ? now : rule.stateSince, lastValue: value ?? null },
    ...(changed ? { transition: state } : {}),
  };
}

/** Notifications go out when a rule starts firing and when it resolves, not for pending. */
export const notifies = (transition: AlertState | undefined): boolean => transition === 'firing' || transition === 'resolved';
