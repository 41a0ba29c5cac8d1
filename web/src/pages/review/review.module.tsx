import type { UiModule } from '../../module';

/** Human review queues; pages load on first visit. */
export const reviewModule: UiModule = {
  name: 'review',
  nav: [{ label: 'Review', to: '/review' }],
  routes: [
    { path: 'review', lazy: async () => ({ Component: (await import('./queues-page')).QueuesPage }) },
    { path: 'review/:name', lazy: async () => ({ Component: (await import('./queue-page')).QueuePage }) },
  ],
};
