import { get, post } from './client';
import { projectQuery } from '../lib/current-project';

/** Shapes of the native API (`/api/v1`, src/api/v1/tracking.routes.ts); metric values may be "NaN"/"Infinity" strings. */
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation: string;
  readonly lifecycleStage: 'active' | 'deleted';
  readonly creationTime: number;
  readonly lastUpdateTime: number;
  readonly tags: readonly KeyValue[];
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface Metric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface DatasetInput {
  readonly dataset: { name: string; digest: string; sourceType: string; source: string; schema?: string; profile?: string };
  readonly tags: readonly KeyValue[];
}

export interface Run {
  readonly info: {
    readonly runId: string;
    readonly runName: string;
    readonly experimentId: string;
    readonly userId: string;
    readonly status: RunStatus;
    readonly startTime: number;
    readonly endTime: number | null;
    readonly artifactUri: string;
    readonly lifecycleStage: 'active' | 'deleted';
  };
  readonly data: { readonly metrics: readonly Metric[]; readonly params: readonly KeyValue[]; readonly tags: readonly KeyValue[] };
  readonly inputs: readonly DatasetInput[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken?: string;
}

export interface LoggedModel {
  readonly info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms: number;
    artifact_uri: string;
    status: string;
    model_type?: string;
    source_run_id?: string;
    tags?: KeyValue[];
  };
  readonly data: { params?: KeyValue[] };
}

/** One run's sampled history of one metric, as columns. */
export interface SampledSeries {
  readonly runId: string;
  readonly key: string;
  readonly steps: number[];
  readonly timestamps: number[];
  readonly values: number[];
}

/** JSON carries NaN and ±Infinity as strings; the UI wants numbers. */
const toNumber = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const metricIn = (m: Metric): Metric => ({ ...m, value: toNumber(m.value) });
const runIn = (r: Run): Run => ({ ...r, data: { ...r.data, metrics: r.data.metrics.map(metricIn) } });

const enc = encodeURIComponent;
/** Points a run page's chart draws before the server samples instead (MLflow's bulk-interval cap per run). */
const CHART_POINTS = 2500;

export const trackingApi = {
  listExperiments: (q: { filter?: string; pageToken?: string; maxResults?: number; orderBy?: string } = {}, signal?: AbortSignal) =>
    get<Page<Experiment>>('/api/v1/experiments', { ...q, ...projectQuery() }, signal),
  getExperiment: (id: string, signal?: AbortSignal) => get<Experiment>(`/api/v1/experiments/${enc(id)}`, undefined, signal),

  async searchRuns(
    q: { experimentIds: string[]; filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string; includeCount?: boolean },
    signal?: AbortSignal,
  ): Promise<Page<Run> & { totalCount?: number }> {
    const page = await post<Page<Run> & { totalCount?: number }>('/api/v1/runs/search', q, signal);
    return { ...page, items: page.items.map(runIn) };
  },
  getRun: async (id: string, signal?: AbortSignal) => runIn(await get<Run>(`/api/v1/runs/${enc(id)}`, undefined, signal)),

  /**
   * What a run page's chart draws: the whole history when it is short, else the steps the server samples with
   * MLflow's bulk-interval rule (evenly spaced steps plus the first and last), so a 1M-step metric draws at once.
   */
  async chartHistory(runId: string, key: string, signal?: AbortSignal): Promise<{ points: Metric[]; sampled: boolean }> {
    const first = await get<Page<Metric>>(`/api/v1/runs/${enc(runId)}/metrics/${enc(key)}/history`, { maxResults: CHART_POINTS }, signal);
    if (!first.nextPageToken) return { points: first.items.map(metricIn), sampled: false };
    return { points: await this.metricHistories([runId], key, CHART_POINTS, signal), sampled: true };
  },

  /** Sampled histories of many runs at once (MLflow's bulk-interval endpoint): enough points for an overlay chart. */
  async metricHistories(runIds: readonly string[], key: string, maxResults = 1000, signal?: AbortSignal): Promise<(Metric & { runId: string })[]> {
    const res = await get<{ metrics?: { key: string; value: number | string; timestamp: number; step: number; run_id: string }[] }>(
      '/api/2.0/mlflow/metrics/get-history-bulk-interval',
      { run_ids: [...runIds], metric_key: key, max_results: maxResults },
      signal,
    );
    return (res.metrics ?? []).map((m) => ({ key: m.key, value: toNumber(m.value), timestamp: m.timestamp, step: m.step, runId: m.run_id }));
  },

  /**
   * Several metrics of up to 100 runs sampled at once, as columns (OpenExpert's own endpoint, the same step
   * sampling as MLflow's bulk interval, a fifth of its bytes): what the chart workspace's panels draw.
   */
  async sampledHistories(runIds: readonly string[], keys: readonly string[], maxResults: number, signal?: AbortSignal): Promise<SampledSeries[]> {
    const res = await post<{ series: (Omit<SampledSeries, 'values'> & { values: (number | string)[] })[] }>(
      '/api/v1/runs/metric-histories', { runIds, keys, maxResults }, signal);
    return res.series.map((s) => ({ ...s, values: s.values.map(toNumber) }));
  },

  async loggedModelsOfRun(experimentId: string, runId: string, signal?: AbortSignal): Promise<LoggedModel[]> {
    const res = await post<{ models?: LoggedModel[] }>(
      '/api/2.0/mlflow/logged-models/search',
      { experiment_ids: [experimentId], filter: `source_run_id = '${runId.replace(/'/g, "''")}'`, max_results: 100 },
      signal,
    );
    return res.models ?? [];
  },
};
