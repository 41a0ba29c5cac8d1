import type { ArtifactTables } from './tables/artifacts.tables.js';
import type { DatasetTables } from './tables/datasets.tables.js';
import type { EvaluationTables } from './tables/evaluation.tables.js';
import type { ExplanationTables } from './tables/explanations.tables.js';
import type { ReviewTables } from './tables/review.tables.js';
import type { FeatureTables } from './tables/features.tables.js';
import type { LlmopsTables } from './tables/llmops.tables.js';
import type { CostTables } from './tables/cost.tables.js';
import type { GovernanceTables } from './tables/governance.tables.js';
import type { MonitoringTables } from './tables/monitoring.tables.js';
import type { ProjectTables } from './tables/projects.tables.js';
import type { RetentionTables } from './tables/retention.tables.js';
import type { RegistryTables } from './tables/registry.tables.js';
import type { ReproducibilityTables } from './tables/reproducibility.tables.js';
import type { ServingTables } from './tables/serving.tables.js';
import type { SweepTables } from './tables/sweeps.tables.js';
import type { TrackingTables } from './tables/tracking.tables.js';
import type { WebhookTables } from './tables/webhooks.tables.js';

/**
 * Row types of the one schema, shared by SQLite and PostgreSQL: each module declares its tables in
 * `tables/<module>.tables.ts` and intersects them here.
 */
export type Database = TrackingTables & ArtifactTables & MonitoringTables & RegistryTables & ServingTables & DatasetTables & EvaluationTables & GovernanceTables & ReproducibilityTables & ProjectTables & RetentionTables & SweepTables & FeatureTables & LlmopsTables & ExplanationTables & ReviewTables & WebhookTables & CostTables;

export type * from './tables/artifacts.tables.js';
export type * from './tables/datasets.tables.js';
export type * from './tables/evaluation.tables.js';
export type * from './tables/explanations.tables.js';
export type * from './tables/review.tables.js';
export type * from './tables/features.tables.js';
export type * from './tables/governance.tables.js';
export type * from './tables/llmops.tables.js';
export type * from './tables/monitoring.tables.js';
export type * from './tables/projects.tables.js';
export type * from './tables/registry.tables.js';
export type * from './tables/reproducibility.tables.js';
export type * from './tables/serving.tables.js';
export type * from './tables/sweeps.tables.js';
export type * from './tables/tracking.tables.js';
export type * from './tables/webhooks.tables.js';
