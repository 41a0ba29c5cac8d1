import type { UiModule } from '../../module';

/** Feature views: definitions, freshness, skew; pages load on first visit. */
export const featuresModule: UiModule = {
  name: 'features',
  nav: [{ label: 'Features', to: '/features' }],
  routes: [
    { path: 'features', lazy: async () => ({ Component: (await import('./feature-views-page')).FeatureViewsPage }) },
    { path: 'features/:name', lazy: async () => ({ Component: (await import('./feature-view-page')).FeatureViewPage }) },
  ],
};
