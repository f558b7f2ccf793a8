import { z } from 'zod';
import { AdapterError } from '#shared/adapters/types.ts';
import {
  defineAdapter,
  epochSeconds,
  eventBase,
  idText,
  parseJson,
  parseWith,
  unknownEvent,
} from '#shared/adapters/common.ts';

/**
 * BigCommerce webhooks (docs/webhook-sources.md): `{scope, store_id, producer, data, hash,
 * created_at}`, thin. `created_at` (Unix seconds) is the event time; `hash` (SHA-1 of the payload)
 * is BigCommerce's dedup key, so it is also the idempotency key of a relative stock movement.
 *
 * Inventory events carry no SKU and no location: the item is `product:<product_id>` or, for a
 * variant, `variant:<variant_id>` (ListingMapped ids from a catalog fetch), at location 'default'.
 */

const envelopeSchema = z.looseObject({
  scope: z.string().min(1),
  created_at: epochSeconds,
  hash: z.string().min(1).optional(),
  data: z.looseObject({}),
});

const inventorySchema = z.looseObject({
  inventory: z.looseObject({
    product_id: idText,
    variant_id: idText.nullish(),
    // absolute = set by the API or control panel; relative = an order-driven delta (may be negative)
    method: z.enum(['absolute', 'relative']),
    value: z.number().int(),
  }),
});

const orderSchema = z.looseObject({
  id: idText,
  status: z.looseObject({ previous_status_id: idText.nullish(), new_status_id: idText.nullish() }).nullish(),
});

/** the two documented inventory scopes, plus their `/order/` variants that fire for order-driven changes */
const INVENTORY_SCOPES = new Set([
  'store/product/inventory/updated',
  'store/sku/inventory/updated',
  'store/product/inventory/order/updated',
  'store/sku/inventory/order/updated',
]);

export const bigcommerceAdapter = defineAdapter('bigcommerce', ({ delivery, body }) => {
  const json = parseJson(body);
  const { scope } = parseWith(z.looseObject({ scope: z.string().min(1) }), json, 'bigcommerce event');
  const isOrder = scope.startsWith('store/order/');
  if (!isOrder && !INVENTORY_SCOPES.has(scope)) throw unknownEvent('bigcommerce', scope);
  const env = parseWith(envelopeSchema, json, `bigcommerce ${scope}`);
  const base = eventBase(delivery, env.created_at);

  if (isOrder) {
    const order = parseWith(orderSchema, env.data, `bigcommerce ${scope}`, ['data']);
    const detail: Record<string, string> = { scope };
    if (order.status?.previous_status_id) detail.previousStatusId = order.status.previous_status_id;
    if (order.status?.new_status_id) detail.newStatusId = order.status.new_status_id;
    return [
      {
        ...base,
        type: 'HydrationPending',
        entity: 'order',
        externalId: order.id,
        version: { at: env.created_at },
        detail,
      },
    ];
  }

  const { inventory } = parseWith(inventorySchema, env.data, `bigcommerce ${scope}`, ['data']);
  const inventoryItemId = inventory.variant_id ? `variant:${inventory.variant_id}` : `product:${inventory.product_id}`;
  if (inventory.method === 'absolute') {
    return [
      {
        ...base,
        type: 'StockLevelSet',
        inventoryItemId,
        locationId: 'default',
        quantity: inventory.value,
        bucket: 'on_hand',
        asOf: env.created_at,
      },
    ];
  }
  // a delta without a stable key could be applied twice on a retry: refuse it rather than guess
  if (!env.hash)
    throw new AdapterError(
      'schema',
      `bigcommerce ${scope}: hash: required field is missing (idempotency key of a relative change)`,
    );
  return [
    {
      ...base,
      type: 'StockAdjusted',
      inventoryItemId,
      locationId: 'default',
      delta: inventory.value,
      reason: 'order',
      idempotencyKey: env.hash,
      at: env.created_at,
    },
  ];
});
