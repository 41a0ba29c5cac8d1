import type { UiModule } from '../../module';

/** Pages load on first visit: the router fetches a page's code before it renders the route. */
export const registryModule: UiModule = {
  name: 'registry',
  nav: [
    { label: 'Models', to: '/models' },
    { label: 'Promotions', to: '/promotions' },
  ],
  routes: [
    { path: 'models', lazy: async () => ({ Component: (await import('./models-page')).ModelsPage }) },
    { path: 'models/:name/versions/:version', lazy: async () => ({ Component: (await import('./version-page')).VersionPage }) },
    { path: 'models/:name/:tab?', lazy: async () => ({ Component: (await import('./model-page')).ModelPage }) },
    { path: 'promotions', lazy: async () => ({ Component: (await import('./promotions-page')).PromotionsPage }) },
  ],
};
