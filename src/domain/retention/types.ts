/** Retention: policies that delete old runs for good, and the jobs that do it. */
export const SCOPE_KINDS = ['server', 'experiment', 'project', 'traces'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export interface RetentionPolicy {
  readonly id: string;
  /**
   * `server`: every experiment (scopeId `*`); `experiment`: its id; `project`: its name (its experiments' runs);
   * `traces`: LLM traces of a project (its name, or `*` for every project), optionally of one trace type written
   * after a slash (`support/rag-query`: the traces named `rag-query`). Project names hold no slash.
   */
  readonly scope: { readonly kind: ScopeKind; readonly id: string };
  /** Runs (traces) that started more than this many days ago are deleted. */
  readonly maxAgeDays: number;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** What deleting one run removed: rows per table, and the artifact files and bytes. */
export interface PurgeCounts {
  readonly rows: Readonly<Record<string, number>>;
  readonly artifactFiles: number;
  readonly artifactBytes: number;
}

/** The rows of a run as they were read just before they were deleted, for the digest in its deletion record. */
export interface PurgedRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactUri: string;
  readonly rows: Readonly<Record<string, number>>;
  /** sha256 over the run's rows in a fixed order: proves later what was deleted without keeping it. */
  readonly digest: string;
}

/** Which LLM traces a `traces` policy covers: a project (all when undefined) and a trace type (all when undefined). */
export interface TraceSelector {
  readonly project?: string | undefined;
  readonly name?: string | undefined;
}

/** What one batch of trace deletions removed. */
export interface PurgedTraces {
  readonly traces: number;
  readonly rows: Readonly<Record<string, number>>;
  /** sha256 over the deleted rows in a fixed order. */
  readonly digest: string;
}

export interface DeletionJob {
  readonly id: string;
  readonly requestedBy: string;
  readonly reason: string;
  readonly state: 'running' | 'done' | 'failed';
  /** Units of work (runs, and trace policies or trace lists), and done so far. */
  readonly total: number;
  readonly deleted: number;
  readonly counts: PurgeCounts;
  readonly error: string | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

export interface RetentionStore {
  putPolicy(p: RetentionPolicy): Promise<RetentionPolicy>;
  listPolicies(): Promise<RetentionPolicy[]>;
  deletePolicy(id: string): Promise<boolean>;
  /** Runs that started before `before`, in the experiments given (all when `experimentIds` is undefined). */
  runsStartedBefore(before: number, experimentIds: readonly string[] | undefined): Promise<{ runId: string; experimentId: string }[]>;
  /** Deletes a run and everything recorded under it, in one transaction; undefined when it does not exist. */
  purgeRun(runId: string): Promise<PurgedRun | undefined>;
  /** How many traces started before `before` match the selector. */
  countTracesBefore(before: number, selector: TraceSelector): Promise<number>;
  /**
   * Deletes up to `limit` of the traces started before `before` that match (or the traces named by `traceIds`), with
   * their spans, in one transaction; `traces: 0` when none is left.
   */
  purgeTraces(target: { before: number; selector: TraceSelector } | { traceIds: readonly string[] }, limit: number): Promise<PurgedTraces>;
  /** The project of each of these traces, for those that exist. */
  traceProjects(traceIds: readonly string[]): Promise<Map<string, string>>;
  saveJob(job: DeletionJob): Promise<void>;
  getJob(id: string): Promise<DeletionJob | undefined>;
}
