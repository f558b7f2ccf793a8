import type { Source } from '#shared/domain/connection.ts';
import { CanonicalEventSchema, type CanonicalEvent } from '#shared/domain/events.ts';
import { AdapterError, type Adapter, type AdapterInput } from '#shared/adapters/types.ts';
import { describeIssues } from '#shared/adapters/common.ts';
import { amazonAdapter } from '#shared/adapters/amazon.adapter.ts';
import { bigcommerceAdapter } from '#shared/adapters/bigcommerce.adapter.ts';
import { ebayAdapter } from '#shared/adapters/ebay.adapter.ts';
import { hubAdapter } from '#shared/adapters/hub.adapter.ts';
import { shopifyAdapter } from '#shared/adapters/shopify.adapter.ts';
import { squareAdapter } from '#shared/adapters/square.adapter.ts';
import { walmartAdapter } from '#shared/adapters/walmart.adapter.ts';
import { woocommerceAdapter } from '#shared/adapters/woocommerce.adapter.ts';

export { AdapterError, type Adapter, type AdapterErrorKind, type AdapterInput } from '#shared/adapters/types.ts';

/**
 * Source adapters: one queued delivery → canonical events (docs/architecture.md, principle 5).
 *
 * Conventions every adapter follows:
 *  - `channel`, `source`, `deliveryId` come from the delivery; `occurredAt` is the sender's event
 *    time (payload time, never the receive time), so a retry maps to identical events.
 *  - `inventoryItemId` and a line's `externalItemId` are written exactly as the `externalId` of
 *    the ListingMapped events that map them to a SKU (`inventory_item:<id>`, `variant:<id>`,
 *    `product:<id>`, `variation:<id>`; Square's catalog id as-is), so the SKU join is an equality
 *    within a channel.
 *  - Bodies are read with `parseJson`, which keeps the digits of integers above 2^53 (as strings):
 *    a sender id is never rounded.
 *  - Failures are AdapterError only: `malformed` (not JSON), `schema` (a field the mapping needs is
 *    missing or wrong; the message names its path), `unknown-event` (a type the hub does not know),
 *    `ignored` (a type it knows and has no use for: acknowledged and counted, not quarantined).
 *    An event type that is understood but carries no stock or order data maps to `[]`.
 */
const ADAPTERS: Record<Source, Adapter> = {
  shopify: shopifyAdapter,
  woocommerce: woocommerceAdapter,
  square: squareAdapter,
  'standard-webhooks': hubAdapter,
  walmart: walmartAdapter,
  bigcommerce: bigcommerceAdapter,
  ebay: ebayAdapter,
  amazon: amazonAdapter,
};

/**
 * The request headers each adapter reads (lower-cased), for ingest to keep on the queued delivery.
 * Sources not listed take everything from the body.
 */
export const ADAPTER_HEADERS: Readonly<Record<Source, readonly string[]>> = {
  shopify: ['x-shopify-topic', 'shopify-topic'],
  woocommerce: ['x-wc-webhook-topic', 'x-wc-webhook-resource', 'x-wc-webhook-event'],
  square: [],
  'standard-webhooks': [],
  walmart: [],
  bigcommerce: [],
  ebay: [],
  amazon: [],
};

export function adapterFor(source: Source): Adapter {
  const adapter = Object.hasOwn(ADAPTERS, source) ? ADAPTERS[source] : undefined;
  if (!adapter) throw new AdapterError('unknown-event', `no adapter for source ${JSON.stringify(source)}`);
  return adapter;
}

/**
 * Map a delivery with its source's adapter and check every produced event against the canonical
 * schema: an adapter bug surfaces as AdapterError('schema') on that delivery (quarantined with the
 * reason) instead of a malformed event reaching the table. Returns the parsed events.
 */
export function adapt(input: AdapterInput): CanonicalEvent[] {
  return checkedEvents(input.delivery.source, adapterFor(input.delivery.source)(input));
}

/** Each event parsed by CanonicalEventSchema, or AdapterError('schema') naming the first bad one. */
export function checkedEvents(source: string, events: readonly unknown[]): CanonicalEvent[] {
  return events.map((event, i) => {
    const result = CanonicalEventSchema.safeParse(event);
    if (!result.success) {
      throw new AdapterError(
        'schema',
        `${source} adapter produced an invalid ${String((event as { type?: unknown } | null)?.type)} event: ` +
          describeIssues(result.error, [`events[${i}]`]),
        { cause: result.error },
      );
    }
    return result.data;
  });
}
