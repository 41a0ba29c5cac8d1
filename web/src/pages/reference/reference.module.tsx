import type { UiModule } from '../../module';

export const referenceModule: UiModule = {
  name: 'reference',
  nav: [{ label: 'API', to: '/api-reference' }],
  routes: [{ path: 'api-reference', lazy: async () => ({ Component: (await import('./api-reference-page')).ApiReferencePage }) }],
};
