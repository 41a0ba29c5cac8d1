/** `openexpert/sdk`: log runs to an OpenExpert (or MLflow-compatible) server from Node.js. */
export { OpenExpert } from './client.js';
export type { CreateExperimentOptions, OpenExpertOptions, Page, SearchExperimentsOptions, SearchRunsOptions, StartRunOptions } from './client.js';
export { ActiveRun } from './active-run.js';
export type { LogMetricOptions, ParamValue } from './active-run.js';
export { OpenExpertError } from './http.js';
export { Sweeps } from './sweeps.js';
export { Compute } from './compute.js';
export type { ComputeBudgetInfo, ComputeBudgetOptions, CostTotals } from './compute.js';
export type { ComputeBudgetAlert, PriceTable, RunUsage, UsageInput } from '../domain/cost/types.js';
export { Prompts } from './prompts.js';
export type { LoadedPrompt } from './prompts.js';
export type { PromptDetail, PromptDiff, PromptSummary, PromptVersion, PushInput, PushResult } from '../domain/prompts/types.js';
export type { ChatMessage, Template } from '../domain/prompts/template.js';
export { Features, defineFeatures } from './features.js';
export type { EntityKeys, FeatureRepoDefinition, FeatureRow } from './features.js';
export type { OnlineResult, OnlineValue, OnlineStatus, PlanItem } from '../domain/features/types.js';
export type { SkewReport, FeatureSkew } from '../domain/features/skew.js';
export { Explanations } from './explanations.js';
export type { ExplainOptions } from './explanations.js';
export { Review } from './review.js';
export type { CreateQueueOptions, PushedItem } from './review.js';
export type { Agreement, QueueStats, ReviewItem, ReviewLabel, ReviewQueue } from '../domain/review/types.js';
export type { Explanation, ExplanationResult, ExplanationSummary } from '../domain/explain/types.js';
export type { CreateSweepOptions, Requester } from './sweeps.js';
export type { SweepConfigInput } from '../domain/sweeps/schemas.js';
export type { SweepDetail, SweepSummary, Trial, TrialState } from '../domain/sweeps/types.js';
export type { SyncedRun } from './sync.js';
export type { OpenExpertErrorCode, RetryOptions } from './http.js';
export type {
  Experiment, KeyValue, LifecycleStage, Metric, Run, RunInfo, RunStatus, ViewType,
} from '../domain/tracking/types.js';
export * from './llm/index.js';
export * from './rag/index.js';
export { Redactor } from '../domain/llmops/redaction.js';
export type { CustomPattern, PiiKind, RedactionOptions } from '../domain/llmops/redaction.js';
// The zod that structured outputs are validated and converted to JSON Schema with, so callers need no second copy.
export { z } from 'zod';
