import type { CaptureInput, PipelineRunInput, Tolerance } from './schemas.js';

/** What `openexpert run` recorded about one run: enough to do it again. */
export type Capture = CaptureInput & {
  readonly runId: string;
  readonly experimentId: string;
  readonly createdBy: string;
  readonly createdAt: number;
};

export interface MetricComparison {
  readonly key: string;
  readonly original: number | null;
  readonly reproduced: number | null;
  /** reproduced − original; null when either side is missing. */
  readonly delta: number | null;
  /** |delta| / |original|; null when the original is 0 or missing. */
  readonly relativeDelta: number | null;
  /** The margin that applied, as given (`0.01` or `2%`); `exact` when none was given. */
  readonly tolerance: string;
  readonly withinTolerance: boolean;
}

export interface EnvironmentDifference {
  /** A dotted name: `interpreters.python`, `lockFiles.requirements.txt`, `hardware.cpus`... */
  readonly field: string;
  readonly original: string | null;
  readonly reproduced: string | null;
}

/** A rerun of a captured run compared with the original: stored as evidence for promotion checks. */
export interface Reproduction {
  readonly id: string;
  readonly sourceRunId: string;
  readonly runId: string;
  /** Who ran the reproduction, and who ran the source run: a check may want them different. */
  readonly createdBy: string;
  readonly sourceAuthor: string;
  readonly createdAt: number;
  readonly tolerance: Tolerance;
  readonly exitCode: number | null;
  readonly metrics: readonly MetricComparison[];
  readonly environment: readonly EnvironmentDifference[];
  /** Every metric within tolerance, none missing, and the rerun exited 0. */
  readonly passed: boolean;
}

export type PipelineRun = PipelineRunInput & {
  readonly id: string;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
};
