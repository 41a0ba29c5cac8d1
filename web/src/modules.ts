import type { UiModule } from './module';
import { monitoringModule } from './pages/monitoring/monitoring.module';
import { registryModule } from './pages/registry/registry.module';
import { trackingModule } from './pages/tracking/tracking.module';

/**
 * Every module with pages, in navigation order. A new module adds its `pages/<module>/<module>.module.tsx`
 * here. Datasets/lineage and evaluation have no API yet; their modules slot in the same way when they do
 * (the run page already links dataset inputs to `/datasets/<name>` once a `datasets` module is listed).
 */
export const modules: readonly UiModule[] = [trackingModule, registryModule, monitoringModule];
