import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyCall, decideFault, seededRandom, startFaultProxy } from '../../../bench/fault-proxy.ts';

describe('classifyCall: only data-plane calls can be faulted', () => {
  it.each([
    ['DynamoDB_20120810.GetItem', 'dynamodb', 'GetItem'],
    ['DynamoDB_20120810.PutItem', 'dynamodb', 'PutItem'],
    ['DynamoDB_20120810.UpdateItem', 'dynamodb', 'UpdateItem'],
    ['DynamoDB_20120810.TransactWriteItems', 'dynamodb', 'TransactWriteItems'],
    ['DynamoDB_20120810.BatchGetItem', 'dynamodb', 'BatchGetItem'],
    ['DynamoDB_20120810.Query', 'dynamodb', 'Query'],
    ['AmazonSQS.SendMessage', 'sqs', 'SendMessage'],
    ['AmazonSQS.ReceiveMessage', 'sqs', 'ReceiveMessage'],
    ['AmazonSQS.DeleteMessageBatch', 'sqs', 'DeleteMessageBatch'],
  ])('%s is data plane', (target, service, operation) => {
    expect(classifyCall(target)).toEqual({ service, operation });
  });

  it.each([
    'DynamoDB_20120810.CreateTable',
    'DynamoDB_20120810.DescribeTable',
    'DynamoDB_20120810.UpdateTable',
    'DynamoDB_20120810.DescribeTimeToLive',
    'DynamoDB_20120810.UpdateTimeToLive',
    'DynamoDB_20120810.UpdateContinuousBackups',
    'AmazonSQS.CreateQueue',
    'AmazonSQS.GetQueueUrl',
    'AmazonSQS.GetQueueAttributes',
    'AmazonSQS.SetQueueAttributes',
    'secretsmanager.GetSecretValue',
    'secretsmanager.CreateSecret',
    'NotAService',
  ])('%s is never faulted', (target) => {
    expect(classifyCall(target)).toBeUndefined();
    expect(
      decideFault(classifyCall(target), () => 0, {
        dynamodb: { throttle: 1, error500: 1, drop: 1 },
        sqs: { error500: 1, drop: 1 },
      }),
    ).toBeUndefined();
  });

  it('no X-Amz-Target (S3, moto-api, health) is never faulted', () => {
    expect(classifyCall(undefined)).toBeUndefined();
  });
});

describe('decideFault', () => {
  const rates = { dynamodb: { throttle: 0.1, error500: 0.05, drop: 0.05 }, sqs: { error500: 0.1, drop: 0.1 } };
  const draw = (seed: number, n: number, service: 'dynamodb' | 'sqs') => {
    const r = seededRandom(seed);
    return Array.from({ length: n }, () => decideFault({ service, operation: 'X' }, r, rates));
  };

  it('is a pure function of the seed', () => {
    expect(draw(42, 500, 'dynamodb')).toEqual(draw(42, 500, 'dynamodb'));
    expect(draw(42, 500, 'dynamodb')).not.toEqual(draw(43, 500, 'dynamodb'));
  });

  it('follows the rates', () => {
    const d = draw(7, 20_000, 'dynamodb');
    const share = (k: string) => d.filter((x) => x === k).length / d.length;
    expect(share('throttle')).toBeCloseTo(0.1, 1);
    expect(share('error500')).toBeCloseTo(0.05, 1);
    expect(share('drop')).toBeCloseTo(0.05, 1);
    const s = draw(7, 20_000, 'sqs');
    expect(s.filter((x) => x === 'throttle')).toHaveLength(0); // SQS is never "throttled" with a DynamoDB error
    expect(s.filter((x) => x === 'error500').length / s.length).toBeCloseTo(0.1, 1);
  });
});

describe('the proxy', () => {
  let upstream: Server;
  let upstreamUrl: string;
  const seen: string[] = [];

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      seen.push(String(req.headers['x-amz-target'] ?? req.url));
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  const post = (url: string, target: string) =>
    new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
      const req = request(
        url,
        {
          method: 'POST',
          headers: { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' },
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', (e) => resolve({ error: e.message }));
        },
      );
      req.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
      req.end('{}');
    });

  it('throttles and fails DynamoDB data calls, SQS with 500, and passes provisioning through', async () => {
    const proxy = await startFaultProxy({
      target: upstreamUrl,
      seed: 1,
      dynamodb: { throttle: 1, error500: 0, drop: 0 },
      sqs: { error500: 1, drop: 0 },
    });
    try {
      const get = await post(proxy.url, 'DynamoDB_20120810.GetItem');
      expect(get).toMatchObject({ status: 400 });
      expect(JSON.parse((get as { body: string }).body).__type).toContain('ThrottlingException');
      expect(await post(proxy.url, 'AmazonSQS.SendMessage')).toMatchObject({ status: 500 });
      seen.length = 0;
      expect(await post(proxy.url, 'DynamoDB_20120810.CreateTable')).toEqual({ status: 200, body: '{"ok":true}' });
      expect(await post(proxy.url, 'AmazonSQS.CreateQueue')).toEqual({ status: 200, body: '{"ok":true}' });
      expect(seen).toEqual(['DynamoDB_20120810.CreateTable', 'AmazonSQS.CreateQueue']);
      proxy.setEnabled(false);
      expect(await post(proxy.url, 'DynamoDB_20120810.GetItem')).toEqual({ status: 200, body: '{"ok":true}' });
      expect(proxy.stats).toMatchObject({ throttle: 1, error500: 1, drop: 0, dataPlane: 3 });
    } finally {
      await proxy.close();
    }
  });

  it('a dropped response: the call reaches upstream, the caller gets a broken connection', async () => {
    const proxy = await startFaultProxy({
      target: upstreamUrl,
      seed: 1,
      dynamodb: { throttle: 0, error500: 0, drop: 1 },
      sqs: { error500: 0, drop: 0 },
    });
    try {
      seen.length = 0;
      const r = await post(proxy.url, 'DynamoDB_20120810.TransactWriteItems');
      expect(r).toHaveProperty('error');
      expect(seen).toEqual(['DynamoDB_20120810.TransactWriteItems']);
      expect(proxy.stats.drop).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('an outage fails every data-plane call of one service for a while, and nothing else', async () => {
    const proxy = await startFaultProxy({
      target: upstreamUrl,
      seed: 1,
      dynamodb: { throttle: 0, error500: 0, drop: 0 },
      sqs: { error500: 0, drop: 0 },
    });
    try {
      proxy.outage('sqs', 60_000);
      expect(await post(proxy.url, 'AmazonSQS.SendMessage')).toMatchObject({ status: 500 });
      expect(await post(proxy.url, 'AmazonSQS.ReceiveMessage')).toMatchObject({ status: 500 });
      expect(await post(proxy.url, 'AmazonSQS.GetQueueAttributes')).toMatchObject({ status: 200 });
      expect(await post(proxy.url, 'DynamoDB_20120810.GetItem')).toMatchObject({ status: 200 });
      proxy.outage('sqs', 0);
      expect(await post(proxy.url, 'AmazonSQS.SendMessage')).toMatchObject({ status: 200 });
      expect(proxy.stats.outage).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('refuses a non-loopback target', async () => {
    await expect(
      startFaultProxy({
        target: 'http://example.com',
        seed: 1,
        dynamodb: { throttle: 0, error500: 0, drop: 0 },
        sqs: { error500: 0, drop: 0 },
      }),
    ).rejects.toThrow(/loopback/);
  });
});
