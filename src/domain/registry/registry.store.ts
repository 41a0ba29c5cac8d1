import type { Comparison, OrderClause } from '../tracking/search-filter.js';
import type { KeyValue, Page } from '../tracking/types.js';
import type { PromotionPolicy } from './policy.js';
import type {
  Approval, CheckResult, ModelMetadata, ModelVersion, PromotionRequest, RegisteredModel, RequestState, Stage, Target, TransitionKind,
  TransitionRecord,
} from './types.js';

export interface NewRegisteredModel {
  readonly name: string;
  readonly description?: string;
  readonly tags: readonly KeyValue[];
  readonly now: number;
}

export interface NewModelVersion {
  readonly name: string;
  readonly source: string;
  readonly storageLocation: string;
  readonly runId?: string;
  readonly runLink?: string;
  readonly modelId?: string;
  readonly description?: string;
  readonly userId: string;
  readonly tags: readonly KeyValue[];
  readonly metadata?: ModelMetadata;
  readonly now: number;
}

export interface RegistryQuery {
  /** Attribute and tag comparisons, already checked against what the search allows. */
  readonly filter: readonly Comparison[];
  /** MLflow 3 keeps prompts in the registry, marked by a tag; model searches leave them out. */
  readonly excludePrompts: boolean;
  readonly orderBy: readonly OrderClause[];
  readonly maxResults: number;
  readonly offset: number;
}

/** Registered models, versions, tags and aliases. Stage changes and alias moves go through PromotionStore.applyMoves. */
export interface RegistryStore {
  /** RESOURCE_ALREADY_EXISTS when the name is taken. */
  createRegisteredModel(m: NewRegisteredModel): Promise<void>;
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined>;
  /** RESOURCE_DOES_NOT_EXIST for an unknown name, RESOURCE_ALREADY_EXISTS when the new name is taken. */
  renameRegisteredModel(name: string, newName: string, now: number): Promise<void>;
  updateRegisteredModel(name: string, description: string | undefined, now: number): Promise<boolean>;
  /** Deletes its versions, tags, aliases, policy, requests and history with it. */
  deleteRegisteredModel(name: string): Promise<boolean>;
  searchRegisteredModels(q: RegistryQuery): Promise<Page<RegisteredModel>>;
  setRegisteredModelTag(name: string, tag: KeyValue): Promise<boolean>;
  deleteRegisteredModelTag(name: string, key: string): Promise<boolean>;

  /** Numbers the version one past the model's highest ever (deleted numbers are never reused); RESOURCE_DOES_NOT_EXIST for an unknown model. */
  createModelVersion(v: NewModelVersion): Promise<number>;
  getModelVersion(name: string, version: number): Promise<ModelVersion | undefined>;
  updateModelVersion(name: string, version: number, description: string | undefined, now: number): Promise<boolean>;
  /** Removes the version with its tags, aliases and open requests; its history stays. */
  deleteModelVersion(name: string, version: number, now: number): Promise<boolean>;
  searchModelVersions(q: RegistryQuery): Promise<Page<ModelVersion>>;
  setModelVersionTag(name: string, version: number, tag: KeyValue): Promise<boolean>;
  deleteModelVersionTag(name: string, version: number, key: string): Promise<boolean>;
  /** The newest version in each of the given stages that has one. */
  latestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]>;
  getAliasVersion(name: string, alias: string): Promise<number | undefined>;
  deleteAlias(name: string, alias: string): Promise<boolean>;
}

/** One stage change or alias move, with the record that goes into the history. */
export interface Move {
  readonly name: string;
  readonly version: number;
  readonly target: Target;
  /** Stage moves: other versions in the target stage go to Archived in the same transaction. */
  readonly archiveExisting: boolean;
  readonly kind: TransitionKind;
  readonly actor: string;
  readonly reason?: string;
  readonly checks: readonly CheckResult[];
  readonly now: number;
}

export interface NewPromotionRequest {
  readonly name: string;
  readonly version: number;
  readonly target: Target;
  readonly archiveExisting: boolean;
  readonly requester: string;
  readonly reason?: string;
  readonly checks: readonly CheckResult[];
  readonly now: number;
}

export interface RequestQuery {
  readonly name?: string;
  readonly version?: number;
  readonly state?: RequestState;
}

export interface RequestCompletion {
  readonly requestId: number;
  readonly resolvedBy: string;
  readonly checks: readonly CheckResult[];
  readonly now: number;
}

/** Policies, promotion requests and the transition history. */
export interface PromotionStore {
  getPolicy(name: string): Promise<PromotionPolicy | undefined>;
  /** RESOURCE_DOES_NOT_EXIST for an unknown model. */
  setPolicy(name: string, policy: PromotionPolicy, actor: string, now: number): Promise<void>;
  deletePolicy(name: string): Promise<boolean>;

  /**
   * All the moves and their history entries in one transaction; RESOURCE_DOES_NOT_EXIST (nothing changed)
   * when a version is gone. With `completes`, the request is marked completed in the same transaction,
   * and when it is no longer pending nothing happens at all and the result is false: of two concurrent
   * last approvals, exactly one moves the version.
   */
  applyMoves(moves: readonly Move[], completes?: RequestCompletion): Promise<boolean>;
  history(name: string, version?: number): Promise<TransitionRecord[]>;

  /** RESOURCE_ALREADY_EXISTS when a request for the same version and target is pending. */
  createRequest(r: NewPromotionRequest): Promise<number>;
  getRequest(id: number): Promise<PromotionRequest | undefined>;
  listRequests(q: RequestQuery): Promise<PromotionRequest[]>;
  pendingRequest(name: string, version: number, target: Target): Promise<PromotionRequest | undefined>;
  /** INVALID_STATE when the request is not pending or this user already approved; nothing written then. */
  addApproval(requestId: number, approval: Approval): Promise<void>;
  updateRequestChecks(requestId: number, checks: readonly CheckResult[], now: number): Promise<void>;
  /** Rejects or withdraws a pending request; false when it was not pending. */
  resolveRequest(requestId: number, state: 'rejected' | 'withdrawn', by: string, resolution: string | undefined, now: number): Promise<boolean>;
}
