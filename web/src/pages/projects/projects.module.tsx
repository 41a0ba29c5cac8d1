import type { UiModule } from '../../module';

/** Projects (workspaces): the ones the user may see, and each one's members and objects. */
export const projectsModule: UiModule = {
  name: 'projects',
  nav: [{ label: 'Projects', to: '/projects' }],
  routes: [
    { path: 'projects', lazy: async () => ({ Component: (await import('./projects-page')).ProjectsPage }) },
    { path: 'projects/:name', lazy: async () => ({ Component: (await import('./projects-page')).ProjectPage }) },
  ],
};
