import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { stableStringify } from '#shared/domain/stable-json.ts';
import { startMoto } from '#infra/local/moto.ts';
import { provisionHubTable } from '#infra/local/provision.ts';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { changesOf } from '#shared/aws/stream-records.ts';
import { applyFold, resolveRollupZone } from '#shared/stream/fold-apply.ts';
import { BALANCE_MAX_BYTES } from '#shared/inventory/stock-fold.ts';
import type { StreamChange } from '#shared/stream/watermarks.ts';
import type { CostStats } from '#shared/table/port.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { MEMORY_SHARD, foldMemory, streamEvents } from './memory-fold.ts';
import { mixFor, mixLabel, normalizeMix, type BenchModule } from './lib.ts';

export const CROSSCHECK_ORDERS = 100;
/** Fold batch size for the cross-check: small enough that the slice folds in several batches. */
const CROSSCHECK_FOLD_BATCH = 100;
/** One fold time for both tables, so the items they write are the same bytes. */
const FOLD_NOW_MS = Date.parse('2026-11-23T12:00:00.000Z');

/** The order changes on a moto table's stream (one shard), as the fold function receives them. */
async function motoStreamChanges(env: NodeJS.ProcessEnv, tableName: string): Promise<StreamChange[]> {
  const cfg = awsClientConfig(env);
  const dynamo = new DynamoDBClient(cfg);
  const streams = new DynamoDBStreamsClient(cfg);
  try {
    const arn = (await dynamo.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamArn;
    if (!arn) throw new Error(`${tableName} has no stream`);
    const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription?.Shards ?? [];
    const records: DynamoDBRecord[] = [];
    for (const shard of shards) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({ StreamArn: arn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
        )
      ).ShardIterator;
      while (iterator) {
        const res = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        if (!res.Records?.length) break;
        records.push(...(res.Records as DynamoDBRecord[]));
        iterator = res.NextShardIterator;
      }
    }
    return changesOf({ Records: records });
  } finally {
    dynamo.destroy();
    streams.destroy();
  }
}

function delta(after: CostStats, before: CostStats): CostStats {
  return {
    readRequests: after.readRequests - before.readRequests,
    writeRequests: after.writeRequests - before.writeRequests,
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
  };
}

/** An item without what differs by nature between the two streams: their sequence numbers. */
function withoutSequence(it: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(it)) if (!k.startsWith('w_') && k !== 'seq') out[k] = v;
  // a fold ledger row's key names the first change it holds by its sequence number
  if (typeof out.sk === 'string' && out.type === 'moves') out.sk = out.sk.replace(/#[0-9a-z]{26}$/, '#<seq>');
  // a change page's key and its `batch` name the batch by its last sequence number
  if (typeof out.sk === 'string' && out.type === 'change-page') {
    out.sk = out.sk.replace(/#[0-9a-z]{26}#(\d+)$/, '#<seq>#$1');
    out.batch = String(out.batch).replace(/#[0-9a-z]{26}$/, '#<seq>');
  }
  // the emitted available-to-sell values name the batch that emitted them by its last sequence number
  if (out.type === 'ats' && out.ch && typeof out.ch === 'object') {
    const ch: Record<string, unknown> = {};
    for (const [c, v] of Object.entries(out.ch as Record<string, Record<string, unknown>>))
      ch[c] = { ...v, b: String(v.b).replace(/#[^#]*$/, '#<seq>') };
    out.ch = ch;
  }
  return out;
}

/** The hub table as the stack defines it: pk/sk and the sparse byUpdated GSI. */

/**
 * The memory table is only worth its figures if it bills what DynamoTable bills: run the same
 * slice of the mix through DynamoTable on moto and through the memory table, then compare the
 * request and unit counters and the final items. Any difference fails the bench.
 */
export const crossCheckBench: BenchModule = {
  name: 'crosscheck',
  title: 'Memory table vs DynamoTable on moto (same slice)',
  async run(ctx) {
    const mix = await mixFor(ctx, ctx.quick ? 40 : CROSSCHECK_ORDERS);
    const moto = await startMoto();
    try {
      const env = { ...process.env, HUB_AWS_ENDPOINT: moto.endpoint, AWS_REGION: 'us-east-1' };
      const tableName = 'bench-crosscheck';
      // the stack's own table definition (keys, GSI), as the local hub creates it
      await provisionHubTable({ endpoint: moto.endpoint, tableName });
      const doc = documentClient(awsClientConfig(env));
      const dynamo = new DynamoTable(doc, tableName);
      const t0 = Date.now();
      const dynamoCosts = await normalizeMix(mix, dynamo);
      const motoSeconds = (Date.now() - t0) / 1000;
      const memory = new MemoryTable();
      const memoryCosts = await normalizeMix(mix, memory);
      // then the fold over each table's own stream, in the same batches (stock and KPI counters)
      const normalized = { moto: { ...dynamo.stats }, memory: { ...memory.stats } };
      const motoChanges = await motoStreamChanges(env, tableName);
      const zone = await resolveRollupZone(dynamo, 'UTC');
      const events = streamEvents(memory.streamFrom(0).changes);
      for (let i = 0; i < motoChanges.length; i += CROSSCHECK_FOLD_BATCH) {
        await applyFold(
          dynamo,
          MEMORY_SHARD,
          motoChanges.slice(i, i + CROSSCHECK_FOLD_BATCH),
          zone,
          FOLD_NOW_MS,
          () => FOLD_NOW_MS,
          BALANCE_MAX_BYTES,
          events,
        );
      }
      await foldMemory(memory, { batchSize: CROSSCHECK_FOLD_BATCH, zone: 'UTC', nowMs: FOLD_NOW_MS, events });
      const folded = { moto: delta(dynamo.stats, normalized.moto), memory: delta(memory.stats, normalized.memory) };
      if (motoChanges.length !== memory.streamLength)
        throw new Error(
          `crosscheck: moto's stream has ${motoChanges.length} order changes, the memory table's ${memory.streamLength}`,
        );

      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const res = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
        items.push(...(res.Items ?? []));
        start = res.LastEvaluatedKey;
      } while (start);
      const key = (it: Record<string, unknown>) => `${String(it.pk)}\u0000${String(it.sk)}`;
      items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      const memItems = memory.items();
      const same = (a: Record<string, unknown> | undefined, b: Record<string, unknown>) =>
        !!a && stableStringify(withoutSequence(a)) === stableStringify(withoutSequence(b));
      const differing =
        memItems.filter((it, i) => !same(items[i], it)).length + Math.max(0, items.length - memItems.length);
      doc.destroy();

      const failures: string[] = [];
      const fields = ['readRequests', 'writeRequests', 'readUnits', 'writeUnits'] as const;
      for (const f of fields) {
        if (normalized.moto[f] !== normalized.memory[f])
          failures.push(
            `crosscheck: normalize ${f} differ — DynamoTable on moto ${normalized.moto[f]}, memory table ${normalized.memory[f]}`,
          );
        if (folded.moto[f] !== folded.memory[f])
          failures.push(
            `crosscheck: fold ${f} differ — DynamoTable on moto ${folded.moto[f]}, memory table ${folded.memory[f]}`,
          );
      }
      const outcomesDiffer = dynamoCosts.filter(
        (c, i) => c.status !== memoryCosts[i]?.status || c.writeUnits !== memoryCosts[i]?.writeUnits,
      ).length;
      if (outcomesDiffer > 0)
        failures.push(`crosscheck: ${outcomesDiffer} deliveries had another outcome or cost on the memory table`);
      if (differing > 0)
        failures.push(`crosscheck: ${differing} of ${items.length} items differ between moto and the memory table`);

      ctx.log(`measured on ${mixLabel(mix)}; moto took ${motoSeconds.toFixed(1)} s`);
      ctx.log(
        `normalize — DynamoTable on moto: ${JSON.stringify(normalized.moto)}; memory table: ${JSON.stringify(normalized.memory)}`,
      );
      ctx.log(
        `fold (${motoChanges.length} order changes from each table's stream, batches of ${CROSSCHECK_FOLD_BATCH}) — DynamoTable on moto: ${JSON.stringify(folded.moto)}; memory table: ${JSON.stringify(folded.memory)}`,
      );
      ctx.log(
        `write units: moto ${normalized.moto.writeUnits} + ${folded.moto.writeUnits} fold, memory ${normalized.memory.writeUnits} + ${folded.memory.writeUnits} fold → ${failures.length === 0 ? 'EQUAL' : 'DIFFERENT'}; final items: ${items.length} on moto, ${memItems.length} in memory, ${differing} differ (watermark values aside)`,
      );
      for (const f of failures) ctx.log(`FAIL ${f}`);
      return {
        figures: {
          orders: mix.orders.length,
          deliveries: mix.items.length,
          seed: mix.seed,
          dynamoTable: { normalize: normalized.moto, fold: folded.moto },
          memoryTable: { normalize: normalized.memory, fold: folded.memory },
          items: { moto: items.length, memory: memItems.length, differing },
          equal: failures.length === 0,
          motoSeconds,
        },
        headline: [
          {
            figure: 'Cross-check: write units (normalize + fold), DynamoTable on moto vs memory table',
            value: `${normalized.moto.writeUnits} + ${folded.moto.writeUnits} vs ${normalized.memory.writeUnits} + ${folded.memory.writeUnits}`,
            target: 'equal',
            meets: failures.length === 0,
            measuredOn: mixLabel(mix),
          },
        ],
        failures,
      };
    } finally {
      await moto.stop();
    }
  },
};
