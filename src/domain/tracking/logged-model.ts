import type { Comparison } from './search-filter.js';
import type { KeyValue, Metric, Page } from './types.js';

/** MLflow 3's logged model: the files of one model logged from (usually) a run, before any registration. */
export const LOGGED_MODEL_STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface LoggedModel {
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly sourceRunId?: string;
  /** `mlflow-artifacts:/<experiment>/models/<model id>/artifacts` */
  readonly artifactLocation: string;
  readonly status: LoggedModelStatus;
  readonly statusMessage?: string;
  readonly modelType?: string;
  readonly creatorId: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly tags: readonly KeyValue[];
  readonly params: readonly KeyValue[];
  /** Metrics logged against the model (with `model_id`), each from a run and possibly measured on a dataset. */
  readonly metrics: readonly LoggedModelMetric[];
}

export interface LoggedModelMetric extends Metric {
  readonly runId: string;
  readonly datasetName?: string;
  readonly datasetDigest?: string;
}

export interface NewLoggedModel {
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly modelType?: string;
  readonly sourceRunId?: string;
  readonly creatorId: string;
  readonly now: number;
  readonly tags: readonly KeyValue[];
  readonly params: readonly KeyValue[];
}

export interface LoggedModelQuery {
  readonly experimentIds: readonly string[];
  readonly filter: readonly Comparison[];
  readonly orderBy: readonly { field: string; ascending: boolean }[];
  /** Only models with a metric measured on one of these datasets (any digest when none is given). */
  readonly datasets: readonly { name: string; digest?: string }[];
  readonly maxResults: number;
  readonly offset: number;
}

export interface LoggedModelStore {
  create(m: NewLoggedModel): Promise<void>;
  get(modelId: string): Promise<LoggedModel | undefined>;
  setStatus(modelId: string, status: LoggedModelStatus, now: number): Promise<void>;
  delete(modelId: string): Promise<void>;
  setTags(modelId: string, tags: readonly KeyValue[], now: number): Promise<void>;
  deleteTag(modelId: string, key: string): Promise<boolean>;
  /** Params are immutable like run params: another value for a logged key is rejected, nothing written. */
  logParams(modelId: string, params: readonly KeyValue[]): Promise<void>;
  search(q: LoggedModelQuery): Promise<Page<LoggedModel>>;
  logRunOutputs(runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void>;
}
