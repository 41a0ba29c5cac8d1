import type { CardFieldsRecord, Comparison, Evaluation, EvaluationSummary, ModelRef } from './types.js';

export interface EvaluationQuery {
  readonly runId?: string;
  readonly modelName?: string;
  readonly modelVersion?: number;
  /** A dataset's name or its digest. */
  readonly dataset?: string;
  readonly limit: number;
  readonly offset: number;
}

export interface ComparisonQuery {
  readonly candidate?: ModelRef;
  readonly baseline?: ModelRef;
  readonly dataset?: string;
  readonly limit: number;
  readonly offset: number;
}

/** Stored evaluations, newest first in every list. */
export interface EvaluationStore {
  /** The evaluation and its flattened overall metrics, in one transaction. */
  createEvaluation(evaluation: Evaluation, metrics: readonly FlatMetric[]): Promise<void>;
  getEvaluation(id: string): Promise<Evaluation | undefined>;
  listEvaluations(query: EvaluationQuery): Promise<{ items: EvaluationSummary[]; nextOffset?: number }>;
  /** The full evaluations matching, newest first (promotion checks and model cards read whole results). */
  findEvaluations(query: EvaluationQuery): Promise<Evaluation[]>;
  deleteEvaluation(id: string): Promise<boolean>;
  createComparison(comparison: Comparison): Promise<void>;
  getComparison(id: string): Promise<Comparison | undefined>;
  findComparisons(query: ComparisonQuery): Promise<Comparison[]>;
  getCardFields(model: ModelRef): Promise<CardFieldsRecord | undefined>;
  setCardFields(model: ModelRef, record: CardFieldsRecord): Promise<void>;
}

export interface FlatMetric {
  readonly key: string;
  readonly value: number;
  readonly ciLower?: number;
  readonly ciUpper?: number;
}
