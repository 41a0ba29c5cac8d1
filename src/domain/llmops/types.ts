/**
 * LLM traces: a trace is one request through an application (a chain, an agent run, a single call); its spans
 * nest by `parentSpanId`. Times are epoch milliseconds (fractions kept); cost is in US dollars.
 */
export const SPAN_KINDS = ['llm', 'chain', 'agent', 'tool', 'retrieval', 'embedding', 'span'] as const;
export type SpanKind = (typeof SPAN_KINDS)[number];
export const SPAN_STATUSES = ['ok', 'error', 'unset'] as const;
export type SpanStatus = (typeof SPAN_STATUSES)[number];

export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTime: number;
  readonly endTime?: number;
  readonly status: SpanStatus;
  readonly error?: string;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly model?: string;
  readonly provider?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cost?: number;
  readonly promptName?: string;
  readonly promptVersion?: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** A span as stored: in a project, with its cost worked out. */
export interface StoredSpan extends Span {
  readonly project: string;
}

export interface TraceSummary {
  readonly traceId: string;
  readonly project: string;
  /** The root span's name (the earliest span's when the root has not arrived). */
  readonly name: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly promptName?: string;
  readonly promptVersion?: string;
  readonly startTime: number;
  readonly endTime?: number;
  readonly status: SpanStatus;
  readonly spanCount: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: number;
  readonly models: readonly string[];
}

export interface SpanNode extends StoredSpan {
  readonly children: readonly SpanNode[];
}

export interface TraceDetail {
  readonly trace: TraceSummary;
  /** Root spans, each with its children in start order; a span whose parent never arrived is a root. */
  readonly spans: readonly SpanNode[];
}

export interface TraceQuery {
  readonly projects?: readonly string[];
  readonly name?: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly promptName?: string;
  readonly model?: string;
  readonly status?: SpanStatus;
  /** Inclusive start-time bounds (epoch ms). */
  readonly since?: number;
  readonly until?: number;
  /** Text searched in span names, inputs, outputs and errors (case-insensitive). */
  readonly text?: string;
  readonly offset: number;
  readonly limit: number;
}

/** Per-million-token prices for one provider and model (a model name ending in `*` matches by prefix). */
export interface Price {
  readonly provider: string;
  readonly model: string;
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
}

export const BUDGET_SCOPES = ['project', 'prompt', 'user'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['day', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface Budget {
  readonly budgetId: string;
  readonly name: string;
  readonly project: string;
  readonly scope: BudgetScope;
  /** The prompt name or user id the budget is for; absent for a project budget. */
  readonly subject?: string;
  readonly period: BudgetPeriod;
  readonly limitUsd: number;
  /** Fraction of the limit at which a warning goes out (the limit itself always alerts). */
  readonly warnAt?: number;
  /** When set, the SDK's budget check refuses calls once the limit is reached. */
  readonly hardStop: boolean;
  readonly webhookUrl?: string;
  readonly webhookSecret: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export type BudgetAlertLevel = 'warning' | 'exceeded';

export interface BudgetAlert {
  readonly alertId: string;
  readonly budgetId: string;
  /** Start of the budget period the alert is about (UTC day or month, epoch ms). */
  readonly periodStart: number;
  readonly level: BudgetAlertLevel;
  readonly spentUsd: number;
  readonly limitUsd: number;
  readonly at: number;
}

export interface BudgetStatus {
  readonly budget: Budget;
  readonly periodStart: number;
  readonly spentUsd: number;
  readonly remainingUsd: number;
  readonly exceeded: boolean;
}
