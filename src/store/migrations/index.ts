import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';
import { trackingMigration } from './0001-tracking.js';
import { artifactsMigration } from './0002-artifacts.js';
import { registryMigration } from './0003-registry.js';
import { datasetsMigration } from './0004-datasets.js';
import { evaluationMigration } from './0005-evaluation.js';
import { monitoringMigration } from './0006-monitoring.js';
import { servingMigration } from './0007-serving.js';
import { governanceMigration } from './0008-governance.js';
import { metricsHistoryIndexMigration } from './0009-metrics-history-index.js';
import { governancePermissionsMigration } from './0010-governance-permissions.js';
import { metricsUniquePointsMigration } from './0011-metrics-unique-points.js';
import { loggedModelLinksMigration } from './0012-logged-model-links.js';
import { datasetPartsMigration } from './0013-dataset-parts.js';
import { metricsClusteredMigration } from './0014-metrics-clustered.js';
import { monitoringFilesMigration } from './0017-monitoring-files.js';
import { reproducibilityMigration } from './0019-reproducibility.js';
import { governanceIntegrityMigration } from './0020-governance-integrity.js';
import { datasetBlobClaimsMigration } from './0021-dataset-blob-claims.js';
import { servingShadowOutputsMigration } from './0030-serving-shadow-outputs.js';
import { projectsMigration } from './0031-projects.js';
import { retentionMigration } from './0040-retention.js';
import { oidcIdentitiesMigration } from './0041-oidc-identities.js';
import { sweepsMigration } from './0050-sweeps.js';
import { sweepLeasesMigration } from './0068-sweep-leases.js';
import { featuresMigration } from './0051-features.js';
import { reviewMigration } from './0053-review.js';
import { llmTracesMigration } from './0054-llm-traces.js';
import { llmBudgetsMigration } from './0055-llm-budgets.js';
import { explanationsMigration } from './0056-explanations.js';
import { experimentViewsMigration } from './0058-experiment-views.js';
import { featureSkewReportsMigration } from './0060-feature-skew-reports.js';
import { predictionFeatureVectorsMigration } from './0061-prediction-feature-vectors.js';
import { runUsageMigration } from './0062-run-usage.js';
import { computeBudgetsMigration } from './0063-compute-budgets.js';
import { webhookDeliveriesMigration } from './0064-webhook-deliveries.js';
import { metricsStepIndexMigration } from './0065-metrics-step-index.js';
import { deploymentFeaturesMigration } from './0066-deployment-features.js';

/** Every migration, by name; names sort in the order they run. Each module adds its own line. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-tracking': trackingMigration(dialect),
    '0002-artifacts': artifactsMigration(),
    '0003-registry': registryMigration(dialect),
    '0004-datasets': datasetsMigration(),
    '0005-evaluation': evaluationMigration(),
    '0006-monitoring': monitoringMigration(),
    '0007-serving': servingMigration(dialect),
    '0008-governance': governanceMigration(),
    '0009-metrics-history-index': metricsHistoryIndexMigration(),
    '0010-governance-permissions': governancePermissionsMigration(),
    '0011-metrics-unique-points': metricsUniquePointsMigration(dialect),
    '0012-logged-model-links': loggedModelLinksMigration(),
    '0013-dataset-parts': datasetPartsMigration(),
    '0014-metrics-clustered': metricsClusteredMigration(dialect),
    '0017-monitoring-files': monitoringFilesMigration(),
    '0019-reproducibility': reproducibilityMigration(),
    '0020-governance-integrity': governanceIntegrityMigration(),
    '0021-dataset-blob-claims': datasetBlobClaimsMigration(),
    '0030-serving-shadow-outputs': servingShadowOutputsMigration(),
    '0031-projects': projectsMigration(),
    '0040-retention': retentionMigration(),
    '0041-oidc-identities': oidcIdentitiesMigration(),
    '0050-sweeps': sweepsMigration(),
    '0051-features': featuresMigration(),
    '0053-review': reviewMigration(),
    '0054-llm-traces': llmTracesMigration(),
    '0055-llm-budgets': llmBudgetsMigration(),
    '0056-explanations': explanationsMigration(),
    '0058-experiment-views': experimentViewsMigration(),
    '0060-feature-skew-reports': featureSkewReportsMigration(),
    '0061-prediction-feature-vectors': predictionFeatureVectorsMigration(),
    '0062-run-usage': runUsageMigration(),
    '0063-compute-budgets': computeBudgetsMigration(),
    '0064-webhook-deliveries': webhookDeliveriesMigration(),
    '0065-metrics-step-index': metricsStepIndexMigration(dialect),
    '0066-deployment-features': deploymentFeaturesMigration(),
    '0068-sweep-leases': sweepLeasesMigration(),
  };
}
