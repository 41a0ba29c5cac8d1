import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, missing, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { checkMaxResults, decodePageToken } from '../../core/paging.js';
import type { Access } from '../access/access.js';
import type { LoggedModel, LoggedModelStatus, LoggedModelStore } from './logged-model.js';
import { parseFilter } from './search-filter.js';
import type { TrackingStore } from './tracking.store.js';
import type { KeyValue, Page } from './types.js';
import { generateRunName, normalizeParam, normalizeTag } from './validation.js';

export interface CreateLoggedModelInput {
  readonly experimentId: string;
  readonly name?: string;
  readonly modelType?: string;
  readonly sourceRunId?: string;
  readonly tags?: readonly KeyValue[];
  readonly params?: readonly KeyValue[];
}

export interface SearchLoggedModelsInput {
  readonly experimentIds: readonly string[];
  readonly filter?: string;
  readonly orderBy?: readonly { field: string; ascending?: boolean }[];
  readonly datasets?: readonly { name: string; digest?: string }[];
  readonly maxResults?: number;
  readonly pageToken?: string;
}

const MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/** The tag as written by us or by a client; anything unreadable starts a fresh list rather than failing the registration. */
function parseModelVersionsTag(value: string): { name: string; version: unknown }[] {
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((v): v is { name: string; version: unknown } => typeof v?.name === 'string') : [];
  } catch {
    return [];
  }
}

const SEARCHABLE_ATTRIBUTES = new Set(['name', 'model_id', 'status', 'source_run_id', 'model_type', 'creation_timestamp', 'creation_time', 'last_updated_timestamp']);

export class LoggedModelService {
  constructor(
    private readonly store: LoggedModelStore,
    private readonly tracking: TrackingStore,
    private readonly access: Access,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: CreateLoggedModelInput): Promise<LoggedModel> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: input.experimentId });
    const experiment = orThrow(await this.tracking.getExperiment(input.experimentId), () => missing({ kind: 'experiment', experimentId: input.experimentId }));
    if (experiment.lifecycleStage !== 'active') throw invalid(`Experiment ${experiment.experimentId} is not active`);
    // MLflow records the source run as given (a run of another tracking server, say); a run of this server must be in the experiment.
    const sourceRun = input.sourceRunId ? await this.tracking.getRunInfo(input.sourceRunId) : undefined;
    if (sourceRun && sourceRun.experimentId !== experiment.experimentId) {
      throw invalid(`Run ${sourceRun.runId} belongs to experiment ${sourceRun.experimentId}, not ${experiment.experimentId}`);
    }
    const modelId = `m-${newHexId(16)}`;
    await this.store.create({
      modelId,
      experimentId: experiment.experimentId,
      name: input.name || generateRunName(),
      artifactLocation: `${experiment.artifactLocation.replace(/\/+$/, '')}/models/${modelId}/artifacts`,
      modelType: input.modelType,
      sourceRunId: input.sourceRunId,
      creatorId: actor.userId,
      now: this.clock.now(),
      tags: (input.tags ?? []).map(normalizeTag),
      params: (input.params ?? []).map(normalizeParam),
    });
    return this.find(modelId);
  }

  async get(actor: Actor, modelId: string): Promise<LoggedModel> {
    const model = await this.find(modelId);
    await this.access.require(actor, 'READ', { kind: 'experiment', id: model.experimentId, asMissing: () => missing({ kind: 'logged-model', modelId }) });
    return model;
  }

  async finalize(actor: Actor, modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    await this.editable(actor, modelId);
    if (status === 'LOGGED_MODEL_PENDING') throw invalid("A logged model can only be finalized as 'LOGGED_MODEL_READY' or 'LOGGED_MODEL_UPLOAD_FAILED'");
    await this.store.setStatus(modelId, status, this.clock.now());
    return this.find(modelId);
  }

  async delete(actor: Actor, modelId: string): Promise<void> {
    await this.editable(actor, modelId);
    await this.store.delete(modelId);
  }

  async setTags(actor: Actor, modelId: string, tags: readonly KeyValue[]): Promise<LoggedModel> {
    await this.editable(actor, modelId);
    await this.store.setTags(modelId, tags.map(normalizeTag), this.clock.now());
    return this.find(modelId);
  }

  async deleteTag(actor: Actor, modelId: string, key: string): Promise<void> {
    await this.editable(actor, modelId);
    if (!(await this.store.deleteTag(modelId, key))) throw missing({ kind: 'logged-model-tag', modelId, key });
  }

  async logParams(actor: Actor, modelId: string, params: readonly KeyValue[]): Promise<void> {
    await this.editable(actor, modelId);
    await this.store.logParams(modelId, params.map(normalizeParam));
  }

  async search(actor: Actor, input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
    for (const id of input.experimentIds) await this.access.require(actor, 'READ', { kind: 'experiment', id });
    const filter = parseFilter(input.filter);
    for (const c of filter) {
      if (c.entity === 'attribute' && !SEARCHABLE_ATTRIBUTES.has(c.key)) {
        throw invalid(`Invalid attribute '${c.key}' for logged model search; valid: ${[...SEARCHABLE_ATTRIBUTES].join(', ')}`);
      }
      if (c.entity === 'metric' || c.entity === 'dataset') throw invalid(`Logged model search does not support ${c.entity} filters yet ('${c.key}')`);
    }
    const orderBy = (input.orderBy ?? []).map((o) => {
      if (!SEARCHABLE_ATTRIBUTES.has(o.field)) throw invalid(`Invalid order_by field '${o.field}' for logged model search`);
      return { field: o.field, ascending: o.ascending ?? true };
    });
    return this.store.search({
      experimentIds: input.experimentIds,
      filter,
      orderBy,
      datasets: input.datasets ?? [],
      maxResults: checkMaxResults(input.maxResults, { fallback: 50, max: 50_000 }),
      offset: decodePageToken(input.pageToken),
    });
  }

  /**
   * A registered version made from the model is listed in the model's `mlflow.modelVersions` tag, in the JSON
   * MLflow writes there (Python's `json.dumps` spacing), so clients reading the tag find the same text.
   */
  async recordModelVersion(actor: Actor, modelId: string, name: string, version: number): Promise<void> {
    const model = await this.editable(actor, modelId);
    const current = model.tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value;
    const versions = current === undefined ? [] : parseModelVersionsTag(current);
    if (!versions.some((v) => v.name === name && v.version === version)) versions.push({ name, version });
    const value = `[${versions.map((v) => `{"name": ${JSON.stringify(v.name)}, "version": ${JSON.stringify(v.version)}}`).join(', ')}]`;
    await this.store.setTags(modelId, [{ key: MODEL_VERSIONS_TAG, value }], this.clock.now());
  }

  /** `runs/outputs`: the run produced these models. */
  async logRunOutputs(actor: Actor, runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    const run = orThrow(await this.tracking.getRunInfo(runId), () => missing({ kind: 'run', runId }));
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: run.experimentId, asMissing: () => missing({ kind: 'run', runId }) });
    for (const o of outputs) orThrow(await this.store.get(o.modelId), () => missing({ kind: 'logged-model', modelId: o.modelId }));
    await this.store.logRunOutputs(runId, outputs);
  }

  private async find(modelId: string): Promise<LoggedModel> {
    return orThrow(await this.store.get(modelId), () => missing({ kind: 'logged-model', modelId }));
  }

  private async editable(actor: Actor, modelId: string): Promise<LoggedModel> {
    const model = await this.find(modelId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: model.experimentId, asMissing: () => missing({ kind: 'logged-model', modelId }) });
    return model;
  }
}
