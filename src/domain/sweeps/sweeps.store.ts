import type { CurvePoint, Sweep, SweepLease, Trial, TrialState } from './types.js';

/** What may change on a trial; `null` clears a field. */
export interface TrialPatch {
  readonly state?: TrialState;
  readonly runId?: string;
  readonly value?: number | null;
  readonly step?: number | null;
  readonly checkedStep?: number;
  readonly curve?: readonly CurvePoint[] | null;
  readonly reason?: string | null;
  readonly pid?: number | null;
  readonly host?: string | null;
  readonly attempts?: number;
  readonly startedAt?: number;
  readonly endedAt?: number | null;
}

/** Sweeps, their trials and ASHA's rung records. Trial numbers are unique per sweep; changes are compare-and-set on state. */
export interface SweepStore {
  createSweep(sweep: Sweep): Promise<void>;
  getSweep(id: string): Promise<Sweep | undefined>;
  /** Newest first. */
  listSweeps(query: { experimentIds?: readonly string[]; limit: number }): Promise<Sweep[]>;
  setMaxTrials(id: string, maxTrials: number, updatedAt: number): Promise<void>;
  /** In trial-number order. */
  listTrials(sweepId: string): Promise<Trial[]>;
  getTrial(sweepId: string, number: number): Promise<Trial | undefined>;
  /** False when another process took that number first. */
  insertTrial(trial: Trial): Promise<boolean>;
  /** Applies the patch when the trial is in one of `states` (any state when absent); false when it was not. */
  updateTrial(sweepId: string, number: number, patch: TrialPatch, states?: readonly TrialState[]): Promise<boolean>;
  addRungValues(sweepId: string, number: number, values: readonly { rung: number; value: number }[]): Promise<void>;
  rungValues(sweepId: string): Promise<{ number: number; rung: number; value: number }[]>;
  clearRungs(sweepId: string, number: number): Promise<void>;
  getLease(sweepId: string): Promise<SweepLease | undefined>;
  /**
   * Takes or renews the sweep's lease, atomically: granted when there is none, when `lease.controller` holds it,
   * when it expired before `lease.acquiredAt`, or when its holder is `takeOver` (a holder the caller found dead).
   * Returns the lease as it stands afterwards: the caller's when granted, the other holder's when not.
   */
  acquireLease(lease: SweepLease, takeOver?: string): Promise<SweepLease>;
  /** Drops the lease if `controller` holds it. */
  releaseLease(sweepId: string, controller: string): Promise<void>;
}
