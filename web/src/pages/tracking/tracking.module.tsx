import type { UiModule } from '../../module';

/** Pages load on first visit: the router fetches a page's code before it renders the route. */
export const trackingModule: UiModule = {
  name: 'tracking',
  nav: [{ label: 'Experiments', to: '/experiments' }],
  routes: [
    { path: 'experiments', lazy: async () => ({ Component: (await import('./experiments-page')).ExperimentsPage }) },
    { path: 'experiments/:experimentId', lazy: async () => ({ Component: (await import('./runs-page')).RunsPage }) },
    { path: 'experiments/:experimentId/charts', lazy: async () => ({ Component: (await import('./charts-page')).ChartsPage }) },
    { path: 'runs/:runId/:tab?', lazy: async () => ({ Component: (await import('./run-page')).RunPage }) },
    { path: 'compare', lazy: async () => ({ Component: (await import('./compare-page')).ComparePage }) },
  ],
};
