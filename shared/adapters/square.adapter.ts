import { z } from 'zod';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { defineAdapter, eventBase, isoTime, parseJson, parseWith, unknownEvent } from '#shared/adapters/common.ts';
import { decimalString } from '#shared/adapters/money.ts';

/**
 * Square webhooks (docs/webhook-sources.md): `{merchant_id, type, event_id, created_at, data{type,
 * id, object}}`, the type in the body. Orders are thin (id, version, state): they become
 * HydrationPending with Square's monotonic `version` as `seq`, the best staleness key Square has.
 * Inventory counts are absolute and keyed by the catalog variation id (`catalog_object_id`), which
 * is used as-is as `inventoryItemId` (Square sends no SKU; Catalog maps it).
 */

const envelopeSchema = z.looseObject({
  type: z.string().min(1),
  created_at: isoTime,
  data: z.looseObject({ object: z.looseObject({}) }),
});

const countSchema = z
  .looseObject({
    catalog_object_id: z.string().min(1),
    state: z.string().min(1),
    location_id: z.string().min(1),
    // a decimal string: Square counts fractional units for items sold by measure
    quantity: decimalString,
    calculated_at: isoTime,
  })
  .superRefine((count, ctx) => {
    // only the counts the hub records must be whole units; a fractional count of a state we skip is harmless
    const whole = /^-?\d+(\.0+)?$/.test(count.quantity) && Number.isSafeInteger(Number.parseInt(count.quantity, 10));
    if (count.state === 'IN_STOCK' && !whole) {
      ctx.addIssue({
        code: 'custom',
        path: ['quantity'],
        message: `expected a whole number of units, got "${count.quantity}"`,
      });
    }
  });

const inventorySchema = z.looseObject({ inventory_counts: z.array(countSchema) });

const orderSchema = z.looseObject({
  order_id: z.string().min(1),
  version: z.number().int().nonnegative(),
  state: z.string().min(1),
  location_id: z.string().min(1).optional(),
  created_at: isoTime.optional(),
  updated_at: isoTime.optional(),
});

/** where each order event type puts its object (`data.object.<key>`) */
const ORDER_OBJECT_KEY: Record<string, string> = {
  'order.created': 'order_created',
  'order.updated': 'order_updated',
  'order.fulfillment.updated': 'order_fulfillment_updated',
};

export const squareAdapter = defineAdapter('square', ({ delivery, body }) => {
  const json = parseJson(body);
  const { type } = parseWith(z.looseObject({ type: z.string().min(1) }), json, 'square event');
  if (type !== 'inventory.count.updated' && !(type in ORDER_OBJECT_KEY)) throw unknownEvent('square', type);
  const env = parseWith(envelopeSchema, json, `square ${type}`);
  const base = eventBase(delivery, env.created_at);

  if (type === 'inventory.count.updated') {
    const { inventory_counts } = parseWith(inventorySchema, env.data.object, `square ${type}`, ['data', 'object']);
    const events: CanonicalEvent[] = [];
    for (const count of inventory_counts) {
      // IN_STOCK is the sellable count; SOLD, WASTE, IN_TRANSIT_TO... are other buckets of the same item
      if (count.state !== 'IN_STOCK') continue;
      events.push({
        ...base,
        type: 'StockLevelSet',
        inventoryItemId: count.catalog_object_id,
        locationId: count.location_id,
        quantity: Number.parseInt(count.quantity, 10),
        bucket: 'available',
        asOf: count.calculated_at,
      });
    }
    return events;
  }

  const key = ORDER_OBJECT_KEY[type]!;
  const order = parseWith(orderSchema, env.data.object[key], `square ${type}`, ['data', 'object', key]);
  return [
    {
      ...base,
      type: 'HydrationPending',
      entity: 'order',
      externalId: order.order_id,
      version: { at: order.updated_at ?? order.created_at ?? env.created_at, seq: order.version },
      detail: { state: order.state, ...(order.location_id ? { locationId: order.location_id } : {}) },
    },
  ];
});
