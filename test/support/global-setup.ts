import type { TestProject } from 'vitest/node';
import { startMoto, type MotoServer } from '../../infra/local/moto.ts';
import { AWS_TEST_WORKERS } from './workers.ts';

/**
 * Starts one moto_server per test worker of the AWS project (see AWS_TEST_WORKERS) on free
 * loopback ports; a test file reads its worker's address through `awsEndpoint()`
 * (test/support/aws.ts). moto serves one request at a time, so files running side by side each
 * get their own: one file's slow request never stalls another's, and a file's tables and queues
 * are its own worker's. Stopped when the run ends.
 */
let motos: MotoServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  motos = await Promise.all(Array.from({ length: AWS_TEST_WORKERS }, () => startMoto()));
  project.provide(
    'awsEndpoints',
    motos.map((m) => m.endpoint),
  );
}

export async function teardown(): Promise<void> {
  await Promise.all(motos.map((m) => m.stop()));
}

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoints: string[];
  }
}
