import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { adapt } from '#shared/adapters/index.ts';
import { documentClient, type DynamoTable } from '#shared/aws/table.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { listQuarantine, redriveDlq, replayQuarantined } from '#shared/aws/quarantine.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { ebayClient } from '#shared/hydrate/ebay-client.ts';
import { hydrateMessage } from '#shared/hydrate/hydrate.ts';
import { ebayOrder, fakeEbay } from '../../support/fake-senders.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { keys } from '#shared/table/keys.ts';
import { TableValidationError, WriteConflictError } from '#shared/table/port.ts';
import { freshTable } from '../../support/table.ts';
import { motoEnv, testClients, uniqueName } from '../../support/aws.ts';
import { channelList } from '../../support/channels.ts';

let table: DynamoTable;
let tableName: string;
let drop: () => Promise<void>;
beforeEach(async () => {
  ({ table, tableName, drop } = await freshTable('quar'));
});
afterEach(async () => drop());

function message(body: unknown, deliveryId = 'dlv_q1'): string {
  const d: Delivery = {
    v: 1,
    deliveryId,
    connectionId: 'wms',
    source: 'standard-webhooks',
    channel: 'wms',
    partner: null,
    dedupKey: deliveryId,
    receivedAt: '2026-06-01T10:00:00.000Z',
    headers: {},
    body: { kind: 'inline', encoding: 'utf8', data: typeof body === 'string' ? body : JSON.stringify(body) },
  };
  return JSON.stringify(d);
}

const deps = () => ({
  table,
  adapt,
  channels: channelList(),
  now: () => new Date('2026-06-01T11:00:00Z'),
  loadBody: async (d: Delivery) => Buffer.from(d.body.kind === 'inline' ? d.body.data : ''),
});

describe('quarantine', () => {
  it('sets aside a schema error, an unknown event and an unparseable message with their reasons', async () => {
    // Act
    const a = await normalizeMessage(
      message({ type: 'stock.set', timestamp: '2026-06-01T10:00:00Z', data: { sku: 'A', location: 'WH1' } }, 'dlv_a'),
      deps(),
    );
    const b = await normalizeMessage(
      message({ type: 'order.exploded', timestamp: '2026-06-01T10:00:00Z', data: {} }, 'dlv_b'),
      deps(),
    );
    const c = await normalizeMessage('not json at all', deps());
    // Assess
    expect([a.status, b.status, c.status]).toEqual(['quarantined', 'quarantined', 'quarantined']);
    const listed = await listQuarantine(documentClient(awsClientConfig(motoEnv())), tableName, {
      now: new Date('2026-06-01T12:00:00Z'),
      days: 1,
    });
    const reasons = Object.fromEntries(
      listed.map((q) => [q.deliveryId.startsWith('unparsed-') ? 'unparsed' : q.deliveryId, q.reason]),
    );
    expect(reasons).toEqual({ dlv_a: 'schema', dlv_b: 'unknown-event', unparsed: 'malformed-message' });
    expect(listed.find((q) => q.deliveryId === 'dlv_a')?.message).toMatch(/onHand/);
  });

  it('acknowledges a Shopify topic the hub has no use for as ignored: nothing is quarantined or written', async () => {
    // Prepare
    const d: Delivery = {
      ...(JSON.parse(message('{"id": 706405506930370084, "email": "bob@biller.com"}', 'dlv_ign')) as Delivery),
      source: 'shopify',
      connectionId: 'shop',
      channel: 'shop',
      headers: { 'x-shopify-topic': 'customers/update' },
    };
    // Act
    const outcome = await normalizeMessage(JSON.stringify(d), deps());
    // Assess
    expect(outcome).toEqual({ status: 'ignored', deliveryId: 'dlv_ign', source: 'shopify', topic: 'customers/update' });
    const listed = await listQuarantine(documentClient(awsClientConfig(motoEnv())), tableName, {
      now: new Date('2026-06-01T12:00:00Z'),
      days: 1,
    });
    expect(listed).toEqual([]);
  });

  it('replays a quarantined delivery through the queue once its cause is fixed, and a second replay changes nothing', async () => {
    // Prepare: a stock level for a listing nobody has mapped yet
    const { sqs } = testClients();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('replay') }))).QueueUrl!;
    const level = message(
      {
        type: 'stock.set',
        timestamp: '2026-06-01T10:00:00Z',
        data: { sku: 'SKU-1', location: 'WH1', onHand: 5, asOf: '2026-06-01T10:00:00Z' },
      },
      'dlv_ok',
    );
    const unmapped = JSON.parse(message({}, 'dlv_unmapped')) as Delivery;
    unmapped.source = 'square';
    unmapped.body = {
      kind: 'inline',
      encoding: 'utf8',
      data: JSON.stringify({
        merchant_id: 'M1',
        type: 'inventory.count.updated',
        event_id: 'e-1',
        created_at: '2026-06-01T10:00:00Z',
        data: {
          type: 'inventory_counts',
          id: 'x',
          object: {
            inventory_counts: [
              {
                catalog_object_id: 'VAR-9',
                catalog_object_type: 'ITEM_VARIATION',
                state: 'IN_STOCK',
                location_id: 'L1',
                quantity: '7',
                calculated_at: '2026-06-01T10:00:00Z',
              },
            ],
          },
        },
      }),
    };
    await normalizeMessage(level, deps());
    const first = await normalizeMessage(JSON.stringify(unmapped), deps());
    expect(first).toMatchObject({ status: 'quarantined', reason: 'unmapped-listing' });
    await normalizeMessage(
      message(
        { type: 'listing.mapped', timestamp: '2026-06-01T09:00:00Z', data: { externalId: 'VAR-9', sku: 'SKU-9' } },
        'dlv_map',
      ),
      deps(),
    );
    const doc = documentClient(awsClientConfig(motoEnv()));

    // Act: replay → the message is on the queue; the normalizer applies it
    const { replayed } = await replayQuarantined(
      { doc, tableName, sqs, queueUrl },
      { now: new Date('2026-06-01T12:00:00Z'), days: 1 },
    );
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    const outcomes = [];
    for (const m of received.Messages ?? []) outcomes.push(await normalizeMessage(m.Body!, deps()));
    const again = await normalizeMessage(JSON.stringify(unmapped), deps());

    // Assess
    expect(replayed).toEqual(['dlv_unmapped']);
    expect(outcomes).toMatchObject([{ status: 'applied' }]);
    expect(again.status).toBe('noop');
    expect(await table.get(keys.balance('SKU-9', 'L1'))).toMatchObject({ onHand: 7 });
    const after = await listQuarantine(doc, tableName, { now: new Date('2026-06-01T12:00:00Z'), days: 1 });
    expect(after.find((q) => q.deliveryId === 'dlv_unmapped')?.status).toBe('replayed');
  });

  it('lists a replayed delivery that fails again as quarantined again', async () => {
    const { sqs } = testClients();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('again') }))).QueueUrl!;
    const doc = documentClient(awsClientConfig(motoEnv()));
    const bad = message(
      { type: 'stock.set', timestamp: '2026-06-01T10:00:00Z', data: { sku: 'A', location: 'WH1' } },
      'dlv_bad',
    );
    await normalizeMessage(bad, deps());
    await replayQuarantined({ doc, tableName, sqs, queueUrl }, { now: new Date('2026-06-01T12:00:00Z'), days: 1 });
    await normalizeMessage(bad, deps());
    const listed = await listQuarantine(doc, tableName, { now: new Date('2026-06-01T12:00:00Z'), days: 1 });
    expect(listed.map((q) => [q.deliveryId, q.status])).toEqual([['dlv_bad', 'quarantined']]);
  });

  it('replays a quarantined fetch (a fetched order the hub could not read) into the hydrate queue, not the ingest queue', async () => {
    // Prepare: a pending eBay order whose fetched order has a quantity eBay never sends as text
    const { sqs } = testClients();
    const ingestQueue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('ing') }))).QueueUrl!;
    const hydrateQueue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('hyd') }))).QueueUrl!;
    const doc = documentClient(awsClientConfig(motoEnv()));
    const api = await fakeEbay({ clientId: 'cid', clientSecret: 'cs', refreshToken: 'rt' });
    try {
      const now = () => new Date('2026-06-01T11:00:00Z');
      await applyEvent(
        table,
        {
          channel: 'ebay-us',
          source: 'ebay',
          deliveryId: 'dlv_e1',
          occurredAt: '2026-06-01T10:00:00.000Z',
          type: 'HydrationPending',
          entity: 'order',
          externalId: '12-11223-44556',
          version: { at: '2026-06-01T10:00:00.000Z' },
        },
        now,
      );
      const line = (ebayOrder().lineItems as Record<string, unknown>[])[0]!;
      api.orders.set('12-11223-44556', ebayOrder({ lineItems: [{ ...line, quantity: '2' }] }));
      const body = JSON.stringify({
        v: 1,
        connectionId: 'ebay-us',
        channel: 'ebay-us',
        source: 'ebay',
        entity: 'order',
        externalId: '12-11223-44556',
      });
      const hdeps = {
        table,
        queue: { send: async () => undefined },
        channels: channelList(),
        now,
        clientFor: async () =>
          ebayClient({
            fetch,
            credentials: { clientId: 'cid', clientSecret: 'cs', refreshToken: 'rt', baseUrl: api.url },
            now: () => now().getTime(),
          }),
      };
      const outcome = await hydrateMessage(body, hdeps);

      // Act
      const listed = await listQuarantine(doc, tableName, { now: now(), days: 1 });
      const { replayed } = await replayQuarantined(
        { doc, tableName, sqs, queueUrl: ingestQueue, hydrateQueueUrl: hydrateQueue },
        { reason: 'invalid-fetched-order', now: now(), days: 1 },
      );
      const onIngest = await sqs.send(new ReceiveMessageCommand({ QueueUrl: ingestQueue, WaitTimeSeconds: 0 }));
      const onHydrate = await sqs.send(new ReceiveMessageCommand({ QueueUrl: hydrateQueue, WaitTimeSeconds: 0 }));
      // the seller's order is readable again: the replayed message applies it
      api.orders.set('12-11223-44556', ebayOrder());
      const again = await hydrateMessage(onHydrate.Messages![0]!.Body!, hdeps);

      // Assess
      expect(outcome.status).toBe('quarantined');
      expect(listed).toMatchObject([
        { deliveryId: 'hydrate_dlv_e1', reason: 'invalid-fetched-order', queue: 'hydrate', source: 'ebay' },
      ]);
      expect(listed[0]!.message).toMatch(/lineItems\.0\.quantity/);
      expect(replayed).toEqual(['hydrate_dlv_e1']);
      expect(onIngest.Messages ?? []).toHaveLength(0);
      expect(onHydrate.Messages!.map((m) => m.Body)).toEqual([body]);
      expect(again).toMatchObject({ status: 'hydrated', orderId: '12-11223-44556' });
      expect(await table.get(keys.order('ebay-us', '12-11223-44556'))).toMatchObject({ state: { status: 'paid' } });
    } finally {
      await api.close();
    }
  });

  it('redrives every message from a DLQ back to its queue', async () => {
    const { sqs } = testClients();
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('dlq') }))).QueueUrl!;
    const main = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('main') }))).QueueUrl!;
    for (let i = 0; i < 13; i++) await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: `m${i}` }));
    const { moved } = await redriveDlq(sqs, dlq, main);
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: main, MaxNumberOfMessages: 10 }));
      bodies.push(...(r.Messages ?? []).map((m) => m.Body!));
    }
    expect(moved).toBe(13);
    expect(bodies.sort()).toEqual(Array.from({ length: 13 }, (_, i) => `m${i}`).sort());
  });
});

describe('DynamoTable: requests DynamoDB refuses as they are', () => {
  it("reports a key over DynamoDB's limits and a number beyond 2^53 as TableValidationError, a lost condition as a conflict", async () => {
    // Prepare
    const longKey = { pk: `SKU#${'X'.repeat(2100)}`, sk: 'LOC#WH-1' };
    const put = (item: Record<string, unknown>) =>
      table.write([{ kind: 'put', item, condition: 'attribute_not_exists(pk)' }]);
    await put({ pk: 'SKU#A', sk: 'LOC#WH-1' });

    // Act
    const results = await Promise.all([
      put(longKey).catch((e: unknown) => e),
      put({ pk: 'SKU#B', sk: 'LOC#WH-1', onHand: 2 ** 60 }).catch((e: unknown) => e),
      put({ pk: 'SKU#A', sk: 'LOC#WH-1' }).catch((e: unknown) => e),
    ]);

    // Assess
    expect(results.slice(0, 2).map((e) => e instanceof TableValidationError)).toEqual([true, true]);
    expect(results[2]).toBeInstanceOf(WriteConflictError);
  });
});
