/** Tracking domain: experiments, runs and what is logged to them. Ids are strings at every boundary. */
export type LifecycleStage = 'active' | 'deleted';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: LifecycleStage;
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly tags: readonly KeyValue[];
}

export interface RunInfo {
  readonly runId: string;
  readonly runName: string;
  readonly experimentId: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | null;
  readonly artifactUri: string;
  readonly lifecycleStage: LifecycleStage;
}

export interface Metric {
  readonly key: string;
  /** NaN and ±Infinity are allowed; ±Infinity is stored as ±Number.MAX_VALUE, as MLflow does. */
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

/** A metric as logged: MLflow 3 may also attribute it to a logged model, measured on a named dataset. */
export interface LoggedMetric extends Metric {
  readonly modelId?: string;
  readonly datasetName?: string;
  readonly datasetDigest?: string;
}

export interface Dataset {
  readonly name: string;
  readonly digest: string;
  readonly sourceType: string;
  readonly source: string;
  readonly schema?: string;
  readonly profile?: string;
}

export interface DatasetInput {
  readonly dataset: Dataset;
  readonly tags: readonly KeyValue[];
}

export interface Run {
  readonly info: RunInfo;
  readonly data: {
    /** The latest value of each metric: highest step, then latest timestamp. */
    readonly metrics: readonly Metric[];
    readonly params: readonly KeyValue[];
    readonly tags: readonly KeyValue[];
  };
  readonly inputs: readonly DatasetInput[];
  /** MLflow 3: logged models the run took as inputs, and those it produced (with the step they came from). */
  readonly modelInputs: readonly string[];
  readonly modelOutputs: readonly { readonly modelId: string; readonly step: number }[];
}

export interface Batch {
  readonly metrics: readonly LoggedMetric[];
  readonly params: readonly KeyValue[];
  readonly tags: readonly KeyValue[];
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Offset of the next page; absent on the last page. */
  readonly nextOffset?: number;
}

/** Where a history page ends, in history order (timestamp, step, stored value, NaN flag): the next page starts after it. */
export type HistoryPosition = readonly [timestamp: number, step: number, storedValue: number, isNan: number];

export interface HistoryPage {
  readonly items: readonly Metric[];
  /** Absent on the last page. */
  readonly next?: HistoryPosition;
}

/**
 * A history page with its points already written as JSON, each `{"key":…,"value":…,"timestamp":…,"step":…}`
 * (Metric's fields; NaN as the string "NaN", as MLflow sends it), comma-separated, without brackets. A database
 * that can write them itself spares an object per point and their serialization (pages run to 25,000 points).
 */
export interface HistoryJsonPage {
  /** ASCII apart from the key, which is UTF-8. */
  readonly pointsJson: Uint8Array;
  readonly count: number;
  /** Absent on the last page. */
  readonly next?: HistoryPosition;
}

export interface MetricWithRun extends Metric {
  readonly runId: string;
}

/** MLflow's reserved tags that the platform reads or fills. */
export const TAG = {
  runName: 'mlflow.runName',
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
  datasetContext: 'mlflow.data.context',
} as const;

/** A saved view of an experiment's runs: the web UI's query string (filter, order, columns, grouping, panels) under a name. */
export interface SavedView {
  readonly name: string;
  readonly query: string;
  readonly createdBy: string;
  readonly updatedAt: number;
}
