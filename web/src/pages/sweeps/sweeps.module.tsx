import type { UiModule } from '../../module';

/** Hyperparameter sweeps; pages load on first visit. */
export const sweepsModule: UiModule = {
  name: 'sweeps',
  nav: [{ label: 'Sweeps', to: '/sweeps' }],
  routes: [
    { path: 'sweeps', lazy: async () => ({ Component: (await import('./sweeps-page')).SweepsPage }) },
    { path: 'sweeps/:id', lazy: async () => ({ Component: (await import('./sweep-page')).SweepPage }) },
  ],
};
