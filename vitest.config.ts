import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { AWS_TEST_WORKERS } from './test/support/workers.ts';

const env = {
  AWS_REGION: 'us-east-1',
  POWERTOOLS_DEV: 'false',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  // the hubs the tests start (and the CLI they run) keep hub.json here, never in the project's
  // .hub-local/ of an `npm start` that may be running beside the suite
  HUB_STATE_DIR: join(tmpdir(), `inventory-hub-test-state-${process.pid}`),
};

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env,
    projects: [
      {
        // pure logic and synthesized templates: no server, files run in parallel
        test: {
          name: 'unit',
          maxWorkers: 2,
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          env,
          setupFiles: ['test/support/worker-env.ts'],
          testTimeout: 60_000,
        },
      },
      {
        // files that talk to moto: AWS_TEST_WORKERS side by side, each worker with its own moto
        test: {
          name: 'aws',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          maxWorkers: AWS_TEST_WORKERS,
          env,
          setupFiles: ['test/support/worker-env.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
