import type { KeyValue } from '../tracking/types.js';

/** Model registry domain: registered models, their numbered versions, stages, aliases and promotion gates. */
export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];

/** A version moves to a stage or takes an alias; both are targets a promotion policy can gate. */
export type Target = { readonly kind: 'stage'; readonly stage: Stage } | { readonly kind: 'alias'; readonly alias: string };

/** What the server read from a version's MLmodel file; MLflow keeps the signature's parts as JSON strings. */
export interface ModelMetadata {
  readonly flavors?: Readonly<Record<string, unknown>>;
  readonly signature?: { readonly inputs?: string; readonly outputs?: string; readonly params?: string };
  readonly modelUuid?: string;
  readonly runId?: string;
  readonly savedInputExampleInfo?: Readonly<Record<string, unknown>>;
}

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly currentStage: Stage;
  readonly description?: string;
  readonly userId?: string;
  /** As the client gave it: `runs:/<run>/<path>`, `models:/m-…`, or a plain artifact URI. */
  readonly source: string;
  /** Where the files are: the source resolved (a logged model's artifact location for `models:/m-…`). */
  readonly storageLocation: string;
  readonly runId?: string;
  readonly runLink?: string;
  readonly modelId?: string;
  readonly status: 'READY';
  readonly tags: readonly KeyValue[];
  readonly aliases: readonly string[];
  readonly metadata?: ModelMetadata;
}

export interface RegisteredModelAlias {
  readonly alias: string;
  readonly version: number;
}

export interface RegisteredModel {
  readonly name: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly description?: string;
  readonly tags: readonly KeyValue[];
  readonly aliases: readonly RegisteredModelAlias[];
  /** The newest version in each stage that has one. */
  readonly latestVersions: readonly ModelVersion[];
}

/** One evaluated gate: what was checked, whether it held, why, and the values it looked at. */
export interface CheckResult {
  readonly type: string;
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

export type TransitionKind = 'transition' | 'alias' | 'rollback';

/** One entry of a version's history: a stage change or an alias move, with who, when, why and the checks then. */
export interface TransitionRecord {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly kind: TransitionKind;
  readonly target: Target;
  /** Stage moves: this version's stage before and after. */
  readonly fromStage?: Stage;
  readonly toStage?: Stage;
  /** Alias moves: the version the alias pointed to before, absent when the alias is new. */
  readonly previousVersion?: number;
  readonly actor: string;
  readonly time: number;
  readonly reason?: string;
  readonly checks: readonly CheckResult[];
  readonly requestId?: number;
}

export const REQUEST_STATES = ['pending', 'completed', 'rejected', 'withdrawn'] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export interface Approval {
  readonly userId: string;
  readonly time: number;
  readonly comment?: string;
}

export interface PromotionRequest {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly target: Target;
  readonly archiveExisting: boolean;
  readonly requester: string;
  readonly reason?: string;
  readonly state: RequestState;
  /** The checks as last evaluated: at creation, then at each approval. */
  readonly checks: readonly CheckResult[];
  readonly approvals: readonly Approval[];
  readonly createdTime: number;
  readonly updatedTime: number;
  /** Who rejected, withdrew or (with the last approval or a direct transition) completed it. */
  readonly resolvedBy?: string;
  readonly resolution?: string;
}
