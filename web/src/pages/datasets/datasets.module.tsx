import type { UiModule } from '../../module';

/** Pages load on first visit: the router fetches a page's code before it renders the route. */
export const datasetsModule: UiModule = {
  name: 'datasets',
  nav: [{ label: 'Datasets', to: '/datasets' }],
  routes: [
    { path: 'datasets', lazy: async () => ({ Component: (await import('./datasets-page')).DatasetsPage }) },
    { path: 'datasets/:name', lazy: async () => ({ Component: (await import('./dataset-page')).DatasetPage }) },
    { path: 'datasets/:name/versions/:ref', lazy: async () => ({ Component: (await import('./dataset-version-page')).DatasetVersionPage }) },
  ],
};
