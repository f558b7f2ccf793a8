import { inject } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '#shared/aws/config.ts';
import { workerIndex } from './workers.ts';

/** This test worker's moto_server (started by test/support/global-setup.ts), for integration tests. */
export function awsEndpoint(): string {
  const endpoints = inject('awsEndpoints');
  return endpoints[workerIndex() % endpoints.length]!;
}

/** Environment a handler under test sees when it runs against the test moto. */
export function motoEnv(): NodeJS.ProcessEnv {
  return { AWS_REGION: 'us-east-1', HUB_AWS_ENDPOINT: awsEndpoint() };
}

export function testClients() {
  const cfg = awsClientConfig(motoEnv());
  return {
    dynamo: new DynamoDBClient(cfg),
    sqs: new SQSClient(cfg),
    s3: new S3Client({ ...cfg, forcePathStyle: true }),
  };
}

/** A name no other test in this run uses (tests share one moto). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
