import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Handlers log and emit metrics through Powertools; tests read behaviour, not log lines.
    env: { POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'], testTimeout: 20_000 },
      },
      // Integration suites share real Redis/Postgres tables: run files one at a time.
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Two files at a time: each spawns stacks of its own (free ports, its own queue, tables,
          // spool and Redis key prefix); most of a file's time is a stack starting up.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
