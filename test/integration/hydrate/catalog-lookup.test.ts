import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { setApiCredentials } from '#infra/local/cli-credentials.ts';
import { hydrateRuntime } from '#shared/aws/hydrate-runtime.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { normalizeRuntime } from '#shared/aws/normalize-runtime.ts';
import type { DynamoTable } from '#shared/aws/table.ts';
import type { Connection } from '#shared/domain/connection.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { RateLimitedError, UnauthorizedError } from '#shared/hydrate/errors.ts';
import { LISTING_LOOKUP_COOLDOWN_MS } from '#shared/hydrate/hydrate.ts';
import { hydrateRecord } from '#shared/hydrate/record.ts';
import { normalizeMessage, type NormalizeOutcome } from '#shared/normalize/normalize.ts';
import { keys } from '#shared/table/keys.ts';
import { deliveryFor, payload } from '../../fixtures/payloads.ts';
import { motoEnv, testClients, uniqueName } from '../../support/aws.ts';
import {
  fakeBigCommerce,
  fakeSquare,
  squareOrder,
  squareOrderCreated,
  type FakeBigCommerce,
  type FakeSquare,
} from '../../support/fake-senders.ts';
import { freshTable } from '../../support/table.ts';

/**
 * Inventory webhooks naming a listing the hub has no SKU for, on moto through the real SDK and
 * the real runtimes (normalize → hydrate queue → hydrate → catalog API → listing map → ingest
 * queue → normalize), against fake Square and BigCommerce catalog APIs started here.
 *
 * Bodies (test/fixtures/payloads): square/inventory-count-updated.json mirrors the
 * `inventory.count.updated` example of Square's Webhooks reference (IN_STOCK counts of variations
 * FKPYM47ZBWJD3RQK7XEBN2QH and W62UWFY35CWMYGVWK6TWJDNI); bigcommerce/sku-inventory-relative.json
 * mirrors the `store/sku/inventory/updated` body of BigCommerce's webhook events reference
 * (variant 509 of product 179, relative −2). The catalog answers mirror Square's
 * RetrieveCatalogObject example (an ITEM_VARIATION with `item_variation_data.sku`) and
 * BigCommerce's Get All Variants example (`data[]` with `id`, `product_id`, `sku`, `meta.pagination`).
 */
const SQ_TOKEN = 'sq-catalog-token';
const BC_TOKEN = 'bc-catalog-token';
const BC_STORE = 'k9x2z';

let table: DynamoTable;
let drop: () => Promise<void>;
let ingestUrl: string;
let hydrateUrl: string;
let env: NodeJS.ProcessEnv;
let square: FakeSquare;
let bc: FakeBigCommerce;
const outcomes: NormalizeOutcome[] = [];
const hydrations: string[] = [];

const telemetry = {
  hydration: (_s: string, o: string) => void hydrations.push(o),
  withCorrelationId: () => ({ info: () => undefined, warn: () => undefined, error: () => undefined }) as never,
};

async function receive(queueUrl: string) {
  const { sqs } = testClients();
  const r = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    }),
  );
  return r.Messages ?? [];
}

/**
 * What Lambda does with both queues: each message normalized or hydrated, deleted when it
 * succeeded, left to reappear when it threw. Runs until both queues are empty; returns the errors.
 */
async function pump(hydrateNow?: () => Date): Promise<unknown[]> {
  const { sqs } = testClients();
  const normalize = normalizeRuntime(env);
  const hydrate = { ...hydrateRuntime(env), ...(hydrateNow ? { now: hydrateNow } : {}) };
  const errors: unknown[] = [];
  for (let idle = 0; idle < 2; ) {
    const ingest = await receive(ingestUrl);
    for (const m of ingest) {
      outcomes.push(await normalizeMessage(m.Body!, normalize));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: ingestUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    const fetches = await receive(hydrateUrl);
    for (const m of fetches) {
      const record = {
        body: m.Body!,
        receiptHandle: m.ReceiptHandle!,
        messageId: m.MessageId!,
        attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount },
      };
      try {
        await hydrateRecord(record, hydrate, telemetry);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: hydrateUrl, ReceiptHandle: m.ReceiptHandle! }));
      } catch (err) {
        errors.push(err);
      }
    }
    idle = ingest.length + fetches.length === 0 ? idle + 1 : 0;
  }
  return errors;
}

async function post(delivery: Delivery): Promise<void> {
  await testClients().sqs.send(new SendMessageCommand({ QueueUrl: ingestUrl, MessageBody: JSON.stringify(delivery) }));
}

async function onHand(sku: string, location: string): Promise<number | undefined> {
  const b = await table.get(keys.balance(sku, location));
  return b === undefined ? undefined : Number(b.onHand);
}

async function quarantined(channel: string, externalId: string) {
  const day = new Date().toISOString().slice(0, 10);
  const items = await table.queryBetween(`QUAR#${day}`, ' ', '~');
  return items.filter((q) => q.channel === channel && q.externalId === externalId);
}

function squareCount(channel: string, connectionId: string): Delivery {
  return deliveryFor('square', 'inventory.count.updated', payload('square', 'inventory-count-updated'), {
    channel,
    connectionId,
  });
}

function bcSkuChange(hash: string, value: number): Delivery {
  const body = structuredClone(payload('bigcommerce', 'sku-inventory-relative')) as {
    hash: string;
    data: { inventory: { value: number } };
  };
  body.hash = hash;
  body.data.inventory.value = value;
  return deliveryFor('bigcommerce', 'store/sku/inventory/updated', body, {
    channel: 'bc-cat',
    connectionId: 'bc-cat-conn',
  });
}

const catalogCalls = (api: { requests: { path: string }[] }, part: string) =>
  api.requests.filter((r) => r.path.includes(part)).length;

beforeAll(async () => {
  ({ table, drop } = await freshTable('catalog'));
  const { sqs } = testClients();
  ingestUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cat-ingest') }))).QueueUrl!;
  hydrateUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('cat-hydrate') }))).QueueUrl!;
  square = await fakeSquare({ token: SQ_TOKEN });
  bc = await fakeBigCommerce({ token: BC_TOKEN, storeHash: BC_STORE });
  env = {
    ...motoEnv(),
    HUB_STAGE: uniqueName('cat'),
    HUB_TABLE_NAME: table.tableName,
    HUB_INGEST_QUEUE_URL: ingestUrl,
    HUB_HYDRATE_QUEUE_URL: hydrateUrl,
  };
  // credentials as `npm run hub -- connections credentials` stores them (the secret, and the table's marker)
  const set = (conn: Connection, args: string[]) =>
    setApiCredentials(conn, args, {
      aws: liteAwsClient({ env }),
      stage: env.HUB_STAGE!,
      tableName: table.tableName,
      print: () => undefined,
      fail: (m) => new Error(m),
    });
  await set({ id: 'sq-cat-conn', source: 'square' } as Connection, ['--token', SQ_TOKEN, '--base-url', square.url]);
  await set({ id: 'bc-cat-conn', source: 'bigcommerce' } as Connection, [
    '--token',
    BC_TOKEN,
    '--store-hash',
    BC_STORE,
    '--base-url',
    bc.url,
  ]);
  // RetrieveCatalogObject's ITEM_VARIATION, and Get All Variants' variant
  const variation = (id: string, sku: string) => ({
    type: 'ITEM_VARIATION',
    id,
    updated_at: '2026-03-01T09:12:44.123Z',
    version: 1_772_356_364_123,
    is_deleted: false,
    present_at_all_locations: true,
    item_variation_data: {
      item_id: 'LRAK6VPQCNQL3RJJV4KM2XLU',
      name: sku,
      sku,
      ordinal: 1,
      pricing_type: 'FIXED_PRICING',
      price_money: { amount: 1250, currency: 'USD' },
    },
  });
  square.catalog.set('FKPYM47ZBWJD3RQK7XEBN2QH', variation('FKPYM47ZBWJD3RQK7XEBN2QH', 'TEE-BLK-M'));
  square.catalog.set('W62UWFY35CWMYGVWK6TWJDNI', variation('W62UWFY35CWMYGVWK6TWJDNI', 'MUG-WHT'));
  bc.variants.set('509', {
    id: 509,
    product_id: 179,
    sku: 'LAMP-BRASS-S',
    price: 49.5,
    inventory_level: 12,
    option_values: [{ id: 146, label: 'Small', option_id: 151, option_display_name: 'Size' }],
  });
});

afterAll(async () => {
  await square.close();
  await bc.close();
  await drop();
});

describe('unmapped listings looked up in the sender catalog (moto, fake APIs)', () => {
  it('maps both Square variations of one webhook from the catalog and applies its counts, once', async () => {
    // Prepare
    const delivery = squareCount('sq-cat', 'sq-cat-conn');

    // Act: the webhook, then the same delivery again once everything has settled
    await post(delivery);
    const errors = await pump();
    await post(delivery);
    const repeatErrors = await pump();

    // Assess
    expect([...errors, ...repeatErrors]).toEqual([]);
    expect(await onHand('TEE-BLK-M', 'L8GWV4NH3TQ2J')).toBe(17);
    expect(await onHand('MUG-WHT', 'LR0J2B6CEXJ1Q')).toBe(0);
    expect(await table.get(keys.listing('sq-cat', 'FKPYM47ZBWJD3RQK7XEBN2QH'))).toMatchObject({ sku: 'TEE-BLK-M' });
    expect(await table.get(keys.listing('sq-cat', 'W62UWFY35CWMYGVWK6TWJDNI'))).toMatchObject({ sku: 'MUG-WHT' });
    // the reverse items `listings map` writes, so the SKU's quantity can be pushed to the channel
    expect(await table.get(keys.skuListing('sq-cat', 'TEE-BLK-M', 'FKPYM47ZBWJD3RQK7XEBN2QH'))).toBeDefined();
    // quarantined for the first listing, replayed; quarantined for the second, replayed; applied
    const mine = outcomes.filter((o) => o.deliveryId === delivery.deliveryId);
    expect(mine.map((o) => o.status)).toEqual(['quarantined', 'quarantined', 'applied', 'noop']);
    // one quarantine item per delivery: it last waited for the second listing, and was replayed
    expect((await quarantined('sq-cat', 'W62UWFY35CWMYGVWK6TWJDNI')).map((q) => q.status)).toEqual(['replayed']);
    expect(await quarantined('sq-cat', 'FKPYM47ZBWJD3RQK7XEBN2QH')).toEqual([]);
    expect(catalogCalls(square, '/v2/catalog/object/FKPYM47ZBWJD3RQK7XEBN2QH')).toBe(1);
    expect(catalogCalls(square, '/v2/catalog/object/W62UWFY35CWMYGVWK6TWJDNI')).toBe(1);
    const call = square.requests.find((r) => r.path.startsWith('/v2/catalog/object/'))!;
    expect(call.headers.authorization).toBe(`Bearer ${SQ_TOKEN}`);
    expect(call.headers['square-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('looks a BigCommerce variant up once for a burst of three webhooks, applies all three once, and a repeat none', async () => {
    // Prepare: three SKU changes of variant 509 before the hydrate function runs
    const burst = [bcSkuChange('a1', -2), bcSkuChange('a2', -1), bcSkuChange('a3', -3)];

    // Act
    for (const d of burst) await post(d);
    const errors = await pump();
    await post(burst[0]!);
    const repeatErrors = await pump();

    // Assess
    expect([...errors, ...repeatErrors]).toEqual([]);
    expect(catalogCalls(bc, '/v3/catalog/variants')).toBe(1);
    expect(bc.requests.find((r) => r.path.includes('/v3/catalog/variants'))).toMatchObject({
      path: `/stores/${BC_STORE}/v3/catalog/variants?id:in=509`,
      headers: { 'x-auth-token': BC_TOKEN },
    });
    expect(await table.get(keys.listing('bc-cat', 'variant:509'))).toMatchObject({ sku: 'LAMP-BRASS-S' });
    const balances = await table.queryBetween('SKU#LAMP-BRASS-S', 'LOC#', 'LOC$');
    expect(balances.map((b) => Number(b.onHand))).toEqual([-6]);
    expect((await quarantined('bc-cat', 'variant:509')).map((q) => q.status).sort()).toEqual([
      'replayed',
      'replayed',
      'replayed',
    ]);
  });

  it('leaves the webhook quarantined, saying so, when the catalog object is deleted (404)', async () => {
    // Prepare: a variation the catalog does not hold
    const body = structuredClone(payload('square', 'inventory-count-updated')) as {
      data: { object: { inventory_counts: { catalog_object_id: string }[] } };
    };
    for (const c of body.data.object.inventory_counts) c.catalog_object_id = 'GONE4DELETEDVARIATIONXYZ';
    const delivery = deliveryFor('square', 'inventory.count.updated', body, {
      channel: 'sq-cat',
      connectionId: 'sq-cat-conn',
    });

    // Act
    await post(delivery);
    const errors = await pump();

    // Assess
    expect(errors).toEqual([]);
    const [q] = await quarantined('sq-cat', 'GONE4DELETEDVARIATIONXYZ');
    expect(q).toMatchObject({ status: 'quarantined', reason: 'unmapped-listing' });
    expect(String(q!.message)).toContain('(catalog lookup: square has no catalog object GONE4DELETEDVARIATIONXYZ)');
    expect(String(q!.message)).toContain('npm run hub -- listings map sq-cat GONE4DELETEDVARIATIONXYZ <sku>');
    expect(await table.get(keys.listing('sq-cat', 'GONE4DELETEDVARIATIONXYZ'))).toBeUndefined();
    expect(await table.get(keys.hydration('sq-cat', 'listing', 'GONE4DELETEDVARIATIONXYZ'))).toMatchObject({
      outcome: 'not-found',
      outcomeReason: 'square has no catalog object GONE4DELETEDVARIATIONXYZ',
    });
    expect(hydrations).toContain('listing-unresolved');
  });

  it('looks a listing the catalog had no SKU for up again only after the cooldown, however many webhooks come', async () => {
    // Prepare: a variation the catalog does not hold yet; the hydrate function's clock is ours
    const id = 'LATE4CREATEDVARIATIONXYZ';
    const body = structuredClone(payload('square', 'inventory-count-updated')) as {
      event_id: string;
      data: { object: { inventory_counts: { catalog_object_id: string }[] } };
    };
    for (const c of body.data.object.inventory_counts) c.catalog_object_id = id;
    const webhook = (n: number) =>
      deliveryFor(
        'square',
        'inventory.count.updated',
        { ...body, event_id: `${body.event_id}-${n}` },
        {
          channel: 'sq-cat',
          connectionId: 'sq-cat-conn',
        },
      );
    let now = Date.now();
    const clock = () => new Date(now);
    const lookups = () => square.requests.filter((r) => r.path === `/v2/catalog/object/${id}`).length;

    // Act: a first webhook (404), two more within the cooldown
    await post(webhook(1));
    expect(await pump(clock)).toEqual([]);
    now += 60_000;
    await post(webhook(2));
    await post(webhook(3));
    expect(await pump(clock)).toEqual([]);

    // Assess: one catalog call; every webhook waits, saying what the catalog answered and when
    expect(lookups()).toBe(1);
    const waiting = await quarantined('sq-cat', id);
    expect(waiting.map((q) => q.status)).toEqual(['quarantined', 'quarantined', 'quarantined']);
    for (const q of waiting) expect(String(q.message)).toContain(`square has no catalog object ${id}`);

    // Act: the variation is created; the cooldown ends; a fourth webhook
    square.catalog.set(id, {
      type: 'ITEM_VARIATION',
      id,
      item_variation_data: { item_id: 'LATEITEM', name: 'Late', sku: 'LATE-SKU-1' },
    });
    now += LISTING_LOOKUP_COOLDOWN_MS;
    await post(webhook(4));
    expect(await pump(clock)).toEqual([]);

    // Assess: a second call maps the listing, and all four webhooks are applied
    expect(lookups()).toBe(2);
    expect(await table.get(keys.listing('sq-cat', id))).toMatchObject({ sku: 'LATE-SKU-1' });
    expect((await quarantined('sq-cat', id)).map((q) => q.status)).toEqual([
      'replayed',
      'replayed',
      'replayed',
      'replayed',
    ]);
  });

  it("looks up the listing a fetched order's line names without a SKU, and the line then holds its SKU", async () => {
    // Prepare: a POS sale of a variation nobody mapped; the catalog knows its SKU
    const variationId = 'CANDLE4TALLVARIATIONXYZ';
    square.catalog.set(variationId, {
      type: 'ITEM_VARIATION',
      id: variationId,
      item_variation_data: { item_id: 'CANDLEITEM', name: 'Tall', sku: 'CANDLE-TALL' },
    });
    const orderId = 'POS4ORDERWITHUNMAPPEDLINE';
    square.orders.set(
      orderId,
      squareOrder({
        id: orderId,
        line_items: [
          {
            uid: 'line-1',
            name: 'Candle, tall',
            catalog_object_id: variationId,
            quantity: '2',
            base_price_money: { amount: 1800, currency: 'USD' },
          },
        ],
      }),
    );
    const webhook = deliveryFor('square', 'order.created', JSON.parse(squareOrderCreated(orderId, 'L88917AVBK2S5')), {
      channel: 'sq-cat',
      connectionId: 'sq-cat-conn',
    });

    // Act
    await post(webhook);
    expect(await pump()).toEqual([]);

    // Assess: one catalog call; the listing is mapped and the order's line resolved to its SKU
    expect(square.requests.filter((r) => r.path === `/v2/catalog/object/${variationId}`)).toHaveLength(1);
    expect(await table.get(keys.listing('sq-cat', variationId))).toMatchObject({ sku: 'CANDLE-TALL' });
    const order = await table.get(keys.order('sq-cat', orderId));
    const lines = (order?.state as { lines: { sku: string; qty: number; unmapped?: true }[] }).lines;
    expect(lines).toEqual([expect.objectContaining({ sku: 'CANDLE-TALL', qty: 2 })]);
    expect(lines[0]).not.toHaveProperty('unmapped');
  });

  it("waits out a 429 for the catalog's Retry-After through the message's visibility, then maps", async () => {
    // Prepare
    square.catalog.set('RATE4LIMITEDVARIATIONXYZ', {
      type: 'ITEM_VARIATION',
      id: 'RATE4LIMITEDVARIATIONXYZ',
      present_at_all_locations: true,
      item_variation_data: { item_id: 'LRAK6VPQCNQL3RJJV4KM2XLU', name: 'Blue', sku: 'MUG-BLU' },
    });
    const body = structuredClone(payload('square', 'inventory-count-updated')) as {
      data: { object: { inventory_counts: { catalog_object_id: string }[] } };
    };
    for (const c of body.data.object.inventory_counts) c.catalog_object_id = 'RATE4LIMITEDVARIATIONXYZ';
    square.failNext({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { errors: [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED', detail: 'Rate limited.' }] },
    });

    // Act
    await post(
      deliveryFor('square', 'inventory.count.updated', body, { channel: 'sq-cat', connectionId: 'sq-cat-conn' }),
    );
    const limited = await pump();
    const pending = await table.get(keys.hydration('sq-cat', 'listing', 'RATE4LIMITEDVARIATIONXYZ'));
    await new Promise((r) => setTimeout(r, 1500));
    const after = await pump();

    // Assess
    expect(limited).toHaveLength(1);
    expect(limited[0]).toBeInstanceOf(RateLimitedError);
    expect((limited[0] as RateLimitedError).retryAfterSeconds).toBe(1);
    expect(pending).toMatchObject({ lastError: 'rate limited (429): retry after 1 s' });
    expect(after).toEqual([]);
    expect(await table.get(keys.listing('sq-cat', 'RATE4LIMITEDVARIATIONXYZ'))).toMatchObject({ sku: 'MUG-BLU' });
    // the first IN_STOCK count of the sample, now at the SKU
    expect(await onHand('MUG-BLU', 'L8GWV4NH3TQ2J')).toBe(17);
    expect(catalogCalls(square, '/v2/catalog/object/RATE4LIMITEDVARIATIONXYZ')).toBe(2);
  });

  it('raises the refused-credentials state on a 401, leaving the webhook quarantined and replayable', async () => {
    // Prepare
    const body = structuredClone(payload('square', 'inventory-count-updated')) as {
      data: { object: { inventory_counts: { catalog_object_id: string }[] } };
    };
    for (const c of body.data.object.inventory_counts) c.catalog_object_id = 'REFUSED4TOKENVARIATIONXY';
    square.failNext({
      status: 401,
      body: { errors: [{ category: 'AUTHENTICATION_ERROR', code: 'UNAUTHORIZED', detail: 'Token revoked.' }] },
    });

    // Act
    await post(
      deliveryFor('square', 'inventory.count.updated', body, { channel: 'sq-cat', connectionId: 'sq-cat-conn' }),
    );
    const errors = await pump();

    // Assess: thrown back to the queue (retried after its visibility timeout, then the DLQ)
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(UnauthorizedError);
    expect(hydrations.at(-1)).toBe('unauthorized');
    expect(await table.get(keys.hydration('sq-cat', 'listing', 'REFUSED4TOKENVARIATIONXY'))).toMatchObject({
      lastError: expect.stringMatching(/^credentials missing or refused/),
    });
    expect((await quarantined('sq-cat', 'REFUSED4TOKENVARIATIONXY')).map((q) => q.status)).toEqual(['quarantined']);
  });

  it('leaves a connection without API credentials to a mapping by hand, as before', async () => {
    // Prepare
    const delivery = squareCount('sq-nocreds', 'sq-nocreds-conn');
    const calls = square.requests.length;

    // Act
    await post(delivery);
    const errors = await pump();

    // Assess
    expect(errors).toEqual([]);
    expect(outcomes.filter((o) => o.deliveryId === delivery.deliveryId)).toMatchObject([
      { status: 'quarantined', reason: 'unmapped-listing', externalId: 'FKPYM47ZBWJD3RQK7XEBN2QH' },
    ]);
    expect(square.requests.length).toBe(calls);
    expect(await table.get(keys.hydration('sq-nocreds', 'listing', 'FKPYM47ZBWJD3RQK7XEBN2QH'))).toBeUndefined();
  });
});
