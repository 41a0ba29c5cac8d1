import type { UiModule } from '../../module';

/** LLM traces; pages load on first visit. */
export const tracesModule: UiModule = {
  name: 'traces',
  nav: [{ label: 'Traces', to: '/traces' }],
  routes: [
    { path: 'traces', lazy: async () => ({ Component: (await import('./traces-page')).TracesPage }) },
    { path: 'traces/:traceId', lazy: async () => ({ Component: (await import('./trace-page')).TracePage }) },
  ],
};
