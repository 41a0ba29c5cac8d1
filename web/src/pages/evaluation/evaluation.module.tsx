import type { UiModule } from '../../module';

/** Pages load on first visit: the router fetches a page's code before it renders the route. */
export const evaluationModule: UiModule = {
  name: 'evaluation',
  nav: [{ label: 'Evaluations', to: '/evaluations' }],
  routes: [
    { path: 'evaluations', lazy: async () => ({ Component: (await import('./evaluations-page')).EvaluationsPage }) },
    { path: 'evaluations/:id', lazy: async () => ({ Component: (await import('./evaluation-page')).EvaluationPage }) },
  ],
};
