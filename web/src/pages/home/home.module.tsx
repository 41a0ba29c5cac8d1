import type { UiModule } from '../../module';

/** The start page: what changed recently for the person signed in. */
export const homeModule: UiModule = {
  name: 'home',
  nav: [{ label: 'Home', to: '/' }],
  routes: [{ index: true, lazy: async () => ({ Component: (await import('./home-page')).HomePage }) }],
};
