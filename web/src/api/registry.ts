import { get, post, type Query } from './client';
import { projectQuery } from '../lib/current-project';
import type { KeyValue, Page } from './tracking';

/** Shapes of the registry's native API (src/api/v1/registry.routes.ts); targets are `Production` or `@alias`. */
export type Stage = 'None' | 'Staging' | 'Production' | 'Archived';

export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly currentStage: Stage;
  readonly description?: string;
  readonly userId?: string;
  readonly source: string;
  readonly storageLocation: string;
  readonly runId?: string;
  readonly modelId?: string;
  readonly status: string;
  readonly tags: readonly KeyValue[];
  readonly aliases: readonly string[];
  readonly metadata?: {
    readonly flavors?: Record<string, unknown>;
    readonly signature?: { readonly inputs?: string; readonly outputs?: string; readonly params?: string };
  };
}

export interface RegisteredModel {
  readonly name: string;
  readonly creationTime: number;
  readonly lastUpdatedTime: number;
  readonly description?: string;
  readonly tags: readonly KeyValue[];
  readonly aliases: readonly { alias: string; version: number }[];
  readonly latestVersions: readonly ModelVersion[];
}

export interface CheckResult {
  readonly type: string;
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface PromotionRequest {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly target: string;
  readonly archiveExisting: boolean;
  readonly requester: string;
  readonly reason?: string;
  readonly state: 'pending' | 'completed' | 'rejected' | 'withdrawn';
  readonly checks: readonly CheckResult[];
  readonly approvals: readonly { userId: string; time: number; comment?: string }[];
  readonly createdTime: number;
  readonly updatedTime: number;
  readonly resolvedBy?: string;
  readonly resolution?: string;
}

export interface TransitionRecord {
  readonly id: number;
  readonly name: string;
  readonly version: number;
  readonly kind: 'transition' | 'alias' | 'rollback';
  readonly target: string;
  readonly fromStage?: Stage;
  readonly toStage?: Stage;
  readonly previousVersion?: number;
  readonly actor: string;
  readonly time: number;
  readonly reason?: string;
  readonly checks: readonly CheckResult[];
  readonly requestId?: number;
}

const enc = encodeURIComponent;
const model = (name: string) => `/api/v1/models/${enc(name)}`;

export const registryApi = {
  listModels: (q: { filter?: string; pageToken?: string; maxResults?: number } = {}, signal?: AbortSignal) =>
    get<Page<RegisteredModel>>('/api/v1/models', { ...q, orderBy: 'name ASC', ...projectQuery() }, signal),
  getModel: (name: string, signal?: AbortSignal) => get<RegisteredModel>(model(name), undefined, signal),
  versions: (name: string, signal?: AbortSignal) => get<Page<ModelVersion>>(`${model(name)}/versions`, { maxResults: 1000 }, signal),
  getVersion: (name: string, version: number | string, signal?: AbortSignal) => get<ModelVersion>(`${model(name)}/versions/${enc(String(version))}`, undefined, signal),
  checks: (name: string, version: number, target: string, signal?: AbortSignal) =>
    get<{ passed: boolean; checks: CheckResult[] }>(`${model(name)}/versions/${version}/checks`, { target }, signal),
  history: (name: string, version?: number, signal?: AbortSignal) =>
    get<{ items: TransitionRecord[] }>(`${model(name)}/history`, { version }, signal),
  rollback: (name: string, body: { toVersion?: number; reason?: string }) =>
    post<{ version: ModelVersion; from: number; records: TransitionRecord[] }>(`${model(name)}/rollback`, body),
  requests: (q: { name?: string; version?: number; state?: PromotionRequest['state'] } = {}, signal?: AbortSignal) =>
    get<{ items: PromotionRequest[] }>('/api/v1/promotion-requests', q as Query, signal),
  requestPromotion: (body: { name: string; version: number; target: string; reason?: string }) => post<PromotionRequest>('/api/v1/promotion-requests', body),
  approve: (id: number, comment?: string) => post<PromotionRequest>(`/api/v1/promotion-requests/${id}/approve`, comment ? { comment } : {}),
  reject: (id: number, reason?: string) => post<PromotionRequest>(`/api/v1/promotion-requests/${id}/reject`, reason ? { reason } : {}),
  withdraw: (id: number, reason?: string) => post<PromotionRequest>(`/api/v1/promotion-requests/${id}/withdraw`, reason ? { reason } : {}),
};
