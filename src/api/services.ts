import type { ArtifactService } from '../domain/artifacts/artifact.service.js';
import type { DatasetService } from '../domain/datasets/dataset.service.js';
import type { FeatureService } from '../domain/features/feature.service.js';
import type { EvaluationService } from '../domain/evaluation/evaluation.service.js';
import type { ExplainService } from '../domain/explain/explain.service.js';
import type { ReviewService } from '../domain/review/review.service.js';
import type { MonitoringService } from '../domain/monitoring/monitoring.service.js';
import type { ProjectService } from '../domain/projects/project.service.js';
import type { PromptService } from '../domain/prompts/prompt.service.js';
import type { PromotionService } from '../domain/registry/promotion.service.js';
import type { RegistryService } from '../domain/registry/registry.service.js';
import type { ReproducibilityService } from '../domain/reproducibility/reproducibility.service.js';
import type { RetentionService } from '../domain/retention/retention.service.js';
import type { ExperimentService } from '../domain/tracking/experiment.service.js';
import type { LoggedModelService } from '../domain/tracking/logged-model.service.js';
import type { RunService } from '../domain/tracking/run.service.js';
import type { Serving } from '../domain/serving/serving.js';
import type { TraceService } from '../domain/llmops/traces.service.js';
import type { SweepService } from '../domain/sweeps/sweeps.service.js';
import type { CostService } from '../domain/cost/cost.service.js';
import type { ValidationService } from '../domain/validation/validation.service.js';

/** Everything the API surfaces call; built once in main.ts. */
export interface Services {
  readonly experiments: ExperimentService;
  readonly runs: RunService;
  readonly artifacts: ArtifactService;
  readonly loggedModels: LoggedModelService;
  readonly monitoring: MonitoringService;
  readonly registry: RegistryService;
  readonly promotion: PromotionService;
  readonly serving: Pick<Serving, 'deployments' | 'inference' | 'metrics'>;
  readonly datasets: DatasetService;
  readonly validation: ValidationService;
  readonly evaluation: EvaluationService;
  readonly reproducibility: ReproducibilityService;
  readonly projects: ProjectService;
  readonly retention: RetentionService;
  readonly sweeps: SweepService;
  readonly features: FeatureService;
  readonly traces: TraceService;
  readonly prompts: PromptService;
  readonly explanations: ExplainService;
  readonly review: ReviewService;
  readonly cost: CostService;
}
