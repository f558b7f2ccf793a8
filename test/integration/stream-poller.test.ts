import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { StreamPoller, keyPrefixFilter, type StreamPollerOptions } from '#infra/local/stream-poller.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import type { FoldStreamEvent } from '#shared/stream/fold-event.ts';
import { motoEnv, testClients, uniqueName } from '#test/support/aws.ts';
import { freshTable } from '#test/support/table.ts';

const { dynamo } = testClients();
const streams = new DynamoDBStreamsClient(awsClientConfig(motoEnv()));

let poller: StreamPoller | undefined;
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
  for (const drop of drops.splice(0)) await drop();
});

async function table(): Promise<string> {
  const t = await freshTable('stream');
  drops.push(t.drop);
  return t.tableName;
}

function startPoller(
  tableName: string,
  handler: StreamPollerOptions['handler'],
  more: Partial<StreamPollerOptions> = {},
): Promise<void> {
  poller = new StreamPoller({
    dynamo,
    streams,
    tableName,
    region: 'us-east-1',
    handler,
    filter: keyPrefixFilter('pk', 'ORDER#'),
    idleDelayMs: 50,
    retryBaseMs: 20,
    retryMaxMs: 100,
    log: () => {},
    ...more,
  });
  return poller.start();
}

const s = (v: string): AttributeValue => ({ S: v });
const n = (v: number): AttributeValue => ({ N: String(v) });
const key = (pk: string) => ({ pk: s(pk), sk: s('META') });

/** What a test cares about in a record: the change, its key and both images (as Lambda gives them). */
const change = (r: DynamoDBRecord) => ({
  eventName: r.eventName,
  pk: r.dynamodb?.Keys?.pk?.S,
  old: r.dynamodb?.OldImage?.n?.N,
  new: r.dynamodb?.NewImage?.n?.N,
});

describe('StreamPoller against moto', () => {
  it('hands order writes (put, update, transaction) to the handler in order, with both images and the shardId, and passes over the rest', async () => {
    // Prepare
    const tableName = await table();
    const events: FoldStreamEvent[] = [];
    await startPoller(tableName, async (e) => void events.push(e));
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const streamArn = Table!.LatestStreamArn!;
    const shardIds = (
      await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))
    ).StreamDescription!.Shards!.map((x) => x.ShardId);
    const blob = Uint8Array.from([0, 1, 2, 250]);

    // Act
    await dynamo.send(
      new PutItemCommand({ TableName: tableName, Item: { ...key('ORDER#web#1'), n: n(1), blob: { B: blob } } }),
    );
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { ...key('STOCK#sku-1'), n: n(7) } }));
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key('ORDER#web#1'),
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': n(2) },
      }),
    );
    await dynamo.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { ...key('ORDER#web#2'), n: n(1) } } },
          {
            Update: {
              TableName: tableName,
              Key: key('ORDER#web#1'),
              UpdateExpression: 'SET n = :n',
              ExpressionAttributeValues: { ':n': n(3) },
            },
          },
          { Put: { TableName: tableName, Item: { ...key('BAL#sku-1#WH1'), n: n(5) } } },
        ],
      }),
    );
    // a cancelled transaction (its second condition fails) leaves no record, as in DynamoDB
    await expect(
      dynamo.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { ...key('ORDER#web#3'), n: n(1) } } },
            {
              Update: {
                TableName: tableName,
                Key: key('ORDER#web#1'),
                UpdateExpression: 'SET n = :n',
                ConditionExpression: 'n = :zero',
                ExpressionAttributeValues: { ':n': n(4), ':zero': n(0) },
              },
            },
          ],
        }),
      ),
    ).rejects.toThrow(/cancel/i);
    // neither does a write that changes nothing
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key('ORDER#web#1'),
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': n(3) },
      }),
    );
    await poller!.whenIdle({ timeoutMs: 10_000 });

    // Assess
    const records = events.flatMap((e) => e.Records);
    expect(records.map(change)).toEqual([
      { eventName: 'INSERT', pk: 'ORDER#web#1', old: undefined, new: '1' },
      { eventName: 'MODIFY', pk: 'ORDER#web#1', old: '1', new: '2' },
      { eventName: 'INSERT', pk: 'ORDER#web#2', old: undefined, new: '1' },
      { eventName: 'MODIFY', pk: 'ORDER#web#1', old: '2', new: '3' },
    ]);
    // sequence numbers rise within the shard
    const seqs = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    // the record as Lambda delivers it: binary as base64, epoch seconds, the stream's ARN
    expect(records[0]).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventSourceARN: streamArn,
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { pk: { S: 'ORDER#web#1' }, sk: { S: 'META' } },
        NewImage: { blob: { B: Buffer.from(blob).toString('base64') } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
        ApproximateCreationDateTime: expect.any(Number),
      },
    });
    // epoch seconds on AWS's clock (moto's), not the hub's: near the table's creation, not 1000× it
    const created =
      (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table!.CreationDateTime!.getTime() / 1000;
    expect(Math.abs(records[0]!.dynamodb!.ApproximateCreationDateTime! - created)).toBeLessThan(120);
    for (const e of events) {
      expect(shardIds).toContain(e.shardId);
      expect(e).toMatchObject({
        eventSourceARN: streamArn,
        state: {},
        isFinalInvokeForWindow: false,
        isWindowTerminatedEarly: false,
      });
      const [start, end] = [Date.parse(e.window!.start), Date.parse(e.window!.end)];
      expect(end - start).toBe(60_000);
      expect(start % 60_000).toBe(0);
    }
    expect(poller!.stats).toMatchObject({
      records: 4,
      filtered: 2,
      failures: 0,
      pollErrors: 0,
      batches: events.length,
    });
    expect(poller!.stats.lastSequenceNumber).toBeDefined();
    expect(BigInt(poller!.stats.lastSequenceNumber!)).toBeGreaterThanOrEqual(seqs.at(-1)!);
  });

  it('hands a batch whose invocation threw over again, unchanged, and skips nothing', async () => {
    // Prepare: three orders already in the stream, so the first read takes them in one batch
    const tableName = await table();
    for (const i of [1, 2, 3])
      await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { ...key(`ORDER#web#${i}`), n: n(i) } }));
    const calls: FoldStreamEvent[] = [];
    const handled: FoldStreamEvent[] = [];
    const logged: string[] = [];

    // Act
    await startPoller(
      tableName,
      async (e) => {
        calls.push(structuredClone(e));
        if (calls.length === 1) throw new Error('throttled');
        handled.push(e);
      },
      { log: (line) => logged.push(line) },
    );
    await poller!.whenIdle({ timeoutMs: 10_000 });
    for (const i of [4, 5])
      await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { ...key(`ORDER#web#${i}`), n: n(i) } }));
    await poller!.whenIdle({ timeoutMs: 10_000 });

    // Assess
    expect(calls[0]!.Records.map(change).map((c) => c.pk)).toEqual(['ORDER#web#1', 'ORDER#web#2', 'ORDER#web#3']);
    expect(calls[1]).toEqual(calls[0]);
    expect(handled.flatMap((e) => e.Records).map((r) => r.dynamodb!.Keys!.pk!.S)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `ORDER#web#${i}`),
    );
    expect(poller!.stats).toMatchObject({ failures: 1, batches: handled.length + 1, records: 5 });
    expect(logged.join('\n')).toMatch(/handler threw .*retrying the same batch: Error: throttled/);
  });

  it('whenIdle waits for what was written before it; it gives up after timeoutMs on a batch that keeps failing, and stop() still ends promptly', async () => {
    // Prepare
    const tableName = await table();
    const handled: string[] = [];
    let failing = false;
    await startPoller(tableName, async (e) => {
      await new Promise((r) => setTimeout(r, 200));
      if (failing) throw new Error('down');
      handled.push(...e.Records.map((r) => r.dynamodb!.Keys!.pk!.S!));
    });

    // Act + Assess: a slow handler is waited for
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { ...key('ORDER#web#1'), n: n(1) } }));
    const written = Date.now();
    await poller!.whenIdle({ timeoutMs: 10_000 });
    expect(handled).toEqual(['ORDER#web#1']);
    // what a waiter in another process reads from /health instead
    expect(poller!.stats.caughtUpAt).toBeGreaterThanOrEqual(written);

    // a batch that never goes through: never idle
    failing = true;
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: { ...key('ORDER#web#2'), n: n(2) } }));
    await expect(poller!.whenIdle({ timeoutMs: 1_000 })).rejects.toThrow(/not idle after 1000 ms/);
    expect(poller!.stats.failures).toBeGreaterThan(0);
    const started = Date.now();
    await poller!.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(handled).toEqual(['ORDER#web#1']);
    // a stopped poller has nothing left to wait for
    await poller!.whenIdle();
  });

  it('refuses a table without a stream', async () => {
    const tableName = uniqueName('nostream');
    await dynamo.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    drops.push(async () => void (await dynamo.send(new DeleteTableCommand({ TableName: tableName }))));
    const p = new StreamPoller({ dynamo, streams, tableName, region: 'us-east-1', handler: async () => {} });
    await expect(p.start()).rejects.toThrow(/has no stream enabled/);
  });
});
