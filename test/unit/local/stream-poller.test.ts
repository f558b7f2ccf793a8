import { describe, expect, it } from 'vitest';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import { StreamPoller, keyPrefixFilter, toLambdaAttributeValue, windowAround } from '#infra/local/stream-poller.ts';
import type { FoldStreamEvent } from '#shared/stream/fold-event.ts';

/**
 * The parts moto cannot show: it gives a table one shard that never closes. A fake stream with a
 * closed parent shard, its child and an unrelated shard, whose GetRecords fails once.
 */

const ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000';

interface FakeShard {
  id: string;
  parent?: string;
  closed: boolean;
  records: _Record[];
}

function rec(shard: string, i: number, pk = `ORDER#${shard}#${i}`): _Record {
  return {
    eventName: 'INSERT',
    eventID: `${shard}-${i}`,
    dynamodb: {
      Keys: { pk: { S: pk } },
      NewImage: { pk: { S: pk } },
      SequenceNumber: `${shard.charCodeAt(0)}${String(i).padStart(4, '0')}`,
    },
  };
}

function fakeStream(shards: FakeShard[], opts: { failGetRecordsOnce?: { shard: string; atPosition: number } } = {}) {
  const calls: string[] = [];
  let failed = false;
  const byId = new Map(shards.map((s) => [s.id, s]));
  const streams = {
    send: async (cmd: unknown) => {
      if (cmd instanceof DescribeStreamCommand) {
        return {
          StreamDescription: {
            Shards: shards.map((s) => ({ ShardId: s.id, ...(s.parent ? { ParentShardId: s.parent } : {}) })),
          },
        };
      }
      if (cmd instanceof GetShardIteratorCommand) {
        const { ShardId, ShardIteratorType, SequenceNumber } = cmd.input;
        const shard = byId.get(ShardId!)!;
        const pos =
          ShardIteratorType === 'TRIM_HORIZON'
            ? 0
            : shard.records.findIndex((r) => r.dynamodb!.SequenceNumber === SequenceNumber) + 1;
        calls.push(`iterator ${ShardId} ${ShardIteratorType}${SequenceNumber ? ` ${SequenceNumber}` : ''}`);
        return { ShardIterator: `${ShardId}:${pos}` };
      }
      if (cmd instanceof GetRecordsCommand) {
        const [id, p] = cmd.input.ShardIterator!.split(':');
        const shard = byId.get(id!)!;
        const pos = Number(p);
        const f = opts.failGetRecordsOnce;
        if (f && !failed && f.shard === id && f.atPosition === pos) {
          failed = true;
          throw new ExpiredIteratorException({ message: 'expired', $metadata: {} });
        }
        const records = shard.records.slice(pos, pos + (cmd.input.Limit ?? 1000));
        if (records.length) calls.push(`records ${id} ${records.map((r) => r.eventID).join(',')}`);
        const end = pos + records.length;
        return {
          Records: records,
          NextShardIterator: shard.closed && end >= shard.records.length ? undefined : `${id}:${end}`,
        };
      }
      throw new Error(`unexpected ${String(cmd)}`);
    },
  } as unknown as DynamoDBStreamsClient;
  const dynamo = {
    send: async (cmd: unknown) => {
      if (!(cmd instanceof DescribeTableCommand)) throw new Error('unexpected');
      return {
        Table: {
          LatestStreamArn: ARN,
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        },
      };
    },
  } as unknown as DynamoDBClient;
  return { streams, dynamo, calls };
}

describe('StreamPoller (fake stream)', () => {
  it('reads a child shard only after its parent, each shard in order, and resumes after its checkpoint when a read fails', async () => {
    // Prepare
    const { streams, dynamo, calls } = fakeStream(
      [
        { id: 'B', parent: 'A', closed: false, records: [rec('B', 1), rec('B', 2)] },
        { id: 'A', closed: true, records: [rec('A', 1), rec('A', 2), rec('A', 3, 'STOCK#x')] },
        { id: 'C', closed: false, records: [rec('C', 1), rec('C', 2), rec('C', 3), rec('C', 4), rec('C', 5)] },
      ],
      { failGetRecordsOnce: { shard: 'C', atPosition: 2 } },
    );
    const events: FoldStreamEvent[] = [];
    const poller = new StreamPoller({
      dynamo,
      streams,
      tableName: 't',
      region: 'us-east-1',
      batchSize: 2,
      idleDelayMs: 5,
      retryBaseMs: 1,
      filter: keyPrefixFilter('pk', 'ORDER#'),
      log: () => {},
      handler: async (e) => void events.push(e),
    });

    // Act
    await poller.start();
    await poller.whenIdle({ timeoutMs: 5_000 });
    await poller.stop();

    // Assess
    const order = events.flatMap((e) => e.Records.map((r) => `${e.shardId}:${r.eventID}`));
    const perShard = (s: string) => order.filter((x) => x.startsWith(`${s}:`)).map((x) => x.slice(2));
    expect(perShard('A')).toEqual(['A-1', 'A-2']);
    expect(perShard('B')).toEqual(['B-1', 'B-2']);
    // every record once, in order, across the failed read
    expect(perShard('C')).toEqual(['C-1', 'C-2', 'C-3', 'C-4', 'C-5']);
    // B's first iterator is asked for only after A's last record was read
    expect(calls.indexOf('iterator B TRIM_HORIZON')).toBeGreaterThan(calls.indexOf('records A A-3'));
    // after the failed read, C goes on from the last record it moved past
    expect(calls).toContain(`iterator C AFTER_SEQUENCE_NUMBER ${rec('C', 2).dynamodb!.SequenceNumber}`);
    expect(poller.stats).toMatchObject({ records: 9, filtered: 1, failures: 0, pollErrors: 1 });
    for (const e of events) expect(e.eventSourceARN).toBe(ARN);
  });
});

describe('stream event helpers', () => {
  it('cuts 60 s windows aligned to the minute', () => {
    expect(windowAround(Date.parse('2026-03-02T09:30:41.500Z'), 60)).toEqual({
      start: '2026-03-02T09:30:00.000Z',
      end: '2026-03-02T09:31:00.000Z',
    });
  });

  it('gives binary values, also nested, as base64 as Lambda does', () => {
    expect(
      toLambdaAttributeValue({
        M: { b: { B: Uint8Array.from([255]) }, l: { L: [{ BS: [Uint8Array.from([1, 2])] }, { N: '1' }] } },
      }),
    ).toEqual({ M: { b: { B: '/w==' }, l: { L: [{ BS: ['AQI='] }, { N: '1' }] } } });
  });

  it('filters on a string key prefix only', () => {
    const f = keyPrefixFilter('pk', 'ORDER#');
    expect(f({ dynamodb: { Keys: { pk: { S: 'ORDER#a#1' } } } })).toBe(true);
    expect(f({ dynamodb: { Keys: { pk: { S: 'BAL#a' } } } })).toBe(false);
    expect(f({ dynamodb: { Keys: { pk: { N: '1' } } } })).toBe(false);
    expect(f({})).toBe(false);
  });
});
