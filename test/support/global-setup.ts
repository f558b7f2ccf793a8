import type { TestProject } from 'vitest/node';
import { startMoto, type MotoServer } from '../../infra/local/moto.ts';

/**
 * Starts one moto_server for the whole run on a free loopback port; test files read its address
 * from `inject('awsEndpoint')` (see test/support/aws.ts). Stopped when the run ends.
 */
let moto: MotoServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  moto = await startMoto();
  project.provide('awsEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await moto?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}
