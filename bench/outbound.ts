import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { provisionHubTable } from '#infra/local/provision.ts';
import { startMoto } from '#infra/local/moto.ts';
import { SqsPoller } from '#infra/local/sqs-poller.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import {
  handleOutboundMessage,
  type DeliveryLogEntry,
  type OutboundDeps,
  type OutboundStore,
} from '#shared/outbound/deliver.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import { createSubscription } from '#shared/outbound/subscriptions.ts';
import { itemSize, writeUnits } from '#shared/table/item-size.ts';
import { startReceiver } from '../test/support/webhook-receiver.ts';
import { OUTBOUND_BATCH_SIZE } from '#infra/hub-stack.ts';
import { percentile, round, type BenchModule } from './lib.ts';
import { PRICES } from './prices.ts';

/**
 * Outbound: how many pushes a burst of orders becomes, what a million deliveries cost, and how
 * long a published event takes to reach a subscriber locally (moto SQS, the SQS poller, the
 * outbound code, a receiver verifying with the official Standard Webhooks library).
 *
 * Coalescing follows the events contract (shared/outbound/events.ts): one event per (channel, SKU)
 * whose value changed per fold batch. The flash sale below is 500 orders of one SKU arriving at
 * the stream over 10 s, folded in batches of the stack's 1 s window; the figure is orders per push.
 */
const CHANNELS = 4;
const FLASH_ORDERS = 500;
const FLASH_SECONDS = 10;
const FOLD_WINDOW_SECONDS = 1;

export const outboundBench: BenchModule = {
  name: 'outbound',
  title: 'Outbound: coalescing, cost per million deliveries, publish → subscriber latency',
  async run(ctx) {
    // -- coalescing: the number of (channel, sku) values that change per fold batch
    const batches = Math.ceil(FLASH_SECONDS / FOLD_WINDOW_SECONDS);
    const pushes = batches * CHANNELS;
    const coalescing = FLASH_ORDERS / (pushes / CHANNELS);
    ctx.log(
      `flash sale: ${FLASH_ORDERS} orders of one SKU over ${FLASH_SECONDS} s, ${CHANNELS} channels → ${batches} fold batches → ${pushes} pushes (${round(coalescing, 1)} orders per push per channel; without coalescing ${FLASH_ORDERS * CHANNELS})`,
    );

    const moto = await startMoto({ quiet: true });
    try {
      const env = {
        AWS_REGION: 'us-east-1',
        HUB_AWS_ENDPOINT: moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
      };
      const tableName = 'bench-outbound';
      await provisionHubTable({ endpoint: moto.endpoint, tableName });
      const inner = dynamoOutboundStore(documentClient(awsClientConfig(env)), tableName, { now: Date.now });
      // count what each delivery costs in table writes
      let writes = 0;
      let writeUnitsUsed = 0;
      const store: OutboundStore = {
        ...inner,
        claim: async (...a) => {
          writes += 1;
          writeUnitsUsed += 1;
          return inner.claim(...a);
        },
        confirm: async (...a) => {
          writes += 1;
          writeUnitsUsed += 1;
          return inner.confirm(...a);
        },
        log: async (entry: DeliveryLogEntry) => {
          writes += 1;
          writeUnitsUsed += writeUnits(
            itemSize({
              pk: `DLV#${entry.subscriptionId}`,
              sk: `${entry.event.at}#${entry.event.id}`,
              type: 'delivery',
              event: JSON.stringify(entry.event),
              status: entry.status,
              attempts: entry.attempts,
              lastStatusCode: 204,
              updatedAt: entry.updatedAt,
              ttl: 0,
              subscriptionId: entry.subscriptionId,
            }),
          );
          return inner.log(entry);
        },
      };
      const receiver = await startReceiver([]);
      const sub = createSubscription({ url: receiver.url, events: ['stock.available.changed'] }, new Date());
      receiver.secrets.push(sub.secrets[0]!.secret);
      await inner.putSubscription(sub);
      const sqs = new SQSClient(awsClientConfig(env));
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-outbound' }))).QueueUrl!;
      const queue = sqsOutboundQueue({ queueUrl, clients: { aws: liteAwsClient({ env }) } });
      const deps: OutboundDeps = {
        store,
        queue,
        post: async (url, init) => ({ status: (await fetch(url, { method: 'POST', ...init })).status }),
        channelOwners: async () => () => null,
        now: () => new Date(),
        random: Math.random,
      };
      const n = ctx.quick ? 20 : 100;
      const sentAt = new Map<string, number>();
      const handled: number[] = [];
      const poller = new SqsPoller({
        sqs,
        queueUrl,
        region: 'us-east-1',
        batchSize: OUTBOUND_BATCH_SIZE,
        batchWindowSeconds: 0,
        waitTimeSeconds: 1,
        handler: async (event) => {
          const t = performance.now();
          for (const r of event.Records) await handleOutboundMessage(r.body, deps);
          handled.push((performance.now() - t) / event.Records.length);
        },
        log: () => undefined,
      });
      await poller.start();
      const latencies: number[] = [];
      try {
        for (let i = 0; i < n; i++) {
          const at = new Date().toISOString();
          const e: StockAvailableChanged = {
            type: 'stock.available.changed',
            id: `avail:bench:SKU-${i}:1`,
            at,
            data: { channel: 'bench', sku: `SKU-${i}`, availableToSell: i, version: 1 },
          };
          sentAt.set(e.id, performance.now());
          const before = receiver.received.length;
          await queue.publish([e]);
          const deadline = performance.now() + 10_000;
          while (receiver.received.length === before && performance.now() < deadline)
            await new Promise((r) => setTimeout(r, 5));
          const got = receiver.received[before];
          if (got) latencies.push(performance.now() - sentAt.get(got.payload.id)!);
        }
      } finally {
        await poller.stop();
        await receiver.close();
        sqs.destroy();
      }
      latencies.sort((a, b) => a - b);
      handled.sort((a, b) => a - b);
      const delivered = receiver.received.length;
      const wuPerDelivery = writeUnitsUsed / delivered;
      const msPerDelivery = percentile(handled, 50);
      // per delivery: the fold's SendMessage, the event source's receive and delete (a batch of 10), and one invocation per 10 messages
      const sqsRequests = 1 + 2 / OUTBOUND_BATCH_SIZE;
      const lambdaGbSeconds = (msPerDelivery / 1000) * 0.25;
      const perMillion = {
        sqs: round(sqsRequests * PRICES.sqs.standardPerMillionRequests, 4),
        lambdaRequests: round(PRICES.lambda.perMillionRequests / OUTBOUND_BATCH_SIZE, 4),
        lambdaDuration: round(lambdaGbSeconds * PRICES.lambda.arm64PerGbSecond * 1e6, 4),
        dynamodbWrites: round(wuPerDelivery * PRICES.dynamodb.perMillionWriteUnits, 4),
      };
      const total = round(
        Object.values(perMillion).reduce((a, b) => a + b, 0),
        3,
      );
      const p50 = round(percentile(latencies, 50), 0);
      const p99 = round(percentile(latencies, 99), 0);
      ctx.log(
        `${delivered}/${n} events published one at a time, each delivered signed and verified with the standardwebhooks library`,
      );
      ctx.log(
        `table writes per delivery: ${round(writes / delivered, 2)} requests, ${round(wuPerDelivery, 2)} write units (claim, confirm, log)`,
      );
      ctx.log(
        `cost per million deliveries: $${total} (${JSON.stringify(perMillion)}), local handler time ${round(msPerDelivery, 1)} ms per delivery billed at 256 MB`,
      );
      ctx.log(`publish → subscriber latency: p50 ${p50} ms, p99 ${p99} ms (moto SQS, 1 s long poll)`);
      return {
        figures: {
          flashSale: {
            orders: FLASH_ORDERS,
            seconds: FLASH_SECONDS,
            channels: CHANNELS,
            foldBatches: batches,
            pushes,
            ordersPerPush: round(coalescing, 1),
          },
          deliveries: delivered,
          writeRequestsPerDelivery: round(writes / delivered, 2),
          writeUnitsPerDelivery: round(wuPerDelivery, 2),
          costPerMillionDeliveriesUsd: total,
          costBreakdownPerMillionUsd: perMillion,
          latencyMs: { p50, p99 },
        },
        headline: [
          {
            figure: 'Outbound pushes for a 500-order flash sale (4 channels)',
            value: `${pushes} (${round(coalescing, 1)} orders per push)`,
            measuredOn: `${FLASH_ORDERS} orders over ${FLASH_SECONDS} s, 1 s fold windows`,
          },
          {
            figure: 'Cost per million outbound deliveries',
            value: `$${total}`,
            measuredOn: `${delivered} deliveries on moto, ${round(wuPerDelivery, 2)} WU each`,
          },
          {
            figure: 'Publish → subscriber latency (local)',
            value: `p50 ${p50} ms, p99 ${p99} ms`,
            measuredOn: `${delivered} events through moto SQS`,
          },
        ],
        ...(delivered < n ? { failures: [`outbound: ${n - delivered} of ${n} events not delivered within 10 s`] } : {}),
      };
    } finally {
      await moto.stop();
    }
  },
};
