import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, isDomainError, missing, notFound, orThrow } from '../../core/errors.js';
import { checkMaxResults, decodePageToken } from '../../core/paging.js';
import { noteChange } from '../../core/audit-notes.js';
import { validateProjectName } from '../projects/types.js';
import type { Access } from '../access/access.js';
import type { LoggedModel } from '../tracking/logged-model.js';
import type { KeyValue, Page } from '../tracking/types.js';
import { parseMlModel } from './mlmodel.js';
import type { PromotionService, RunReader } from './promotion.service.js';
import type { RegistryStore } from './registry.store.js';
import { modelSearchQuery, versionSearchQuery, type SearchInput } from './search.js';
import { STAGES, type ModelMetadata, type ModelVersion, type RegisteredModel, type Stage } from './types.js';
import {
  canonicalStage, parseVersion, uniqueTags, validateAlias, validateDescription, validateModelName, validateSource, validateTag,
} from './validation.js';

/** The parts of the tracking and artifact services the registry uses; injected by main.ts. */
export interface LoggedModelReader {
  get(actor: Actor, modelId: string): Promise<LoggedModel>;
  /** Notes on the logged model that a registered version was made from it (MLflow's `mlflow.modelVersions` tag). */
  recordModelVersion(actor: Actor, modelId: string, name: string, version: number): Promise<void>;
}
export interface ArtifactTextReader {
  readText(actor: Actor, artifactUri: string, relativePath: string): Promise<string | undefined>;
}

export interface CreateModelVersionInput {
  readonly name: string;
  readonly source: string;
  readonly runId?: string;
  readonly runLink?: string;
  readonly modelId?: string;
  readonly description?: string;
  readonly tags?: readonly KeyValue[];
}

type ModelsUri = { modelId: string } | { name: string; version?: number; stage?: Stage; alias?: string };

/** A path on the server's own disk, as MLflow's `is_local_uri` sees it: no scheme, or `file:`. */
const isLocalSource = (source: string) => !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(source) || /^file:/i.test(source);

/** `models:/m-…` (a logged model), `models:/name/3`, `models:/name/Production`, `models:/name/latest`, `models:/name@alias`, as MLflow parses them. */
function parseModelsUri(uri: string): ModelsUri | undefined {
  if (!uri.startsWith('models:/')) return undefined;
  const parts = uri.slice('models:/'.length).replace(/^\/+/, '').split('/');
  const bad = () => invalid(`Not a valid models:/ URI: '${uri}'`);
  if (parts.length > 2 || !parts[0]) throw bad();
  if (parts.length === 2) {
    const [name, suffix] = parts as [string, string];
    if (!suffix) throw bad();
    if (/^\d+$/.test(suffix)) return { name, version: Number(suffix) };
    if (suffix.toLowerCase() === 'latest') return { name };
    return { name, stage: canonicalStage(suffix) };
  }
  const at = parts[0].lastIndexOf('@');
  if (at > 0) return { name: parts[0].slice(0, at), alias: parts[0].slice(at + 1) };
  return { modelId: parts[0] };
}

/**
 * The MLflow model registry's rules. Stage transitions and alias moves are not made here: they go through
 * the promotion service, which enforces the model's promotion policy.
 */
export class RegistryService {
  constructor(
    private readonly store: RegistryStore,
    private readonly promotion: PromotionService,
    private readonly loggedModels: LoggedModelReader,
    private readonly artifacts: ArtifactTextReader,
    private readonly runs: RunReader,
    private readonly access: Access,
    private readonly clock: Clock,
  ) {}

  async createRegisteredModel(actor: Actor, input: { name: string; description?: string; tags?: readonly KeyValue[]; project?: string | undefined }): Promise<RegisteredModel> {
    const name = validateModelName(input.name);
    const project = input.project === undefined ? undefined : validateProjectName(input.project);
    // Creating needs the workspace's (the project's) EDIT; the new model's grants start with its creator as manager.
    await this.access.require(actor, 'EDIT', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    const description = validateDescription(input.description);
    await this.store.createRegisteredModel({ name, tags: uniqueTags(input.tags ?? []), now: this.clock.now(), ...(description !== undefined ? { description } : {}) });
    await this.access.created(actor, { kind: 'registered_model', id: name }, project);
    noteChange({ object: `registered_model:${name}`, after: { name } });
    return this.model(name);
  }

  async getRegisteredModel(actor: Actor, name: string): Promise<RegisteredModel> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: validateModelName(name) });
    return this.model(name);
  }

  async renameRegisteredModel(actor: Actor, name: string, newName: string): Promise<RegisteredModel> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    await this.store.renameRegisteredModel(name, validateModelName(newName, 'new_name'), this.clock.now());
    await this.access.renamed({ kind: 'registered_model', id: name }, newName);
    noteChange({ object: `registered_model:${name}`, before: { name }, after: { name: newName } });
    return this.model(newName);
  }

  async updateRegisteredModel(actor: Actor, name: string, description: string | undefined): Promise<RegisteredModel> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    if (!(await this.store.updateRegisteredModel(name, validateDescription(description), this.clock.now()))) throw this.missingModel(name);
    return this.model(name);
  }

  async deleteRegisteredModel(actor: Actor, name: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'registered_model', id: validateModelName(name) });
    if (!(await this.store.deleteRegisteredModel(name))) throw this.missingModel(name);
    noteChange({ object: `registered_model:${name}`, after: null });
  }

  async searchRegisteredModels(actor: Actor, input: SearchInput & { readonly project?: string | undefined }): Promise<Page<RegisteredModel>> {
    const project = input.project === undefined ? undefined : validateProjectName(input.project);
    await this.access.require(actor, 'READ', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    const page = await this.store.searchRegisteredModels({
      ...modelSearchQuery(input),
      maxResults: checkMaxResults(input.maxResults, { fallback: 100, max: 1000 }),
      offset: decodePageToken(input.pageToken),
    });
    return { ...page, items: await this.access.readable(actor, 'registered_model', page.items, (m) => m.name, project) };
  }

  async setRegisteredModelTag(actor: Actor, name: string, tag: KeyValue): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    if (!(await this.store.setRegisteredModelTag(name, validateTag(tag)))) throw this.missingModel(name);
  }

  /** Deleting a tag that is not there is fine, as in MLflow; an unknown model is not. */
  async deleteRegisteredModelTag(actor: Actor, name: string, key: string): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    if (!(await this.store.deleteRegisteredModelTag(name, key))) throw this.missingModel(name);
  }

  /** The newest version in each requested stage (every stage when none is named). */
  async getLatestVersions(actor: Actor, name: string, stages: readonly string[] = []): Promise<ModelVersion[]> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: validateModelName(name) });
    const wanted = stages.length > 0 ? [...new Set(stages.map(canonicalStage))] : [...STAGES];
    await this.model(name);
    return this.store.latestVersions(name, wanted);
  }

  async createModelVersion(actor: Actor, input: CreateModelVersionInput): Promise<ModelVersion> {
    const name = validateModelName(input.name);
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: name });
    const source = validateSource(input.source);
    const tags = uniqueTags(input.tags ?? []);
    const description = validateDescription(input.description || undefined);
    await this.model(name);
    const ref = parseModelsUri(source);
    let modelId = input.modelId || undefined;
    if (ref && 'modelId' in ref) {
      if (modelId && modelId !== ref.modelId) throw invalid(`model_id '${modelId}' does not match the source '${source}'`);
      modelId = ref.modelId;
    }
    const logged = modelId ? await this.loggedModels.get(actor, modelId) : undefined;
    // A logged model's files are under the artifact proxy, never on this server's disk: a local path cannot be them.
    if (logged && isLocalSource(source)) {
      throw invalid(
        `Invalid model version source: '${source}'. To use a local path as a model version source, the model_id request parameter ` +
          'has to be specified and the local path has to be contained within the artifact directory of the run specified by the model_id.',
      );
    }
    const runId = input.runId || logged?.sourceRunId;
    let storageLocation = source;
    if (ref && 'modelId' in ref) storageLocation = logged!.artifactLocation;
    else if (ref) storageLocation = (await this.resolveRegistryUri(actor, ref, source)).storageLocation;
    const metadata = await this.readMetadata(actor, source, storageLocation);
    const version = await this.store.createModelVersion({
      name, source, storageLocation, userId: actor.userId, tags, now: this.clock.now(),
      ...(runId ? { runId } : {}), ...(input.runLink ? { runLink: input.runLink } : {}), ...(modelId ? { modelId } : {}),
      ...(description !== undefined ? { description } : {}), ...(metadata ? { metadata } : {}),
    });
    if (modelId) await this.loggedModels.recordModelVersion(actor, modelId, name, version);
    return this.version(name, version);
  }

  async getModelVersion(actor: Actor, name: string, version: string | number): Promise<ModelVersion> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: validateModelName(name) });
    return this.version(name, parseVersion(version));
  }

  async updateModelVersion(actor: Actor, name: string, version: string | number, description: string | undefined): Promise<ModelVersion> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    const v = parseVersion(version);
    if (!(await this.store.updateModelVersion(name, v, validateDescription(description), this.clock.now()))) throw this.missingVersion(name, v);
    return this.version(name, v);
  }

  async deleteModelVersion(actor: Actor, name: string, version: string | number): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    const v = parseVersion(version);
    if (!(await this.store.deleteModelVersion(name, v, this.clock.now()))) throw this.missingVersion(name, v);
  }

  async searchModelVersions(actor: Actor, input: SearchInput): Promise<Page<ModelVersion>> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    const page = await this.store.searchModelVersions({
      ...versionSearchQuery(input),
      maxResults: checkMaxResults(input.maxResults, { fallback: 200_000, max: 200_000 }),
      offset: decodePageToken(input.pageToken),
    });
    return { ...page, items: await this.access.readable(actor, 'registered_model', page.items, (v) => v.name) };
  }

  /**
   * MLflow's transition-stage, gated by the promotion policy. `archiveExisting` moves the other versions
   * in the stage to Archived and, as in MLflow, is only valid for Staging and Production.
   */
  async transitionStage(
    actor: Actor, input: { name: string; version: string | number; stage: string; archiveExisting: boolean; reason?: string },
  ): Promise<ModelVersion> {
    const name = validateModelName(input.name);
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: name });
    const stage = canonicalStage(input.stage);
    if (input.archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalid(`Model version transition cannot archive existing model versions because '${input.stage}' is not an Active stage. Valid stages are Staging, Production`);
    }
    const version = parseVersion(input.version);
    await this.version(name, version);
    await this.promotion.move(actor, {
      name, version, target: { kind: 'stage', stage }, archiveExisting: input.archiveExisting,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
    });
    return this.version(name, version);
  }

  /** Where clients download the files: a `runs:/` source unchanged, a logged model's artifact location for `models:/m-…`. */
  async getDownloadUri(actor: Actor, name: string, version: string | number): Promise<string> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: validateModelName(name) });
    return (await this.version(name, parseVersion(version))).storageLocation;
  }

  async setModelVersionTag(actor: Actor, name: string, version: string | number, tag: KeyValue): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    const v = parseVersion(version);
    if (!(await this.store.setModelVersionTag(name, v, validateTag(tag)))) throw this.missingVersion(name, v);
  }

  async deleteModelVersionTag(actor: Actor, name: string, version: string | number, key: string): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    const v = parseVersion(version);
    if (!(await this.store.deleteModelVersionTag(name, v, key))) throw this.missingVersion(name, v);
  }

  /** Points an alias at a version, gated by the promotion policy for that alias. */
  async setAlias(actor: Actor, input: { name: string; alias: string; version: string | number; reason?: string }): Promise<void> {
    const name = validateModelName(input.name);
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: name });
    const alias = validateAlias(input.alias, { forWrite: true });
    const version = parseVersion(input.version);
    await this.version(name, version);
    await this.promotion.move(actor, {
      name, version, target: { kind: 'alias', alias }, archiveExisting: false, ...(input.reason !== undefined ? { reason: input.reason } : {}),
    });
  }

  async deleteAlias(actor: Actor, name: string, alias: string): Promise<void> {
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: validateModelName(name) });
    if (!(await this.store.deleteAlias(name, validateAlias(alias, { forWrite: false })))) throw this.missingModel(name);
    noteChange({ object: `registered_model:${name}`, before: { alias }, after: { alias: null } });
  }

  /** `latest` is the newest version, as in MLflow; an alias that is not set is a 400, as MLflow answers it. */
  async getVersionByAlias(actor: Actor, name: string, alias: string): Promise<ModelVersion> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: validateModelName(name) });
    validateAlias(alias, { forWrite: false });
    const model = await this.model(name);
    if (alias.toLowerCase() === 'latest') {
      const newest = Math.max(0, ...model.latestVersions.map((v) => v.version));
      if (newest === 0) throw notFound(`Latest version for model ${name}`);
      return this.version(name, newest);
    }
    const version = await this.store.getAliasVersion(name, alias);
    if (version === undefined) throw invalid(`Registered model alias ${alias} not found.`);
    return this.version(name, version);
  }

  private async resolveRegistryUri(actor: Actor, ref: Exclude<ModelsUri, { modelId: string }>, source: string): Promise<ModelVersion> {
    if (ref.version !== undefined) return this.getModelVersion(actor, ref.name, ref.version);
    if (ref.alias !== undefined) return this.getVersionByAlias(actor, ref.name, ref.alias);
    const latest = await this.getLatestVersions(actor, ref.name, ref.stage ? [ref.stage] : []);
    const newest = latest.sort((a, b) => b.version - a.version)[0];
    if (!newest) throw notFound(`A model version for '${source}'`);
    return newest;
  }

  /**
   * The MLmodel file's flavors and signature, from the logged model's files or the run's artifacts. A
   * source the server cannot read (an outside URI, a file not uploaded) registers without them.
   */
  private async readMetadata(actor: Actor, source: string, storageLocation: string): Promise<ModelMetadata | undefined> {
    try {
      const location = await this.proxiedLocation(actor, source, storageLocation);
      if (location === undefined) return undefined;
      const text = await this.artifacts.readText(actor, location, 'MLmodel');
      return text === undefined ? undefined : parseMlModel(text);
    } catch (err) {
      if (isDomainError(err) && !err.concealed && (err.code === 'INVALID_PARAMETER_VALUE' || err.code === 'RESOURCE_DOES_NOT_EXIST')) return undefined;
      throw err;
    }
  }

  /**
   * The `mlflow-artifacts:` URI of a version's files in this server's artifact store: its storage location, or
   * the run's artifacts for a `runs:/` source. Undefined for a source outside the store (an s3:// or other URI
   * the client reads itself).
   */
  private async proxiedLocation(actor: Actor, source: string, storageLocation: string): Promise<string | undefined> {
    if (storageLocation.startsWith('mlflow-artifacts:')) return storageLocation;
    const run = /^runs:\/([^/]+)\/?(.*)$/.exec(source);
    if (!run) return undefined;
    const root = (await this.runs.get(actor, run[1]!)).info.artifactUri;
    if (!root.startsWith('mlflow-artifacts:')) return undefined;
    const sub = run[2]!.replace(/\/+$/, '');
    return sub === '' ? root : `${root.replace(/\/+$/, '')}/${sub}`;
  }

  /**
   * Where a version's files are in the artifact store, for downloading them through the server (MLflow's
   * `/model-versions/get-artifact`). A source outside the store is refused: its files never passed through here.
   */
  async artifactLocation(actor: Actor, name: string, version: string | number): Promise<string> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: validateModelName(name) });
    const v = await this.version(name, parseVersion(version));
    const location = await this.proxiedLocation(actor, v.source, v.storageLocation);
    if (location === undefined) throw invalid(`The files of model version ${v.version} of '${name}' are not in this server's artifact store: download them from '${v.source}'`);
    return location;
  }

  private missingModel(name: string) {
    return missing({ kind: 'registered-model', name });
  }

  private missingVersion(name: string, version: number) {
    return missing({ kind: 'model-version', name, version });
  }

  private async model(name: string): Promise<RegisteredModel> {
    return orThrow(await this.store.getRegisteredModel(name), () => this.missingModel(name));
  }

  private async version(name: string, version: number): Promise<ModelVersion> {
    return orThrow(await this.store.getModelVersion(name, version), () => this.missingVersion(name, version));
  }
}
