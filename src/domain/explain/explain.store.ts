import type { Explanation, ExplanationSummary } from './types.js';

export interface ExplanationQuery {
  readonly modelName?: string;
  readonly modelVersion?: number;
  readonly limit: number;
  readonly offset: number;
}

/** Stored explanations, newest first in every list. */
export interface ExplanationStore {
  create(explanation: Explanation): Promise<void>;
  get(id: string): Promise<Explanation | undefined>;
  list(query: ExplanationQuery): Promise<{ items: ExplanationSummary[]; nextOffset?: number }>;
  /** The newest explanation of a model version (the model card's). */
  latest(modelName: string, modelVersion: number): Promise<Explanation | undefined>;
}
