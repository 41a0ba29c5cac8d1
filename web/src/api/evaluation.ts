import type { EvaluationResult } from '../../../src/domain/evaluation/types';
import { get } from './client';

/** Shapes of the evaluation native API (src/api/v1/evaluation.routes.ts). */
export type Estimate = { readonly value: number; readonly reason?: undefined; readonly ci?: { readonly lower: number; readonly upper: number; readonly resamples: number } }
  | { readonly value: null; readonly reason: string; readonly ci?: undefined };

export type Metrics = Readonly<Record<string, Estimate>>;

export interface EvaluationDataset {
  readonly name: string;
  readonly digest: string;
  readonly source: string;
  readonly rows: number;
}

export interface EvaluationSummary {
  readonly id: string;
  readonly name: string;
  readonly task: string;
  readonly runId?: string;
  readonly model?: { readonly name: string; readonly version: number };
  readonly dataset: EvaluationDataset;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface FairnessCheck {
  readonly metric: string;
  readonly convention: string;
  readonly value: number | null;
  readonly min?: number;
  readonly max?: number;
  readonly passed: boolean | null;
  readonly detail: string;
}

export interface AttributeFairness {
  readonly attribute: string;
  readonly groups: readonly { readonly group: string; readonly count: number; readonly privileged?: boolean; readonly metrics: Metrics }[];
  readonly fairlearn: Metrics;
  readonly aif360?: Metrics;
  readonly checks: readonly FairnessCheck[];
  readonly notes: readonly string[];
}

export interface Evaluation extends Omit<EvaluationSummary, 'metrics'> {
  readonly result: {
    readonly task: string;
    readonly rows: number;
    readonly metrics: Metrics;
    readonly fairness?: { readonly attributes: readonly AttributeFairness[]; readonly passed: boolean | null };
    readonly notes: readonly string[];
  } & Pick<EvaluationResult, 'curves' | 'confusionMatrix' | 'positiveLabel'>;
}

const base = (id: string) => `/api/v1/evaluations/${encodeURIComponent(id)}`;

export const evaluationApi = {
  list: (signal?: AbortSignal) => get<{ items: EvaluationSummary[]; nextPageToken?: string }>('/api/v1/evaluations', { maxResults: 100 }, signal),
  get: (id: string, signal?: AbortSignal) => get<Evaluation>(base(id), undefined, signal),
  reportUrl: (id: string) => `${base(id)}/report.html`,
};
