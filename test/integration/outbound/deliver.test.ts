import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, CreateQueueCommand } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#shared/aws/config.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoOutboundStore, type DynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { systemClock } from '#shared/domain/clock.ts';
import {
  MAX_QUEUE_DELAY_SECONDS,
  handleOutboundMessage,
  replay,
  type OutboundDeps,
  type OutboundMessage,
} from '#shared/outbound/deliver.ts';
import type { StockAvailableChanged, StockBalanceChanged } from '#shared/outbound/events.ts';
import { createSubscription, rotateSecret, type NewSubscription } from '#shared/outbound/subscriptions.ts';
import { motoEnv, testClients, uniqueName } from '../../support/aws.ts';
import { freshTable } from '../../support/table.ts';
import { startReceiver, type WebhookReceiver } from '../../support/webhook-receiver.ts';

// The Standard Webhooks library verifies `webhook-timestamp` against the machine's clock (5-minute
// tolerance), so deliveries here are signed with the real clock, as a Lambda would sign them.
const now = systemClock;

const avail = (channel: string, sku: string, availableToSell: number, version: number): StockAvailableChanged => ({
  type: 'stock.available.changed',
  id: `avail:${channel}:${sku}:${version}`,
  at: now().toISOString(),
  data: { channel, sku, availableToSell, version },
});
const balance = (sku: string, location: string, version: number): StockBalanceChanged => ({
  type: 'stock.balance.changed',
  id: `bal:${sku}:${location}:${version}`,
  at: now().toISOString(),
  data: { sku, location, onHand: 10, reserved: 2, available: 8, version },
});

let tbl: Awaited<ReturnType<typeof freshTable>>;
let store: DynamoOutboundStore;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  tbl = await freshTable('outbound');
  store = dynamoOutboundStore(documentClient(awsClientConfig(motoEnv())), tbl.tableName, {
    now: () => now().getTime(),
    subscriptionsMaxAgeSeconds: 0,
  });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await tbl.drop();
});

function harness(owners: Record<string, string | null> = {}) {
  const queued: { message: OutboundMessage; delaySeconds: number }[] = [];
  const deps: OutboundDeps = {
    store,
    queue: { send: async (message, delaySeconds) => void queued.push({ message, delaySeconds }) },
    post: async (url, init) => {
      const res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body });
      return { status: res.status };
    },
    channelOwners: async () => (channel) => owners[channel],
    now,
    random: () => 0.5,
  };
  /** runs what was queued as if its delay had passed (the delays themselves are asserted) */
  async function drain(): Promise<void> {
    while (queued.length > 0) {
      const { message } = queued.shift()!;
      const due = message.kind === 'attempt' ? { ...message, dueAt: now().getTime() } : message;
      await handleOutboundMessage(JSON.stringify(due), deps);
    }
  }
  return { deps, queued, drain };
}

async function subscribe(input: Omit<NewSubscription, 'url'>) {
  const receiver = await startReceiver([]);
  receivers.push(receiver);
  const sub = createSubscription({ ...input, url: receiver.url }, now());
  receiver.secrets.push(sub.secrets[0]!.secret);
  await store.putSubscription(sub);
  return { sub, receiver };
}

const events = (...e: unknown[]) => JSON.stringify({ kind: 'events', events: e });

describe('outbound delivery', () => {
  it('delivers a stock.available.changed event signed per Standard Webhooks, and logs it', async () => {
    const { sub, receiver } = await subscribe({ events: ['stock.available.changed'], channels: ['shop-a'] });
    const h = harness();
    await handleOutboundMessage(events(avail('shop-a', 'SKU-1', 7, 3), avail('shop-b', 'SKU-1', 9, 1)), h.deps);
    expect(receiver.rejected).toBe(0);
    expect(receiver.received.map((r) => r.payload)).toEqual([
      {
        type: 'stock.available.changed',
        timestamp: expect.any(String),
        id: 'avail:shop-a:SKU-1:3',
        data: { channel: 'shop-a', sku: 'SKU-1', availableToSell: 7, version: 3 },
      },
    ]);
    expect(receiver.received[0]!.id).toMatch(/^msg_/);
    const log = await store.deliveries(sub.id, '2000-01-01', '2100-01-01');
    expect(log.map((l) => [l.status, l.attempts, l.lastStatusCode])).toEqual([['delivered', 1, 204]]);
    // the same event published again (a retried fold batch) is not delivered twice
    await handleOutboundMessage(events(avail('shop-a', 'SKU-1', 7, 3)), h.deps);
    expect(receiver.received).toHaveLength(1);
  });

  it('a partner subscription never receives another partner’s channels or unlisted locations', async () => {
    const owners = { 'acme-shop': 'acme', 'other-shop': 'other', 'own-shop': null };
    const { receiver } = await subscribe({
      events: ['stock.available.changed', 'stock.balance.changed'],
      partner: 'acme',
    });
    const { receiver: listed } = await subscribe({
      events: ['stock.available.changed', 'stock.balance.changed'],
      partner: 'acme',
      // naming another partner's channel does not give it access
      channels: ['acme-shop', 'other-shop'],
      locations: ['WH-ACME'],
    });
    const h = harness(owners);
    await handleOutboundMessage(
      events(
        avail('acme-shop', 'P-1', 1, 1),
        avail('other-shop', 'P-1', 2, 1),
        avail('own-shop', 'P-1', 3, 1),
        balance('P-1', 'WH-ACME', 1),
        balance('P-1', 'WH-OTHER', 1),
      ),
      h.deps,
    );
    expect(receiver.received.map((r) => r.payload.id)).toEqual(['avail:acme-shop:P-1:1']);
    expect(listed.received.map((r) => r.payload.id).sort()).toEqual(['avail:acme-shop:P-1:1', 'bal:P-1:WH-ACME:1']);
  });

  it('retries on the schedule through queue delays, in hops past 15 minutes, and never sends an older version after a newer one', async () => {
    const { sub, receiver } = await subscribe({ events: ['stock.available.changed'], channels: ['retry-shop'] });
    const h = harness();
    receiver.failNext(3);
    await handleOutboundMessage(events(avail('retry-shop', 'R-1', 5, 1)), h.deps);
    expect(h.queued.map((q) => q.delaySeconds)).toEqual([5]); // attempt 2 after ~5 s (jitter 0 at random 0.5)
    let next = h.queued.shift()!;
    await handleOutboundMessage(JSON.stringify({ ...next.message, dueAt: now().getTime() }), h.deps);
    expect(h.queued.map((q) => q.delaySeconds)).toEqual([300]);
    next = h.queued.shift()!;
    await handleOutboundMessage(JSON.stringify({ ...next.message, dueAt: now().getTime() }), h.deps);
    // attempt 4 is 30 minutes away: SQS holds it 15, then the message hops once more
    expect(h.queued.map((q) => q.delaySeconds)).toEqual([MAX_QUEUE_DELAY_SECONDS]);
    const hop = h.queued.shift()!;
    expect(hop.message.kind === 'attempt' && hop.message.dueAt - now().getTime()).toBeGreaterThan(1790_000);
    await handleOutboundMessage(JSON.stringify(hop.message), h.deps);
    expect(h.queued).toHaveLength(1);
    expect(h.queued[0]!.delaySeconds).toBe(MAX_QUEUE_DELAY_SECONDS);
    expect(receiver.received).toHaveLength(0);
    // meanwhile version 2 is published and delivered
    await handleOutboundMessage(events(avail('retry-shop', 'R-1', 4, 2)), h.deps);
    expect(receiver.received.map((r) => r.payload.data.version)).toEqual([2]);
    // version 1's retry comes due: superseded, not sent
    await h.drain();
    expect(receiver.received.map((r) => r.payload.data.version)).toEqual([2]);
    const log = await store.deliveries(sub.id, '2000-01-01', '2100-01-01');
    expect(Object.fromEntries(log.map((l) => [l.event.data.version, l.status]))).toEqual({
      1: 'superseded',
      2: 'delivered',
    });
  });

  it('disables an endpoint after the last attempt fails', async () => {
    const { sub, receiver } = await subscribe({ events: ['stock.available.changed'], channels: ['dead-shop'] });
    const h = harness();
    receiver.failNext(100);
    await handleOutboundMessage(events(avail('dead-shop', 'D-1', 1, 1)), h.deps);
    await h.drain();
    const after = await store.getSubscription(sub.id);
    expect(after?.status).toBe('disabled');
    expect(after?.disabledReason).toMatch(/8 attempts .* HTTP 500/);
    const [entry] = await store.deliveries(sub.id, '2000-01-01', '2100-01-01');
    expect([entry?.status, entry?.attempts, entry?.lastError]).toEqual(['failed', 8, 'HTTP 500']);
    // a disabled subscription gets nothing more
    receiver.failNext(0);
    await handleOutboundMessage(events(avail('dead-shop', 'D-1', 1, 2)), h.deps);
    expect(receiver.received).toHaveLength(0);
  });

  it('signs with both secrets during a rotation: a receiver holding either verifies', async () => {
    const { sub, receiver } = await subscribe({ events: ['stock.available.changed'], channels: ['rot-shop'] });
    const rotated = rotateSecret(sub, now());
    await store.putSubscription(rotated);
    receiver.secrets.splice(0, 1, rotated.secrets[1]!.secret); // the receiver moved to the new secret
    const h = harness();
    await handleOutboundMessage(events(avail('rot-shop', 'S-1', 2, 1)), h.deps);
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    receiver.secrets.splice(0, 1, rotated.secrets[0]!.secret); // or still holds the old one
    await handleOutboundMessage(events(avail('rot-shop', 'S-1', 1, 2)), h.deps);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.rejected).toBe(0);
  });

  it('replays a time range: the newest version of each subject, again', async () => {
    const { sub, receiver } = await subscribe({ events: ['stock.available.changed'], channels: ['replay-shop'] });
    const h = harness();
    await handleOutboundMessage(events(avail('replay-shop', 'A', 1, 1), avail('replay-shop', 'B', 1, 1)), h.deps);
    await handleOutboundMessage(events(avail('replay-shop', 'A', 0, 2)), h.deps);
    expect(receiver.received).toHaveLength(3);
    const entries = await store.deliveries(sub.id, '2000-01-01', '2100-01-01');
    expect(await replay(entries, h.deps)).toBe(2);
    await h.drain();
    expect(
      receiver.received
        .slice(3)
        .map((r) => r.payload.id)
        .sort(),
    ).toEqual(['avail:replay-shop:A:2', 'avail:replay-shop:B:1']);
  });

  it('the SQS publisher puts a fold batch on the queue in messages the outbound function reads', async () => {
    const { sqs } = testClients();
    const q = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('outbound') }));
    const queueUrl = q.QueueUrl!;
    const publisher = sqsOutboundQueue({ queueUrl, clients: { aws: liteAwsClient({ env: motoEnv() }) } });
    const batch = Array.from({ length: 450 }, (_, i) => avail('pub-shop', `SKU-${i}`, i, 1));
    await publisher.publish(batch);
    const bodies: string[] = [];
    for (let i = 0; i < 5 && bodies.length < 3; i++) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      bodies.push(...(r.Messages ?? []).map((m) => m.Body!));
    }
    expect(bodies).toHaveLength(3);
    const got = bodies.flatMap((b) => (JSON.parse(b) as { events: { id: string }[] }).events.map((e) => e.id));
    expect(got.sort()).toEqual(batch.map((e) => e.id).sort());
  });
});
