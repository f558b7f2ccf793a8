import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

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
          include: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts'],
          env,
          testTimeout: 60_000,
        },
      },
      {
        // moto serves one request at a time and is shared by the run: these files run one after
        // another so one file's resources are never reset under another's feet
        test: {
          name: 'aws',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          fileParallelism: false,
          env,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
