/**
 * How many test files of the AWS project (integration and end-to-end tests, which talk to moto)
 * run side by side. Most of their time is spent waiting (pollers, visibility timeouts, Chromium),
 * not computing, so two run well on a 2-core machine; each worker has its own moto and its own
 * state directory (test/support/worker-env.ts).
 */
export const AWS_TEST_WORKERS = 2;

/** This test worker's index, from 0 (vitest numbers its workers 1…maxWorkers in VITEST_POOL_ID). */
export function workerIndex(): number {
  const id = Number(process.env.VITEST_POOL_ID ?? '1');
  return Number.isInteger(id) && id > 0 ? id - 1 : 0;
}
