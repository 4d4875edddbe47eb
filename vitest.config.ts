import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'core/test/**/*.test.ts',
      'widgets/test/**/*.test.ts',
      'extension-jupyter/e2e/**/*.test.ts',
      'extension-vscode/test/**/*.test.ts',
      'extension-vscode/e2e/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // CI asks for a JSON report beside the usual output (.ci/run).
    reporters: process.env.WINNOW_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.WINNOW_TEST_REPORT ? { json: process.env.WINNOW_TEST_REPORT } : undefined,
  },
});
