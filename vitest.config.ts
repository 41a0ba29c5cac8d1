import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    // Browser tests need the built UI; this rebuilds it only when web/ changed since the last build.
    // The CLI the tests start as a child process is bundled once per run (test/support/cli-bundle.global-setup.ts).
    globalSetup: ['test/support/web-build.global-setup.ts', 'test/support/cli-bundle.global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time, whatever the core count (vitest's default is cores − 1, one file at a time on CI's two
    // cores): most files wait on child servers, installs and the network rather than compute.
    maxWorkers: 2,
    // Servers started as child processes (the real CLI) check their replies against the declared schemas too.
    env: { OPENEXPERT_CHECK_REPLIES: '1' },
  },
});
