import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { awsClientConfig, HTTP_ATTEMPT_BOUNDS } from '#shared/aws/config.ts';

// An endpoint that accepts connections and never answers: the failure the bounds exist for.
const sockets: Socket[] = [];
const stalled = createServer((s) => sockets.push(s));
let endpoint = '';

beforeAll(async () => {
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
  const addr = stalled.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => stalled.close(() => r()));
});

describe('awsClientConfig', () => {
  it('bounds every HTTP attempt, in Lambda and locally, above the longest SQS long poll', () => {
    for (const env of [{}, { HUB_AWS_ENDPOINT: 'http://127.0.0.1:5000' }]) {
      const cfg = awsClientConfig(env);
      expect(cfg.requestHandler).toEqual(HTTP_ATTEMPT_BOUNDS);
    }
    expect(HTTP_ATTEMPT_BOUNDS.requestTimeout).toBeGreaterThan(20_000);
  });

  it('a stalled endpoint fails the call instead of holding it (the SDK honours the handler options)', {
    timeout: 15_000,
  }, async () => {
    const cfg = awsClientConfig({ HUB_AWS_ENDPOINT: endpoint });
    // the same shape with a short bound, so the test does not wait 30 s
    const client = new DynamoDBClient({
      ...cfg,
      maxAttempts: 1,
      requestHandler: { ...cfg.requestHandler!, requestTimeout: 300 },
    });
    const started = performance.now();
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow(/timeout|timed out/i);
    expect(performance.now() - started).toBeLessThan(5_000);
    client.destroy();
  });
});
