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
import { EVENTS_PER_MESSAGE } from '#shared/aws/outbound-queue.ts';
import { PUSHED_SOURCES } from '#shared/outbound/connectors/push.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { ALLOWANCES, costBench, deployedSettings, foldBatchMs } from './cost.ts';
import { measureClientCpu } from './client-cpu.ts';
import { normalizeMix, percentile, round, type BenchContext, type BenchModule } from './lib.ts';
import { streamEvents } from './memory-fold.ts';
import { foldWriteUnits, measureFold, measureNormalize, quietFoldBatch, type FoldCost } from './normalize-cost.ts';
import { MERCHANT_DAYS } from './cost.ts';
import { orderToChannelLatency } from './outbound-e2e.ts';
import { PRICES } from './prices.ts';

/**
 * What the standard mix's deliveries become through the real fold's event derivation
 * (shared/stream/fold-apply.ts → shared/inventory/stock-events.ts), folded in the batches a fold
 * window gathers at a delivery rate: stock.available.changed events, channel pushes (the
 * available-to-sell events of channels whose connection source has a connector), balance events,
 * and the outbound queue messages the publisher would send (EVENTS_PER_MESSAGE a message).
 */
interface Derived {
  label: string;
  batchSize: number;
  foldBatches: number;
  available: number;
  balance: number;
  pushes: number;
  messages: number;
  /** the messages' SendMessage requests as billed: one per 64 KB of each message's body */
  billedSends: number;
  /** the fold of the same stream in the same batches, deriving (a hub with listeners) */
  fold: FoldCost;
}

/** SQS bills a request per 64 KB chunk of its payload. */
const SQS_BILLED_CHUNK_BYTES = 64 * 1024;

async function deriveEvents(ctx: BenchContext, label: string, batchSize: number): Promise<Derived> {
  return ctx.memo(`outbound-derive-${batchSize}`, async () => {
    const { mix } = await measureNormalize(ctx);
    const t = new MemoryTable();
    await normalizeMix(mix, t);
    const base = streamEvents(t.streamFrom(0).changes);
    // the mix's channels and the source each is connected through (bench/mix.ts connections)
    const pushed = new Set(mix.connections.filter((c) => PUSHED_SOURCES.has(c.source)).map((c) => c.channel));
    const counts = { available: 0, balance: 0, pushes: 0, messages: 0, billedSends: 0 };
    const fold = await measureFold(t, batchSize, {
      channels: base.channels,
      publisher: {
        publish: async (events) => {
          if (events.length === 0) return;
          // as sqsOutboundQueue sends them: EVENTS_PER_MESSAGE a message, one SendMessage each
          for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
            const body = JSON.stringify({ kind: 'events', events: events.slice(i, i + EVENTS_PER_MESSAGE) });
            counts.messages += 1;
            counts.billedSends += Math.ceil(Buffer.byteLength(body) / SQS_BILLED_CHUNK_BYTES);
          }
          for (const e of events) {
            if (e.type === 'stock.balance.changed') counts.balance += 1;
            else {
              counts.available += 1;
              if (pushed.has(e.data.channel)) counts.pushes += 1;
            }
          }
        },
      },
    });
    return { label, batchSize, foldBatches: fold.batches, ...counts, fold };
  });
}

/**
 * Billed time allowances for what a local run cannot measure: the outbound function waits on the
 * subscriber's endpoint and the channel's API (remote, typically 100–300 ms), and a message's
 * deliveries and pushes go out concurrently, so one message bills about one such wait.
 */
const REMOTE_CALL_MS = 300;
const OUTBOUND_MEMORY_GB = 0.25;
/** a channel push: version claim, confirmation, PUSHED# record (one listing); the SKU's listings read (Query + BatchGet, eventually consistent) */
const PUSH_WRITE_UNITS = 3;
const PUSH_READ_UNITS = 1;

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
  ownProcess: true,
  title: 'Outbound: coalescing, cost per million deliveries, publish → subscriber latency',
  async run(ctx) {
    // -- coalescing: the number of (channel, sku) values that change per fold batch
    const batches = Math.ceil(FLASH_SECONDS / FOLD_WINDOW_SECONDS);
    const pushes = batches * CHANNELS;
    const coalescing = FLASH_ORDERS / (pushes / CHANNELS);
    ctx.log(
      `flash sale: ${FLASH_ORDERS} orders of one SKU over ${FLASH_SECONDS} s, ${CHANNELS} channels → ${batches} fold batches → ${pushes} pushes (${round(coalescing, 1)} orders per push per channel; without coalescing ${FLASH_ORDERS * CHANNELS})`,
    );

    // -- the standard mix through the fold's event derivation
    const { mix, costs, fold, table } = await measureNormalize(ctx);
    const deliveries = costs.length;
    const streamLength = table.streamLength;
    const rates = [
      ['quiet hub, 1 delivery/s', 1],
      [`large merchant, ${MERCHANT_DAYS.large.toLocaleString('en-US')}/day`, MERCHANT_DAYS.large / 86_400],
    ] as const;
    const derived: Derived[] = [];
    for (const [name, perSecond] of rates)
      for (const window of [1, 5])
        derived.push(
          await deriveEvents(
            ctx,
            `${name}, ${window} s fold window`,
            quietFoldBatch(window, streamLength, deliveries, perSecond),
          ),
        );
    derived.push(await deriveEvents(ctx, 'busy hub, full fold batches', fold.busyBatch.batchSize));
    const per = (n: number) => round(n / deliveries, 4);
    ctx.log(
      `the benchmark mix (${mix.orders.length} orders, ${deliveries} deliveries, seed ${ctx.seed}) through the fold's event derivation; channel pushes = available-to-sell events of the channels with a connector (${[...new Set(mix.connections.filter((c) => PUSHED_SOURCES.has(c.source)).map((c) => c.channel))].join(', ')}):`,
    );
    for (const d of derived)
      ctx.log(
        `  ${d.label} (fold batches of ${d.batchSize} records, ${d.foldBatches} batches): ${per(d.available)} stock.available.changed, ${per(d.pushes)} channel pushes, ${per(d.balance)} stock.balance.changed per delivery; ${d.messages} outbound queue messages`,
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
      // -- outbound beside the busy hub's cost per million inbound webhooks
      const busy = derived.at(-1)!;
      const busyHub = (await costBench.run({ ...ctx, log: () => undefined })).figures as { totalPerMillion: number };
      // the busy hub's figure folds with nothing listening; what deriving the events adds to its fold
      // (the same stream in the same batches, deriving): the SKU queries, the ATS# writes, their
      // request rounds (16 at a time, as stock-events.ts) and the publish's SendMessage round
      const d = busy.fold;
      const foldMb = deployedSettings().foldMemoryMb;
      const clientMs = (await measureClientCpu(ctx)).dynamoRequestMs;
      const derivation = {
        writeUnits: (foldWriteUnits(d) - foldWriteUnits(fold.busy)) / deliveries,
        atsWriteUnits: (d.writeUnitsByItemType.ATS ?? 0) / deliveries,
        readUnits: (d.readUnits - fold.busy.readUnits) / deliveries,
        queries: d.readRequests - fold.busy.readRequests,
        writes: d.writeRequests - fold.busy.writeRequests,
      };
      const perBatch = (n: number) => n / Math.max(1, d.batches);
      const derivationRounds =
        Math.ceil(perBatch(derivation.queries) / 16) +
        Math.ceil(perBatch(derivation.writes) / 16) +
        (busy.messages > 0 ? 1 : 0);
      const derivationMsPerBatch =
        Math.max(0, foldBatchMs(d, foldMb, clientMs) - foldBatchMs(fold.busy, foldMb, clientMs)) +
        derivationRounds * ALLOWANCES.dynamoRoundTripMs;
      const SUBSCRIBERS = 1;
      const subscriberDeliveries = ((busy.available + busy.balance) * SUBSCRIBERS) / deliveries;
      const pushesPer = busy.pushes / deliveries;
      const messagesPer = busy.messages / deliveries;
      const outboundLines = {
        derivationWrites: derivation.writeUnits * PRICES.dynamodb.perMillionWriteUnits,
        derivationReads: derivation.readUnits * PRICES.dynamodb.perMillionReadUnits,
        derivationDuration:
          ((foldMb / 1024) * (derivationMsPerBatch / 1000) * d.batches * PRICES.lambda.arm64PerGbSecond * 1e6) /
          deliveries,
        // the fold's SendMessage per message (billed per 64 KB), the event source's receive and delete per batch of 10
        sqs:
          ((busy.billedSends + busy.messages * (2 / OUTBOUND_BATCH_SIZE)) / deliveries) *
          PRICES.sqs.standardPerMillionRequests,
        lambdaRequests: (messagesPer / OUTBOUND_BATCH_SIZE) * PRICES.lambda.perMillionRequests,
        lambdaDuration:
          messagesPer * (REMOTE_CALL_MS / 1000) * OUTBOUND_MEMORY_GB * PRICES.lambda.arm64PerGbSecond * 1e6,
        subscriberWrites: subscriberDeliveries * wuPerDelivery * PRICES.dynamodb.perMillionWriteUnits,
        pushWrites: pushesPer * PUSH_WRITE_UNITS * PRICES.dynamodb.perMillionWriteUnits,
        pushReads: pushesPer * PUSH_READ_UNITS * PRICES.dynamodb.perMillionReadUnits,
      };
      const outboundPerMillion = round(
        Object.values(outboundLines).reduce((a, b) => a + b, 0),
        4,
      );
      const withOutbound = round(busyHub.totalPerMillion + outboundPerMillion, 2);
      ctx.log(
        `deriving the events in the busy hub's fold (${d.batches} batches of ≤ ${d.batchSize} records): ${round(derivation.writeUnits, 4)} WU per delivery (ATS# ${round(derivation.atsWriteUnits, 4)}), ${round(derivation.readUnits, 4)} RU per delivery (${derivation.queries} SKU queries), ${derivationRounds} request rounds per batch → ${round(derivationMsPerBatch, 1)} ms per batch at ${foldMb} MB; ${busy.messages} SendMessage (${busy.billedSends} billed 64 KB requests); fold WU by item type with listeners: ${JSON.stringify(d.writeUnitsByItemType)}`,
      );
      ctx.log(
        `busy hub $${busyHub.totalPerMillion.toFixed(2)}/M; with outbound to ${SUBSCRIBERS} subscriber (both event types) + channel pushes $${withOutbound.toFixed(2)}/M (outbound $${outboundPerMillion.toFixed(2)}/M: ${round(subscriberDeliveries, 3)} deliveries and ${round(pushesPer, 3)} pushes per webhook, ${round(messagesPer, 4)} queue messages; ${JSON.stringify(Object.fromEntries(Object.entries(outboundLines).map(([k, v]) => [k, round(v, 4)])))}; ${REMOTE_CALL_MS} ms billed per message for the remote calls)`,
      );
      // -- an order on one channel to another channel's listed quantity, on the local hub
      const orderToPush = await orderToChannelLatency(ctx);
      ctx.log(
        `order on channel A → channel B's listed quantity on its (fake Shopify) API, local hub: p50 ${orderToPush.p50} ms, p99 ${orderToPush.p99} ms, max ${orderToPush.max} ms (${orderToPush.pushed}/${orderToPush.orders} orders one at a time; the fold's window is the stack's)`,
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
          mix: { orders: mix.orders.length, deliveries, seed: ctx.seed },
          derivedPerDelivery: derived.map((d) => ({
            label: d.label,
            foldBatchRecords: d.batchSize,
            foldBatches: d.foldBatches,
            availableChanged: per(d.available),
            channelPushes: per(d.pushes),
            balanceChanged: per(d.balance),
            queueMessages: d.messages,
          })),
          perMillionInbound: {
            busyHubUsd: busyHub.totalPerMillion,
            outboundUsd: outboundPerMillion,
            withOutboundUsd: withOutbound,
            subscribers: SUBSCRIBERS,
            subscriberDeliveriesPerWebhook: round(subscriberDeliveries, 4),
            channelPushesPerWebhook: round(pushesPer, 4),
            lines: Object.fromEntries(Object.entries(outboundLines).map(([k, v]) => [k, round(v, 4)])),
            remoteCallMsPerMessage: REMOTE_CALL_MS,
            derivation: {
              writeUnitsPerDelivery: round(derivation.writeUnits, 4),
              atsWriteUnitsPerDelivery: round(derivation.atsWriteUnits, 4),
              readUnitsPerDelivery: round(derivation.readUnits, 4),
              skuQueries: derivation.queries,
              requestRoundsPerBatch: derivationRounds,
              msPerBatch: round(derivationMsPerBatch, 1),
              billedSendMessages: busy.billedSends,
            },
          },
          orderToChannelPushMs: orderToPush,
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
            figure: 'Channel pushes per delivery (benchmark mix, 5 s fold window)',
            value: derived
              .filter((d) => d.label.includes('5 s'))
              .map((d) => `${per(d.pushes)} (${d.label.split(',')[0]})`)
              .join('; '),
            measuredOn: `${mix.orders.length} orders / ${deliveries} deliveries through the fold's event derivation`,
          },
          {
            figure: 'Cost per million webhooks with outbound (busy hub)',
            value: `$${busyHub.totalPerMillion.toFixed(2)} → $${withOutbound.toFixed(2)} with 1 subscriber + channel pushes`,
            measuredOn: `${mix.orders.length} orders / ${deliveries} deliveries, full fold batches`,
          },
          {
            figure: 'Cost per million outbound deliveries',
            value: `$${total}`,
            measuredOn: `${delivered} deliveries on moto, ${round(wuPerDelivery, 2)} WU each`,
          },
          {
            figure: 'Order on channel A → channel B’s listed quantity (local hub)',
            value: `p50 ${orderToPush.p50} ms, max ${orderToPush.max} ms`,
            measuredOn: `${orderToPush.pushed} orders, fake Shopify Admin API, moto`,
          },
          {
            figure: 'Publish → subscriber latency (local)',
            value: `p50 ${p50} ms, p99 ${p99} ms`,
            measuredOn: `${delivered} events through moto SQS`,
          },
        ],
        ...(delivered < n || orderToPush.pushed < orderToPush.orders
          ? {
              failures: [
                ...(delivered < n ? [`outbound: ${n - delivered} of ${n} events not delivered within 10 s`] : []),
                ...(orderToPush.pushed < orderToPush.orders
                  ? [`outbound: ${orderToPush.orders - orderToPush.pushed} orders not pushed to channel B within 30 s`]
                  : []),
              ],
            }
          : {}),
      };
    } finally {
      await moto.stop();
    }
  },
};
