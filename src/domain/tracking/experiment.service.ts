import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, missing, notFound, orThrow } from '../../core/errors.js';
import { checkMaxResults, decodePageToken } from '../../core/paging.js';
import { noteChange } from '../../core/audit-notes.js';
import type { Access } from '../access/access.js';
import { DEFAULT_PROJECT, PROJECT_TAG, validateProjectName } from '../projects/types.js';
import { parseExperimentSearch } from './search-rules.js';
import type { TrackingStore } from './tracking.store.js';
import type { Experiment, KeyValue, Page, SavedView, ViewType } from './types.js';
import { normalizeTag, validateExperimentName } from './validation.js';

export const DEFAULT_EXPERIMENT_ID = '0';
const MAX_VIEW_NAME = 200;
/** A view's query string holds column and panel lists; a URL of this length still works in every browser. */
const MAX_VIEW_QUERY = 8000;

export interface CreateExperimentInput {
  readonly name: string;
  readonly artifactLocation?: string;
  readonly tags?: readonly KeyValue[];
  /** The project it goes in; MLflow clients say so with the `openexpert.project` tag instead. Default: `default`. */
  readonly project?: string | undefined;
}

export interface SearchExperimentsInput {
  /** Only the experiments of this project. */
  readonly project?: string | undefined;
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  readonly viewType?: ViewType;
  readonly maxResults?: number;
  readonly pageToken?: string;
}

export class ExperimentService {
  constructor(
    private readonly store: TrackingStore,
    private readonly access: Access,
    private readonly clock: Clock,
    /** Where experiments keep artifacts unless the client names a place: `<root>/<experiment id>`. */
    private readonly artifactRoot: string = 'mlflow-artifacts:',
  ) {}

  async create(actor: Actor, input: CreateExperimentInput): Promise<string> {
    const tags = (input.tags ?? []).map(normalizeTag);
    const tagged = tags.find((t) => t.key === PROJECT_TAG)?.value;
    if (input.project !== undefined && tagged !== undefined && tagged !== input.project) throw invalid(`'project' (${input.project}) and the tag '${PROJECT_TAG}' (${tagged}) disagree`);
    const project = input.project ?? tagged;
    if (project !== undefined) validateProjectName(project, input.project !== undefined ? 'project' : `tags.${PROJECT_TAG}`);
    await this.access.require(actor, 'EDIT', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    validateExperimentName(input.name);
    const root = this.artifactRoot.replace(/\/+$/, '');
    // The project is kept as a tag too, so MLflow clients see it and can filter on it.
    if (project !== undefined && project !== DEFAULT_PROJECT && tagged === undefined) tags.push({ key: PROJECT_TAG, value: project });
    const id = await this.store.createExperiment({
      name: input.name,
      artifactLocation: input.artifactLocation || ((id: string) => `${root}/${id}`),
      tags,
      now: this.clock.now(),
    });
    await this.access.created(actor, { kind: 'experiment', id }, project);
    noteChange({ object: `experiment:${id}`, after: { name: input.name, ...(project !== undefined ? { project } : {}) } });
    return id;
  }

  async get(actor: Actor, experimentId: string): Promise<Experiment> {
    await this.access.require(actor, 'READ', { kind: 'experiment', id: experimentId });
    return this.find(experimentId);
  }

  async getByName(actor: Actor, name: string): Promise<Experiment> {
    const experiment = orThrow(await this.store.getExperimentByName(name), () => missing({ kind: 'experiment-name', name }));
    await this.access.require(actor, 'READ', { kind: 'experiment', id: experiment.experimentId, asMissing: () => missing({ kind: 'experiment-name', name }) });
    return experiment;
  }

  async search(actor: Actor, input: SearchExperimentsInput): Promise<Page<Experiment>> {
    const project = input.project === undefined ? undefined : validateProjectName(input.project);
    await this.access.require(actor, 'READ', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    const { filter, orderBy } = parseExperimentSearch(input.filter, input.orderBy);
    const page = await this.store.searchExperiments({
      filter,
      orderBy,
      viewType: input.viewType ?? 'ACTIVE_ONLY',
      maxResults: checkMaxResults(input.maxResults),
      offset: decodePageToken(input.pageToken),
    });
    // A page may come back shorter than asked (never longer); the token still leads on, as MLflow's auth plugin does.
    return { ...page, items: await this.access.readable(actor, 'experiment', page.items, (e) => e.experimentId, project) };
  }

  /** Saved views are for everyone who can read the experiment; saving or deleting one takes EDIT on it. */
  async listViews(actor: Actor, experimentId: string): Promise<SavedView[]> {
    await this.access.require(actor, 'READ', { kind: 'experiment', id: experimentId });
    await this.find(experimentId);
    return this.store.listViews(experimentId);
  }

  async saveView(actor: Actor, experimentId: string, input: { name: string; query: string }): Promise<SavedView> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: experimentId });
    const name = input.name.trim();
    if (!name || name.length > MAX_VIEW_NAME) throw invalid(`A view name needs 1 to ${MAX_VIEW_NAME} characters`);
    if (input.query.length > MAX_VIEW_QUERY) throw invalid(`A view's query is at most ${MAX_VIEW_QUERY} characters`);
    const experiment = await this.find(experimentId);
    if (experiment.lifecycleStage !== 'active') throw invalid(`Cannot save a view of a non-active experiment (id ${experimentId})`);
    const view = { name, query: input.query.replace(/^\?/, ''), createdBy: actor.userId, updatedAt: this.clock.now() };
    await this.store.saveView(experimentId, view);
    return view;
  }

  async deleteView(actor: Actor, experimentId: string, name: string): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: experimentId });
    await this.find(experimentId);
    if (!(await this.store.deleteView(experimentId, name))) throw notFound(`View '${name}' of experiment ${experimentId}`);
  }

  async rename(actor: Actor, experimentId: string, newName: string): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: experimentId });
    validateExperimentName(newName, 'new_name');
    const experiment = await this.find(experimentId);
    if (experiment.lifecycleStage !== 'active') throw invalid(`Cannot rename a non-active experiment (id ${experimentId})`);
    await this.store.renameExperiment(experimentId, newName, this.clock.now());
    noteChange({ object: `experiment:${experimentId}`, before: { name: experiment.name }, after: { name: newName } });
  }

  async delete(actor: Actor, experimentId: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'experiment', id: experimentId });
    if (experimentId === DEFAULT_EXPERIMENT_ID) throw invalid('Cannot delete the Default experiment (id 0)');
    await this.find(experimentId);
    await this.store.setExperimentLifecycle(experimentId, 'deleted', this.clock.now());
    noteChange({ object: `experiment:${experimentId}`, before: { lifecycleStage: 'active' }, after: { lifecycleStage: 'deleted' } });
  }

  async restore(actor: Actor, experimentId: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'experiment', id: experimentId });
    await this.find(experimentId);
    await this.store.setExperimentLifecycle(experimentId, 'active', this.clock.now());
  }

  async setTag(actor: Actor, experimentId: string, tag: KeyValue): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: experimentId });
    const experiment = await this.find(experimentId);
    const project = experiment.tags.find((t) => t.key === PROJECT_TAG)?.value ?? DEFAULT_PROJECT;
    if (tag.key === PROJECT_TAG && tag.value !== project) throw invalid(`The tag '${PROJECT_TAG}' names the project the experiment was created in ('${project}') and cannot be changed`);
    if (experiment.lifecycleStage !== 'active') throw invalid(`Cannot set a tag on a non-active experiment (id ${experimentId})`);
    await this.store.setExperimentTag(experimentId, normalizeTag(tag));
  }

  async deleteTag(actor: Actor, experimentId: string, key: string): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: experimentId });
    if (key === PROJECT_TAG) throw invalid(`The tag '${PROJECT_TAG}' names the experiment's project and cannot be deleted`);
    await this.find(experimentId);
    if (!(await this.store.deleteExperimentTag(experimentId, key))) {
      throw missing({ kind: 'experiment-tag', experimentId, key });
    }
  }

  private async find(experimentId: string): Promise<Experiment> {
    return orThrow(await this.store.getExperiment(experimentId), () => missing({ kind: 'experiment', experimentId }));
  }
}
