import type { UiModule } from '../../module';

/** Pages load on first visit: the router fetches a page's code before it renders the route. */
export const monitoringModule: UiModule = {
  name: 'monitoring',
  nav: [{ label: 'Monitoring', to: '/monitoring' }],
  routes: [
    { path: 'monitoring', lazy: async () => ({ Component: (await import('./monitors-page')).MonitorsPage }) },
    { path: 'monitoring/:monitor', lazy: async () => ({ Component: (await import('./monitor-page')).MonitorPage }) },
  ],
};
