import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { awsClientConfig } from '#shared/aws/config.ts';
import { changesOf, countedOf } from '#shared/aws/stream-records.ts';
import { BALANCE_MAX_BYTES } from '#shared/inventory/stock-fold.ts';
import { applyFold, emptyFoldResult, resolveRollupZone, type FoldResult } from '#shared/stream/fold-apply.ts';
import type { TablePort } from '#shared/table/port.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { motoEnv, testClients } from './aws.ts';
import { fixedMsClock } from './clock.ts';

/** Every record of a moto table's stream, per shard, from the beginning. */
export async function readWholeStream(tableName: string): Promise<{ shardId: string; records: DynamoDBRecord[] }[]> {
  const { dynamo } = testClients();
  const arn = (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn;
  if (!arn) throw new Error(`table ${tableName} has no stream`);
  const streams = new DynamoDBStreamsClient(awsClientConfig(motoEnv()));
  const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards ?? [];
  const out: { shardId: string; records: DynamoDBRecord[] }[] = [];
  for (const s of shards) {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({ StreamArn: arn, ShardId: s.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    const records: DynamoDBRecord[] = [];
    while (iterator) {
      const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...((res.Records ?? []) as DynamoDBRecord[]));
      if (!res.Records?.length) break;
      iterator = res.NextShardIterator;
    }
    out.push({ shardId: s.ShardId!, records });
  }
  return out;
}

/** per table and stream shard: the records folded so far (the next call hands over only newer ones) */
const foldedUpTo = new Map<string, number>();

/**
 * What the fold function does in AWS, for tests that apply events directly: folds the table's
 * stream into stock balances, the ledger, the change pages and the KPI counters, handing over the
 * order records and the balances normalize wrote (as the fold's event filter does) recorded since
 * the last call, one batch per shard, as Lambda would. Folding again is safe (the per-shard
 * watermarks skip what was folded before), so tests call it whenever they read stock or KPIs.
 */
export async function foldTable(
  table: TablePort,
  tableName: string,
  zone = 'UTC',
  now: MsClock = fixedMsClock(),
): Promise<FoldResult> {
  const rollupZone = await resolveRollupZone(table, zone);
  const total: FoldResult = emptyFoldResult();
  for (const { shardId, records: all } of await readWholeStream(tableName)) {
    const position = `${tableName}|${shardId}`;
    const records = all.slice(foldedUpTo.get(position) ?? 0);
    if (records.length === 0) continue;
    const batch = { Records: records };
    const r = await applyFold(
      table,
      shardId,
      changesOf(batch),
      rollupZone,
      now(),
      now,
      BALANCE_MAX_BYTES,
      undefined,
      countedOf(batch),
    );
    foldedUpTo.set(position, all.length);
    total.changes += r.changes;
    total.counters += r.counters;
    total.written += r.written;
    total.balances += r.balances;
    total.ledgerRows += r.ledgerRows;
    total.pageRows += r.pageRows;
    total.oversells += r.oversells;
    total.events += r.events;
    total.skipped.push(...r.skipped);
  }
  return total;
}
