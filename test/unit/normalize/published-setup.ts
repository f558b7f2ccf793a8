import type { CanonicalEvent } from '#shared/domain/events.ts';

/**
 * A merchant's set-up for a published sample, shared by the published-sample tests: the channel's
 * own location ids mapped to the warehouse WH-A, the listing ids the sample names mapped to SKUs,
 * and every SKU it names counted at WH-A before anything in the sample happened.
 */

export const WAREHOUSE = 'WH-A';
export const COUNTED = 100;
export const COUNTED_AT = '2000-01-01T00:00:00Z';
export const CHANNEL = 'merchant-store';

export type Balance = { sku: string; location: string; onHand: number; reserved: number; available: number };

/** The channel location ids the events name (mapped to the warehouse by the merchant's set-up). */
export function locationIdsOf(events: CanonicalEvent[]): string[] {
  const ids = events.flatMap((e) =>
    e.type === 'OrderUpserted'
      ? [e.locationId, ...e.lines.map((l) => l.locationId)]
      : e.type === 'RefundRecorded'
        ? e.lines.map((l) => l.locationId)
        : e.type === 'StockLevelSet' || e.type === 'StockAdjusted'
          ? [e.locationId]
          : [],
  );
  return [...new Set(ids.filter((l): l is string => l !== undefined))];
}

/** Listing ids the events name without a SKU and do not map themselves. */
export function unmappedListingsOf(events: CanonicalEvent[]): string[] {
  const own = new Set(events.flatMap((e) => (e.type === 'ListingMapped' ? [e.externalId] : [])));
  const ids = events.flatMap((e) =>
    e.type === 'OrderUpserted'
      ? e.lines.filter((l) => !l.sku && l.externalItemId).map((l) => l.externalItemId!)
      : (e.type === 'StockLevelSet' || e.type === 'StockAdjusted' || e.type === 'ListedQuantityReported') &&
          !e.sku &&
          'inventoryItemId' in e &&
          e.inventoryItemId
        ? [e.inventoryItemId]
        : [],
  );
  return [...new Set(ids)].filter((id) => !own.has(id));
}

export const skuForListing = (id: string) => `SKU-OF-${id.replace(/[^A-Za-z0-9-]/g, '-')}`;

/** Every SKU the events name, directly or through a listing (the sample's own mappings included). */
export function skusOf(events: CanonicalEvent[]): string[] {
  const own = new Map(events.flatMap((e) => (e.type === 'ListingMapped' ? [[e.externalId, e.sku] as const] : [])));
  const viaListing = (id: string | undefined) => (id ? (own.get(id) ?? skuForListing(id)) : undefined);
  const skus = events.flatMap((e) => {
    if (e.type === 'OrderUpserted') return e.lines.map((l) => l.sku ?? viaListing(l.externalItemId));
    if (e.type === 'StockLevelSet' || e.type === 'StockAdjusted' || e.type === 'ListedQuantityReported')
      return [e.sku ?? viaListing('inventoryItemId' in e ? e.inventoryItemId : undefined)];
    if (e.type === 'RefundRecorded') return e.lines.map((l) => l.sku);
    return [];
  });
  return [...new Set(skus.filter((s): s is string => s !== undefined))];
}

/** The listing mappings and counts of the set-up, as events applied before the sample. */
export function setupEvents(events: CanonicalEvent[], source: CanonicalEvent['source']): CanonicalEvent[] {
  const base = { channel: CHANNEL, source, deliveryId: 'setup', occurredAt: COUNTED_AT };
  return [
    ...unmappedListingsOf(events).map(
      (externalId): CanonicalEvent => ({
        ...base,
        type: 'ListingMapped',
        externalId,
        sku: skuForListing(externalId),
        at: COUNTED_AT,
      }),
    ),
    ...skusOf(events).map(
      (sku): CanonicalEvent => ({
        ...base,
        type: 'StockLevelSet',
        sku,
        locationId: WAREHOUSE,
        quantity: COUNTED,
        bucket: 'on_hand',
        asOf: COUNTED_AT,
      }),
    ),
  ];
}

/**
 * The merchant's location map: every channel location id the events name is WH-A, except stock
 * Amazon holds in its fulfilment network (`AFN:<marketplace>`), which is not the merchant's.
 */
export function locationMapOf(events: CanonicalEvent[]): Record<string, string> {
  return Object.fromEntries(
    locationIdsOf(events)
      .filter((id) => !id.startsWith('AFN:'))
      .map((id) => [id, WAREHOUSE]),
  );
}
