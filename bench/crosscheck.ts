import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { stableStringify } from '#shared/normalize/stable-json.ts';
import { startMoto } from '#infra/local/moto.ts';
import { provisionHubTable } from '#infra/local/provision.ts';
import { MemoryTable } from './memory-table.ts';
import { mixFor, mixLabel, normalizeMix, type BenchModule } from './lib.ts';

export const CROSSCHECK_ORDERS = 100;

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
      const differing = memItems.filter((it, i) => !items[i] || stableStringify(items[i]) !== stableStringify(it)).length + Math.max(0, items.length - memItems.length);
      doc.destroy();

      const failures: string[] = [];
      const fields = ['readRequests', 'writeRequests', 'readUnits', 'writeUnits'] as const;
      for (const f of fields) {
        if (dynamo.stats[f] !== memory.stats[f]) failures.push(`crosscheck: ${f} differ — DynamoTable on moto ${dynamo.stats[f]}, memory table ${memory.stats[f]}`);
      }
      const outcomesDiffer = dynamoCosts.filter((c, i) => c.status !== memoryCosts[i]?.status || c.writeUnits !== memoryCosts[i]?.writeUnits).length;
      if (outcomesDiffer > 0) failures.push(`crosscheck: ${outcomesDiffer} deliveries had another outcome or cost on the memory table`);
      if (differing > 0) failures.push(`crosscheck: ${differing} of ${items.length} items differ between moto and the memory table`);

      ctx.log(`measured on ${mixLabel(mix)}; moto took ${motoSeconds.toFixed(1)} s`);
      ctx.log(`DynamoTable on moto: ${JSON.stringify(dynamo.stats)}`);
      ctx.log(`memory table:        ${JSON.stringify(memory.stats)}`);
      ctx.log(`write units: moto ${dynamo.stats.writeUnits}, memory ${memory.stats.writeUnits} → ${dynamo.stats.writeUnits === memory.stats.writeUnits ? 'EQUAL' : 'DIFFERENT'}; final items: ${items.length} on moto, ${memItems.length} in memory, ${differing} differ`);
      for (const f of failures) ctx.log(`FAIL ${f}`);
      return {
        figures: {
          orders: mix.orders.length,
          deliveries: mix.items.length,
          seed: mix.seed,
          dynamoTable: { ...dynamo.stats },
          memoryTable: { ...memory.stats },
          items: { moto: items.length, memory: memItems.length, differing },
          equal: failures.length === 0,
          motoSeconds,
        },
        headline: [
          {
            figure: 'Cross-check: write units, DynamoTable on moto vs memory table',
            value: `${dynamo.stats.writeUnits} vs ${memory.stats.writeUnits}`,
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
