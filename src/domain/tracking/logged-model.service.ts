import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, notFound, orThrow } from '../../core/errors.js';
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
  readonly maxResults?: number;
  readonly pageToken?: string;
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
    const experiment = orThrow(await this.tracking.getExperiment(input.experimentId), () => notFound(`Experiment with id '${input.experimentId}'`));
    if (experiment.lifecycleStage !== 'active') throw invalid(`Experiment ${experiment.experimentId} is not active`);
    if (input.sourceRunId) {
      const run = orThrow(await this.tracking.getRunInfo(input.sourceRunId), () => notFound(`Run with id=${input.sourceRunId}`));
      if (run.experimentId !== experiment.experimentId) {
        throw invalid(`Run ${run.runId} belongs to experiment ${run.experimentId}, not ${experiment.experimentId}`);
      }
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
    await this.access.require(actor, 'READ', { kind: 'experiment', id: model.experimentId });
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
    if (!(await this.store.deleteTag(modelId, key))) throw notFound(`Tag '${key}' on logged model ${modelId}`);
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
      maxResults: checkMaxResults(input.maxResults, { fallback: 50, max: 50_000 }),
      offset: decodePageToken(input.pageToken),
    });
  }

  /** `runs/outputs`: the run produced these models. */
  async logRunOutputs(actor: Actor, runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    const run = orThrow(await this.tracking.getRunInfo(runId), () => notFound(`Run with id=${runId}`));
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: run.experimentId });
    for (const o of outputs) orThrow(await this.store.get(o.modelId), () => notFound(`Logged model '${o.modelId}'`));
    await this.store.logRunOutputs(runId, outputs);
  }

  private async find(modelId: string): Promise<LoggedModel> {
    return orThrow(await this.store.get(modelId), () => notFound(`Logged model with ID '${modelId}'`));
  }

  private async editable(actor: Actor, modelId: string): Promise<LoggedModel> {
    const model = await this.find(modelId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: model.experimentId });
    return model;
  }
}
