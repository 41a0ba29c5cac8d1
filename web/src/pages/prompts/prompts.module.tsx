import type { UiModule } from '../../module';

/** The prompt registry; pages load on first visit. */
export const promptsModule: UiModule = {
  name: 'prompts',
  nav: [{ label: 'Prompts', to: '/prompts' }],
  routes: [
    { path: 'prompts', lazy: async () => ({ Component: (await import('./prompts-page')).PromptsPage }) },
    { path: 'prompts/:name', lazy: async () => ({ Component: (await import('./prompt-page')).PromptPage }) },
  ],
};
