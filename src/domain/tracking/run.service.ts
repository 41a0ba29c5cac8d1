import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, invalidState, missing, orThrow } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { checkMaxResults, decodeKeysetToken, decodePageToken, encodeKeysetToken } from '../../core/paging.js';
import type { Access } from '../access/access.js';
import { parseRunSearch } from './search-rules.js';
import type { DatasetSummary, TrackingStore } from './tracking.store.js';
import {
  TAG, type Batch, type DatasetInput, type HistoryJsonPage, type HistoryPage, type HistoryPosition, type KeyValue, type LoggedMetric, type Metric, type MetricWithRun, type Page, type Run, type RunInfo,
  type RunStatus, type ViewType,
} from './types.js';
import { generateRunName, normalizeBatch, normalizeTag, validateKey, validateRunName } from './validation.js';

export interface CreateRunInput {
  readonly experimentId: string;
  readonly runName?: string;
  readonly userId?: string;
  readonly startTime?: number;
  readonly tags?: readonly KeyValue[];
  /** A retried create with the same key returns the run the first attempt made. */
  readonly idempotencyKey?: string;
}

export interface UpdateRunInput {
  readonly status?: RunStatus;
  readonly endTime?: number;
  readonly runName?: string;
}

export interface SearchRunsInput {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  readonly viewType?: ViewType;
  readonly maxResults?: number;
  readonly pageToken?: string;
  /** Also count every matching run (`totalCount`), for a table that says how many there are. */
  readonly includeCount?: boolean;
}

export interface HistoryInput {
  readonly runId: string;
  readonly key: string;
  readonly maxResults?: number;
  readonly pageToken?: string;
}

export interface BulkIntervalInput {
  readonly runIds: readonly string[];
  readonly key: string;
  readonly startStep?: number;
  readonly endStep?: number;
  readonly maxResults?: number;
}

/** MLflow's bounds for get-history-bulk-interval: at most 100 runs, at most 2500 points per run (default 320). */
const BULK_MAX_RUNS = 100;
const BULK_MAX_POINTS = 2500;
const BULK_DEFAULT_POINTS = 320;
/** Metrics one sampled-histories call may ask for (a screen of workspace panels and then some). */
const SAMPLED_MAX_KEYS = 20;
const HISTORY_MAX_RESULTS = 100_000;
/** MLflow's bounds for search-datasets. */
const SEARCH_DATASETS_MAX_EXPERIMENTS = 20;
const SEARCH_DATASETS_MAX_RESULTS = 1000;
/** MLflow's cap on get-history-bulk's answer (MAX_HISTORY_RESULTS in its handler). */
const BULK_HISTORY_MAX = 25_000;

/**
 * Told the tags a run was given, after they are stored; returns tags to add to the run (what another module
 * made of them: the dataset version a `dataset_version` tag meant, or a warning).
 */
export type RunTagsHook = (actor: Actor, runId: string, tags: readonly KeyValue[]) => Promise<readonly KeyValue[]>;

/** Asked before a run is created, with where it would belong; throws to refuse it (a compute budget's hard stop). */
export type RunAdmission = (run: { experimentId: string; userId: string; tags: readonly KeyValue[] }) => Promise<void>;

export class RunService {
  constructor(
    private readonly store: TrackingStore,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly onTags?: RunTagsHook,
    private readonly admit?: RunAdmission,
  ) {}

  private async tagsLogged(actor: Actor, runId: string, tags: readonly KeyValue[]): Promise<void> {
    if (!this.onTags || tags.length === 0) return;
    const added = await this.onTags(actor, runId, tags);
    if (added.length > 0) await this.store.logBatch(runId, { metrics: [], params: [], tags: [...added] }, undefined);
  }

  async create(actor: Actor, input: CreateRunInput): Promise<RunInfo> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: input.experimentId });
    const experiment = orThrow(await this.store.getExperiment(input.experimentId), () => missing({ kind: 'experiment', experimentId: input.experimentId }));
    if (experiment.lifecycleStage !== 'active') {
      throw invalid(`The experiment ${experiment.experimentId} must be in the 'active' state. Current state is ${experiment.lifecycleStage}.`);
    }
    const tags = new Map((input.tags ?? []).map(normalizeTag).map((t) => [t.key, t.value] as const));
    const tagName = tags.get(TAG.runName);
    if (input.runName && tagName !== undefined && tagName !== input.runName) {
      throw invalid(`Both 'run_name' ('${input.runName}') and tag '${TAG.runName}' ('${tagName}') were given with different values`);
    }
    const runName = validateRunName(input.runName || tagName || generateRunName());
    tags.set(TAG.runName, runName);
    const runId = newRunId();
    // With auth on the author is who signed in, whatever the client says (promotion gates keep authors from approving
    // their own models); with auth off, MLflow's rule: the client's user_id, else its mlflow.user tag.
    const userId = actor.authenticated ? actor.userId : input.userId || tags.get(TAG.user) || actor.userId;
    if (actor.authenticated) tags.set(TAG.user, userId);
    await this.admit?.({ experimentId: experiment.experimentId, userId, tags: [...tags].map(([key, value]) => ({ key, value })) });
    const created = await this.store.createRun(
      {
        runId,
        experimentId: experiment.experimentId,
        runName,
        userId,
        // MLflow stores 0 when the client sends no start time; we record when the server saw it instead.
        startTime: input.startTime ?? this.clock.now(),
        artifactUri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
        tags: [...tags].map(([key, value]) => ({ key, value })),
      },
      input.idempotencyKey ? { scope: `run:${experiment.experimentId}`, key: input.idempotencyKey } : undefined,
    );
    await this.tagsLogged(actor, created.runId, input.tags ?? []);
    return created;
  }

  async get(actor: Actor, runId: string): Promise<Run> {
    const run = orThrow(await this.store.getRun(runId), () => missing({ kind: 'run', runId }));
    await this.access.require(actor, 'READ', { kind: 'experiment', id: run.info.experimentId, asMissing: () => missing({ kind: 'run', runId }) });
    return run;
  }

  async update(actor: Actor, runId: string, input: UpdateRunInput): Promise<RunInfo> {
    await this.activeRun(actor, runId);
    const runName = input.runName ? validateRunName(input.runName) : undefined;
    await this.store.updateRun(runId, { status: input.status, endTime: input.endTime, runName });
    return orThrow(await this.store.getRunInfo(runId), () => missing({ kind: 'run', runId }));
  }

  async delete(actor: Actor, runId: string): Promise<void> {
    const info = await this.info(runId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: info.experimentId, asMissing: () => missing({ kind: 'run', runId }) });
    await this.store.setRunLifecycle(runId, 'deleted', this.clock.now());
  }

  async restore(actor: Actor, runId: string): Promise<void> {
    const info = await this.info(runId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: info.experimentId, asMissing: () => missing({ kind: 'run', runId }) });
    await this.store.setRunLifecycle(runId, 'active', this.clock.now());
  }

  /** All of it or none of it; a `mlflow.runName` tag renames the run in the same transaction. */
  async logBatch(actor: Actor, runId: string, batch: Batch, idempotencyKey?: string): Promise<void> {
    const normalized = normalizeBatch(batch);
    await this.activeRun(actor, runId);
    const rename = normalized.tags.find((t) => t.key === TAG.runName)?.value;
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw invalid('Idempotency-Key must be 1 to 200 characters');
    }
    await this.store.logBatch(runId, normalized, rename === undefined ? undefined : validateRunName(rename), idempotencyKey);
    await this.tagsLogged(actor, runId, normalized.tags);
  }

  logMetric(actor: Actor, runId: string, metric: LoggedMetric): Promise<void> {
    return this.logBatch(actor, runId, { metrics: [metric], params: [], tags: [] });
  }

  logParam(actor: Actor, runId: string, param: KeyValue): Promise<void> {
    return this.logBatch(actor, runId, { metrics: [], params: [param], tags: [] });
  }

  setTag(actor: Actor, runId: string, tag: KeyValue): Promise<void> {
    return this.logBatch(actor, runId, { metrics: [], params: [], tags: [tag] });
  }

  async deleteTag(actor: Actor, runId: string, key: string): Promise<void> {
    await this.activeRun(actor, runId);
    if (!(await this.store.deleteTag(runId, key))) throw missing({ kind: 'run-tag', runId, key });
  }

  /** `modelIds`: MLflow 3 logged models the run takes as inputs. */
  async logInputs(actor: Actor, runId: string, inputs: readonly DatasetInput[], modelIds: readonly string[] = []): Promise<void> {
    const info = await this.activeRun(actor, runId);
    for (const input of inputs) input.tags.forEach(normalizeTag);
    await this.store.logInputs(runId, info.experimentId, inputs, modelIds);
  }

  async search(actor: Actor, input: SearchRunsInput): Promise<Page<Run> & { totalCount?: number }> {
    for (const id of input.experimentIds) await this.access.require(actor, 'READ', { kind: 'experiment', id });
    const { filter, orderBy } = parseRunSearch(input.filter, input.orderBy);
    const query = {
      experimentIds: input.experimentIds,
      filter,
      orderBy,
      viewType: input.viewType ?? 'ACTIVE_ONLY',
      maxResults: checkMaxResults(input.maxResults),
      offset: decodePageToken(input.pageToken),
    } as const;
    const page = await this.store.searchRuns(query);
    if (!input.includeCount) return page;
    // A page that is the whole answer already knows the count; otherwise the database counts.
    const totalCount = query.offset === 0 && page.nextOffset === undefined ? page.items.length : await this.store.countRuns(query);
    return { ...page, totalCount };
  }

  /** MLflow's `experiments/search-datasets` (its web UI's call), with MLflow's limits and sentences. */
  async datasetSummaries(actor: Actor, experimentIds: readonly string[]): Promise<DatasetSummary[]> {
    if (experimentIds.length === 0) throw invalid('SearchDatasets request must specify at least one experiment_id.');
    if (experimentIds.length > SEARCH_DATASETS_MAX_EXPERIMENTS) {
      throw invalid(`SearchDatasets request cannot specify more than ${SEARCH_DATASETS_MAX_EXPERIMENTS} experiment_ids. Received ${experimentIds.length} experiment_ids.`);
    }
    for (const id of experimentIds) await this.access.require(actor, 'READ', { kind: 'experiment', id });
    return this.store.datasetSummaries(experimentIds, SEARCH_DATASETS_MAX_RESULTS);
  }

  /** A page of a metric's history; the page token marks where the page ended, so every page costs the same. */
  async metricHistory(actor: Actor, input: HistoryInput): Promise<{ items: readonly Metric[]; nextPageToken?: string }> {
    const page = await this.store.getMetricHistory(input.runId, input.key, await this.historyPage(actor, input));
    return page.next ? { items: page.items, nextPageToken: encodeKeysetToken(page.next) } : { items: page.items };
  }

  /**
   * The same page as `metricHistory`, its points as JSON when the store writes them (see HistoryJsonPage), else as
   * points for the caller to write.
   */
  async metricHistoryJson(actor: Actor, input: HistoryInput): Promise<{ page: HistoryJsonPage | HistoryPage; nextPageToken?: string }> {
    const request = await this.historyPage(actor, input);
    const page = (await this.store.getMetricHistoryJson(input.runId, input.key, request)) ?? (await this.store.getMetricHistory(input.runId, input.key, request));
    return page.next ? { page, nextPageToken: encodeKeysetToken(page.next) } : { page };
  }

  /** A history request checked (key, page token, access, page size) and turned into the store's page. */
  private async historyPage(actor: Actor, input: HistoryInput): Promise<{ maxResults: number; after?: HistoryPosition }> {
    validateKey('metric', input.key);
    const after = decodeKeysetToken(input.pageToken, 4) as HistoryPosition | undefined;
    await this.access.require(actor, 'READ', { kind: 'experiment', id: (await this.info(input.runId)).experimentId, asMissing: () => missing({ kind: 'run', runId: input.runId }) });
    return { maxResults: checkMaxResults(input.maxResults, { fallback: 25_000, max: HISTORY_MAX_RESULTS }), ...(after ? { after } : {}) };
  }

  /**
   * MLflow's `get-history-bulk` (its web UI's call): each run's history of one metric, runs in id order, points in
   * history order, at most `maxResults` points in all. MLflow's own sentences for its limits.
   */
  async metricHistoryBulk(actor: Actor, input: { runIds: readonly string[]; key?: string; maxResults?: number }): Promise<MetricWithRun[]> {
    if (input.runIds.length === 0) throw invalid('GetMetricHistoryBulk request must specify at least one run_id.');
    if (input.runIds.length > BULK_MAX_RUNS) {
      throw invalid(`GetMetricHistoryBulk request cannot specify more than ${BULK_MAX_RUNS} run_ids. Received ${input.runIds.length} run_ids.`);
    }
    if (input.key === undefined) throw invalid('GetMetricHistoryBulk request must specify a metric_key.');
    const maxResults = Math.min(checkMaxResults(input.maxResults, { fallback: BULK_HISTORY_MAX, max: Number.MAX_SAFE_INTEGER }), BULK_HISTORY_MAX);
    const out: MetricWithRun[] = [];
    for (const runId of [...new Set(input.runIds)].sort()) {
      await this.access.require(actor, 'READ', { kind: 'experiment', id: (await this.info(runId)).experimentId, asMissing: () => missing({ kind: 'run', runId }) });
      const page = await this.store.getMetricHistory(runId, input.key, { maxResults: maxResults - out.length });
      for (const m of page.items) out.push({ ...m, runId });
      if (out.length >= maxResults) break;
    }
    return out;
  }

  /** MLflow's checks and sentences (get_metric_history_bulk_interval_handler), all before any run is looked up. */
  async metricHistoryBulkInterval(actor: Actor, input: BulkIntervalInput): Promise<MetricWithRun[]> {
    const maxSteps = await this.checkBulkInterval(actor, input);
    return this.store.getMetricHistoryBulkInterval(input.runIds, input.key, { startStep: input.startStep, endStep: input.endStep, maxSteps });
  }

  /**
   * Several metrics of the same runs sampled at once, each with MLflow's bulk-interval rule and bounds (the chart
   * workspace's panels): one store query per metric, the runs' access checked once.
   */
  async sampledHistories(actor: Actor, input: { runIds: readonly string[]; keys: readonly string[]; maxResults?: number }): Promise<{ key: string; points: MetricWithRun[] }[]> {
    if (input.keys.length === 0) throw invalid('keys must name at least one metric');
    if (input.keys.length > SAMPLED_MAX_KEYS) throw invalid(`keys must name at most ${SAMPLED_MAX_KEYS} metrics; got ${input.keys.length}`);
    const keys = [...new Set(input.keys)];
    for (const key of keys) if (key === '') throw invalid('keys must not hold an empty metric key');
    const maxSteps = await this.checkBulkInterval(actor, { runIds: input.runIds, key: keys[0]!, maxResults: input.maxResults });
    const out: { key: string; points: MetricWithRun[] }[] = [];
    for (const key of keys) {
      validateKey('metric', key);
      out.push({ key, points: await this.store.getMetricHistoryBulkInterval(input.runIds, key, { maxSteps }) });
    }
    return out;
  }

  private async checkBulkInterval(actor: Actor, input: BulkIntervalInput): Promise<number> {
    if (input.runIds.length === 0) throw invalid("Missing value for required parameter 'run_ids'.");
    if (input.runIds.length > BULK_MAX_RUNS) {
      throw invalid(`GetMetricHistoryBulkInterval request must specify at most ${BULK_MAX_RUNS} run_ids. Received ${input.runIds.length} run_ids.`);
    }
    if (input.key === '') throw invalid("Missing value for required parameter 'metric_key'.");
    validateKey('metric', input.key);
    if (input.maxResults !== undefined && !(input.maxResults >= 1 && input.maxResults <= BULK_MAX_POINTS)) {
      throw invalid(`max_results must be between 1 and ${BULK_MAX_POINTS}.`);
    }
    if (input.startStep !== undefined && input.endStep !== undefined && input.startStep > input.endStep) {
      throw invalid(`end_step must be greater than start_step. Found start_step=${input.startStep} and end_step=${input.endStep}.`);
    }
    if ((input.startStep === undefined) !== (input.endStep === undefined)) {
      throw invalid('If either start step or end step are specified, both must be specified.');
    }
    // One access check per experiment: the workspace asks about 100 runs of one experiment at a time.
    const checked = new Set<string>();
    for (const runId of input.runIds) {
      const { experimentId } = await this.info(runId);
      if (checked.has(experimentId)) continue;
      await this.access.require(actor, 'READ', { kind: 'experiment', id: experimentId, asMissing: () => missing({ kind: 'run', runId }) });
      checked.add(experimentId);
    }
    return checkMaxResults(input.maxResults, { fallback: BULK_DEFAULT_POINTS, max: BULK_MAX_POINTS });
  }

  private async info(runId: string): Promise<RunInfo> {
    return orThrow(await this.store.getRunInfo(runId), () => missing({ kind: 'run', runId }));
  }

  private async activeRun(actor: Actor, runId: string): Promise<RunInfo> {
    const info = await this.info(runId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: info.experimentId, asMissing: () => missing({ kind: 'run', runId }) });
    if (info.lifecycleStage !== 'active') throw invalidState(`The run ${runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`);
    return info;
  }
}
