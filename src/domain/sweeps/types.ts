/** A parameter's value as a command sees it: numbers for numeric parameters, any of these for categorical ones. */
export type ParamValue = number | string | boolean;

/** When a conditional parameter is active: every named (earlier) parameter is active and has one of the given values. */
export type Condition = Readonly<Record<string, readonly ParamValue[]>>;

interface ParamBase {
  readonly name: string;
  readonly when?: Condition;
}

export type ParamSpec =
  | (ParamBase & { readonly type: 'uniform'; readonly min: number; readonly max: number; readonly gridPoints?: number })
  | (ParamBase & { readonly type: 'log_uniform'; readonly min: number; readonly max: number; readonly gridPoints?: number })
  | (ParamBase & { readonly type: 'int'; readonly min: number; readonly max: number; readonly step: number; readonly log: boolean })
  | (ParamBase & { readonly type: 'categorical'; readonly values: readonly ParamValue[] });

/** Parameters in declaration order: a condition may only name parameters declared before it. */
export type SearchSpace = readonly ParamSpec[];

export type Params = Readonly<Record<string, ParamValue>>;

export type Direction = 'minimize' | 'maximize';

export type Method = 'grid' | 'random' | 'tpe';

export interface MedianRule {
  readonly type: 'median';
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;
}

export interface Asha {
  readonly type: 'asha';
  readonly minResource: number;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
}

export type EarlyStopping = MedianRule | Asha;

export interface TpeOptions {
  readonly nStartupTrials: number;
  readonly nEiCandidates: number;
}

/** What a sweep searches and how, as declared in sweep.yaml (normalized: defaults filled in). */
export interface SweepConfig {
  readonly method: Method;
  readonly metric: { readonly name: string; readonly goal: Direction };
  readonly parameters: SearchSpace;
  readonly seed: number;
  readonly earlyStopping?: EarlyStopping;
  readonly tpe: TpeOptions;
  /** The command each trial runs, when the sweep declares it (the CLI's `-- command` otherwise). */
  readonly command?: readonly string[];
}

export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAILED' | 'INTERRUPTED';

/** One point of a trial's objective curve: the metric's value at a step (the last value logged at that step). */
export type CurvePoint = readonly [step: number, value: number];

export interface Trial {
  readonly sweepId: string;
  readonly number: number;
  readonly state: TrialState;
  readonly params: Params;
  /** The tracked run of the latest attempt. */
  readonly runId: string;
  /** COMPLETE: the objective's last value; PRUNED: its value at the step the trial was stopped; may be NaN. */
  readonly value?: number;
  /** The step `value` was read at. */
  readonly step?: number;
  /** Steps up to this one have been judged by the early-stopping rule. */
  readonly checkedStep: number;
  /** The objective's intermediate values, kept when the trial ends (the rules compare running trials with these). */
  readonly curve?: readonly CurvePoint[];
  /** Why it failed or was stopped. */
  readonly reason?: string;
  /** The trial's process (leader of its process group) and the host it runs on, while it runs. */
  readonly pid?: number;
  readonly host?: string;
  readonly attempts: number;
  readonly startedAt: number;
  readonly endedAt?: number;
}

export type SweepState = 'RUNNING' | 'FINISHED';

export interface Sweep {
  readonly id: string;
  readonly name: string;
  readonly experimentId: string;
  /** The run every trial's run names as `mlflow.parentRunId`. */
  readonly parentRunId: string;
  readonly config: SweepConfig;
  /** How many trials the sweep runs in all (`extend` raises it); for grid search at most the grid's size. */
  readonly maxTrials: number;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface SweepSummary extends Sweep {
  readonly state: SweepState;
  readonly counts: Readonly<Record<TrialState, number>>;
  readonly best?: Trial;
}

export interface SweepDetail extends SweepSummary {
  readonly trials: readonly Trial[];
}

/** Which controller drives a sweep, until when (it renews the lease while it runs). */
export interface SweepLease {
  readonly sweepId: string;
  /** The controller's own id (host, pid and a random part). */
  readonly controller: string;
  readonly host: string;
  readonly pid: number;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}
