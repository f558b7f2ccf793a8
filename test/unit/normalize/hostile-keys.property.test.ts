import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { fixedClock } from '#test/support/clock.ts';
import { payload } from '#test/fixtures/payloads.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { hourCounter } from '../../support/kpi.ts';
import { foldAll, hub, hubOrder, normalizeOn, queued } from './support.ts';

/**
 * Whatever strings a sender puts where the hub builds keys from (SKU, location, channel, order id),
 * the delivery changes no other SKU's, location's or channel's state, and neither the normalizer
 * nor the fold throws (a throw is a retry, then the DLQ; in the fold a stalled shard).
 */

const VICTIM = { channel: 'shop', orderId: 'V1', sku: 'VICTIM', location: 'WH-V' };

/** strings built to collide with the victim's keys, besides arbitrary and over-long ones */
const part = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'VICTIM',
    'WH-V',
    'V1',
    'shop',
    'VICTIM|WH-V',
    'WH-V#2099-01-01',
    'shop#V1',
    'VICTIM#',
    '#',
    '|',
    '\u0000',
    ' ',
    'default',
  ),
  fc
    .tuple(
      fc.constantFrom('VICTIM', 'WH-V', 'shop', 'V1'),
      fc.constantFrom('#', '|', '\n', '\u0000', ':'),
      fc.string({ maxLength: 12 }),
    )
    .map(([a, b, c]) => a + b + c),
  fc.string({ minLength: 1000, maxLength: 1000 }).map((s) => `X${s}`.repeat(3)),
);

const hostile = fc.record({
  sku: part,
  location: part,
  orderId: part, // a queued delivery always names a channel (ingest takes it from the connection)
  channel: part.filter((c) => c.length > 0 && c !== VICTIM.channel),
  quantity: fc.integer({ min: 1, max: 5 }),
});
type Hostile = typeof hostile extends fc.Arbitrary<infer T> ? T : never;

/** The deliveries a hostile sender could make with these values, in every sender's format. */
function deliveries(h: Hostile): string[] {
  const shopify = payload('shopify', 'order-create') as Record<string, unknown>;
  const lines = (shopify.line_items as Record<string, unknown>[]).map((l) => ({ ...l, sku: h.sku }));
  return [
    queued(
      'standard-webhooks',
      'order.upserted',
      hubOrder(h.orderId, [{ sku: h.sku, quantity: h.quantity, locationId: h.location }]),
      h.channel,
    ),
    queued(
      'standard-webhooks',
      'stock.set',
      hub('stock.set', { sku: h.sku, location: h.location, onHand: 1 }),
      h.channel,
    ),
    queued(
      'standard-webhooks',
      'stock.adjusted',
      hub('stock.adjusted', {
        sku: h.sku,
        location: h.location,
        delta: -h.quantity,
        reason: 'damage',
        idempotencyKey: h.orderId,
      }),
      h.channel,
    ),
    queued(
      'shopify',
      'orders/create',
      { ...shopify, id: h.orderId, location_id: h.location, line_items: lines },
      h.channel,
    ),
    // the victim's own channel: its other orders and SKUs must not reach the victim's order or balance
    queued(
      'standard-webhooks',
      'order.upserted',
      hubOrder(h.orderId, [{ sku: h.sku, quantity: h.quantity, locationId: h.location }]),
      VICTIM.channel,
    ),
    ...otherSenders(h),
  ];
}

/** The same values where the other senders' payloads carry SKUs, locations and order ids. */
function otherSenders(h: Hostile): string[] {
  const woo = payload('woocommerce', 'order-processing') as Record<string, any>;
  woo.id = h.orderId;
  for (const l of woo.line_items) l.sku = h.sku;
  const wooProduct = { ...(payload('woocommerce', 'product-updated') as Record<string, unknown>), sku: h.sku };
  const po = payload('walmart', 'po-created') as Record<string, any>;
  po.payload.purchaseOrderId = h.orderId;
  for (const l of po.payload.orderLines) l.sku = h.sku;
  const oos = payload('walmart', 'inventory-oos') as Record<string, any>;
  oos.payload.sku = h.sku;
  for (const n of oos.payload.shipNodes) n.shipNode = h.location;
  const amazon = payload('amazon', 'order-change-unshipped') as Record<string, any>;
  amazon.Payload.OrderChangeNotification.AmazonOrderId = h.orderId;
  for (const l of amazon.Payload.OrderChangeNotification.Summary.OrderItems) l.SellerSKU = h.sku;
  const fba = payload('amazon', 'fba-inventory-availability') as Record<string, any>;
  fba.Payload.SKU = h.sku;
  const square = payload('square', 'inventory-count-updated') as Record<string, any>;
  for (const c of square.data.object.inventory_counts)
    Object.assign(c, { catalog_object_id: h.sku, location_id: h.location });
  return [
    queued('woocommerce', 'order.created', woo, h.channel),
    queued('woocommerce', 'product.updated', wooProduct, h.channel),
    queued('walmart', 'PO_CREATED', po, h.channel),
    queued('walmart', 'INVENTORY_OOS', oos, h.channel),
    queued('amazon', 'ORDER_CHANGE', amazon, h.channel),
    queued('amazon', 'FBA_INVENTORY_AVAILABILITY_CHANGES', fba, h.channel),
    queued('square', 'inventory.count.updated', square, h.channel),
  ];
}

async function victimState(t: MemoryTable) {
  const balance = await t.get(keys.balance(VICTIM.sku, VICTIM.location));
  const order = await t.get(keys.order(VICTIM.channel, VICTIM.orderId));
  return {
    balance: balance && { onHand: balance.onHand, reserved: balance.reserved, available: balance.available },
    order: order && { state: order.state, rev: order.rev },
    kpiOrders: Number((await hourCounter(t, VICTIM.channel, '2026-09-15T09'))?.orders ?? 0),
  };
}

describe('hostile key parts (property)', () => {
  it('never change another SKU, location or channel, and never make the normalizer or the fold throw', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (h) => {
        // values that name the victim exactly are the victim: not an attack
        fc.pre(!(h.sku === VICTIM.sku && (h.location === VICTIM.location || h.location === 'default')));
        fc.pre(h.orderId !== VICTIM.orderId);

        // Prepare: the victim's count and order, folded
        const t = new MemoryTable();
        await normalizeOn(
          t,
          queued(
            'standard-webhooks',
            'stock.set',
            hub('stock.set', { sku: VICTIM.sku, location: VICTIM.location, onHand: 10, asOf: '2026-09-15T08:00:00Z' }),
            VICTIM.channel,
          ),
        );
        await normalizeOn(
          t,
          queued(
            'standard-webhooks',
            'order.upserted',
            hubOrder(VICTIM.orderId, [{ sku: VICTIM.sku, quantity: 2, locationId: VICTIM.location }]),
            VICTIM.channel,
          ),
        );
        const position = await foldAll(t);
        const before = await victimState(t);

        // Act
        const outcomes = [];
        for (const m of deliveries(h)) outcomes.push(await normalizeOn(t, m));
        await foldAll(t, position);

        // Assess: of the hostile deliveries only the order on the victim's channel may count in its KPIs
        const after = await victimState(t);
        expect(after.balance).toEqual(before.balance);
        expect(after.order).toEqual(before.order);
        expect(after.kpiOrders - before.kpiOrders).toBe(outcomes[4]!.status === 'applied' ? 1 : 0);
      }),
      { numRuns: 60, seed: 20261201 },
    );
  });

  it('in orders stored before the key-part rule, never change another balance and never make the fold throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ sku: part, location: part, quantity: fc.integer({ min: 1, max: 5 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (lines) => {
          fc.pre(lines.every((l) => !(l.sku === VICTIM.sku && l.location === VICTIM.location)));

          // Prepare: the victim's reservation, folded
          const t = new MemoryTable();
          await normalizeOn(
            t,
            queued(
              'standard-webhooks',
              'order.upserted',
              hubOrder(VICTIM.orderId, [{ sku: VICTIM.sku, quantity: 2, locationId: VICTIM.location }]),
              VICTIM.channel,
            ),
          );
          const position = await foldAll(t);
          const before = await victimState(t);
          const order = {
            type: 'OrderUpserted' as const,
            channel: 'old',
            source: 'standard-webhooks',
            deliveryId: 'd-old',
            occurredAt: '2026-09-15T09:00:00.000Z',
            orderId: 'H1',
            status: 'paid' as const,
            rawStatus: {},
            createdAt: '2026-09-15T09:00:00.000Z',
            version: { at: '2026-09-15T09:00:00.000Z' },
            lines: lines.map((l, i) => ({
              lineId: String(i),
              sku: l.sku,
              quantity: l.quantity,
              locationId: l.location,
            })),
          };

          // Act: stored as it was before the rule (the event straight to the table) and folded, then shipped and folded
          await applyEvent(t, order, fixedClock());
          const reserved = await foldAll(t, position);
          const afterReserve = await victimState(t);
          await applyEvent(
            t,
            {
              ...order,
              status: 'fulfilled',
              version: { at: '2026-09-15T10:00:00.000Z' },
              fulfilledAt: '2026-09-15T10:00:00.000Z',
            },
            fixedClock(),
          );
          await foldAll(t, reserved);

          // Assess
          expect(afterReserve.balance).toEqual(before.balance);
          expect((await victimState(t)).balance).toEqual(before.balance);
        },
      ),
      { numRuns: 60, seed: 20261202 },
    );
  });
});
