import type { UiModule } from '../../module';

/** Pipelines and reproductions; pages load on first visit. */
export const reproducibilityModule: UiModule = {
  name: 'reproducibility',
  nav: [{ label: 'Pipelines', to: '/pipelines' }],
  routes: [
    { path: 'pipelines', lazy: async () => ({ Component: (await import('./pipelines-page')).PipelinesPage }) },
    { path: 'pipelines/:id', lazy: async () => ({ Component: (await import('./pipeline-run-page')).PipelineRunPage }) },
    { path: 'reproducibility/runs/:runId', lazy: async () => ({ Component: (await import('./reproducibility-page')).ReproducibilityPage }) },
  ],
};
