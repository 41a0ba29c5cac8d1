import type { UiModule } from './module';
import { adminModule } from './pages/admin/admin.module';
import { datasetsModule } from './pages/datasets/datasets.module';
import { evaluationModule } from './pages/evaluation/evaluation.module';
import { monitoringModule } from './pages/monitoring/monitoring.module';
import { promptsModule } from './pages/prompts/prompts.module';
import { projectsModule } from './pages/projects/projects.module';
import { referenceModule } from './pages/reference/reference.module';
import { registryModule } from './pages/registry/registry.module';
import { reproducibilityModule } from './pages/reproducibility/reproducibility.module';
import { sweepsModule } from './pages/sweeps/sweeps.module';
import { homeModule } from './pages/home/home.module';
import { featuresModule } from './pages/features/features.module';
import { trackingModule } from './pages/tracking/tracking.module';
import { tracesModule } from './pages/traces/traces.module';
import { reviewModule } from './pages/review/review.module';

/**
 * Every module with pages, in navigation order. A new module adds its `pages/<module>/<module>.module.tsx`
 * here (the run page links dataset inputs to `/datasets/<name>` because a `datasets` module is listed).
 */
export const modules: readonly UiModule[] = [homeModule, trackingModule, registryModule, datasetsModule, evaluationModule, reproducibilityModule, sweepsModule, featuresModule, promptsModule, tracesModule, reviewModule, monitoringModule, projectsModule, referenceModule, adminModule];
