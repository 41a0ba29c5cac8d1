import type { Comparison, OrderClause } from './search-filter.js';
import type {
  Batch, DatasetInput, Experiment, HistoryJsonPage, HistoryPage, HistoryPosition, LifecycleStage, MetricWithRun, Page, Run, RunInfo, RunStatus, ViewType, KeyValue, SavedView,
} from './types.js';

export interface NewExperiment {
  readonly name: string;
  /** Given by the client, or derived from the new id when absent. */
  readonly artifactLocation: string | ((experimentId: string) => string);
  readonly tags: readonly KeyValue[];
  readonly now: number;
}

export interface NewRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId: string;
  readonly startTime: number;
  readonly artifactUri: string;
  readonly tags: readonly KeyValue[];
}

export interface ExperimentQuery {
  readonly viewType: ViewType;
  readonly filter: readonly Comparison[];
  readonly orderBy: readonly OrderClause[];
  readonly maxResults: number;
  readonly offset: number;
}

export interface RunQuery {
  readonly experimentIds: readonly string[];
  readonly filter: readonly Comparison[];
  readonly orderBy: readonly OrderClause[];
  readonly viewType: ViewType;
  readonly maxResults: number;
  readonly offset: number;
}

export interface DatasetSummary {
  readonly experimentId: string;
  readonly name: string;
  readonly digest: string;
  readonly context?: string;
}

export interface IdempotencyKey {
  readonly scope: string;
  readonly key: string;
}

export interface TrackingStore {
  createExperiment(e: NewExperiment): Promise<string>;
  getExperiment(experimentId: string): Promise<Experiment | undefined>;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  searchExperiments(q: ExperimentQuery): Promise<Page<Experiment>>;
  renameExperiment(experimentId: string, name: string, now: number): Promise<void>;
  /** Deleting an experiment deletes its runs; restoring restores them. */
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, now: number): Promise<void>;
  setExperimentTag(experimentId: string, tag: KeyValue): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<boolean>;

  /** With an idempotency key, a retried create returns the run the first attempt made. */
  createRun(r: NewRun, idempotency?: IdempotencyKey): Promise<RunInfo>;
  getRunInfo(runId: string): Promise<RunInfo | undefined>;
  getRun(runId: string): Promise<Run | undefined>;
  updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }): Promise<void>;
  setRunLifecycle(runId: string, stage: LifecycleStage, now: number): Promise<void>;
  /**
   * All of the batch or none of it. A param already stored with another value rejects the whole batch
   * with INVALID_PARAMETER_VALUE; `runName` renames the run in the same transaction.
   */
  /** With an idempotency key, a retried batch that was already written is not written again. */
  logBatch(runId: string, batch: Batch, runName?: string, idempotencyKey?: string): Promise<void>;
  deleteTag(runId: string, key: string): Promise<boolean>;
  /** `modelIds`: logged models the run takes as inputs (MLflow 3). */
  logInputs(runId: string, experimentId: string, inputs: readonly DatasetInput[], modelIds?: readonly string[]): Promise<void>;
  searchRuns(q: RunQuery): Promise<Page<Run>>;
  /** Saved views of an experiment, by name. */
  listViews(experimentId: string): Promise<SavedView[]>;
  /** Creates the view, or replaces the one of that name. */
  saveView(experimentId: string, view: SavedView): Promise<void>;
  deleteView(experimentId: string, name: string): Promise<boolean>;
  /** How many runs the query matches in all (its paging and order ignored): one count, not a scan of the rows. */
  countRuns(q: Pick<RunQuery, 'experimentIds' | 'filter' | 'viewType'>): Promise<number>;
  /** The distinct datasets runs of these experiments logged, with the context (`mlflow.data.context`) they were logged in. */
  datasetSummaries(experimentIds: readonly string[], limit: number): Promise<DatasetSummary[]>;
  /** One page of a metric's history in (timestamp, step, value) order, starting after `after` (keyset paging). */
  getMetricHistory(runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }): Promise<HistoryPage>;
  /** The same page as `getMetricHistory` with its points as JSON, where the database writes them (SQLite); undefined elsewhere. */
  getMetricHistoryJson(runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }): Promise<HistoryJsonPage | undefined>;
  /** The metric of each run at about `maxSteps` steps sampled over [startStep, endStep] as MLflow samples them, each run's ends included. */
  getMetricHistoryBulkInterval(
    runIds: readonly string[], key: string, range: { startStep?: number; endStep?: number; maxSteps: number },
  ): Promise<MetricWithRun[]>;
}
