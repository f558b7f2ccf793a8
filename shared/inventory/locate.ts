import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';

/**
 * Puts a channel's events at the hub's locations, from the channel's configuration:
 * - `locationMap` translates the channel's own location ids (Shopify's numeric `location_id`,
 *   Square's location ids) to the hub's (`WH-A`): on order lines, refunds, counts and adjustments;
 * - `fulfilmentLocation` is where an order line that names no location is reserved and shipped
 *   from (WooCommerce orders name none; Shopify online orders carry `location_id: null`).
 * A line left without a location is reserved unassigned (shared/inventory/locations.ts), never at
 * a made-up location. Pure: the same events and configuration always give the same result.
 */
export function locateEvents(events: CanonicalEvent[], configs: ReadonlyMap<string, ChannelConfig>): CanonicalEvent[] {
  return events.map((e) => {
    const cfg = configs.get(e.channel);
    if (!cfg || (!cfg.locationMap && !cfg.fulfilmentLocation)) return e;
    const map = (loc: string | undefined) => (loc !== undefined ? (cfg.locationMap?.[loc] ?? loc) : undefined);
    switch (e.type) {
      case 'OrderUpserted': {
        const orderLocation = map(e.locationId) ?? cfg.fulfilmentLocation;
        const out = { ...e, lines: e.lines.map((l) => withLocation(l, map(l.locationId) ?? orderLocation)) };
        return orderLocation !== undefined ? { ...out, locationId: orderLocation } : out;
      }
      case 'RefundRecorded':
        return { ...e, lines: e.lines.map((l) => withLocation(l, map(l.locationId) ?? cfg.fulfilmentLocation)) };
      case 'StockLevelSet':
      case 'StockAdjusted':
        return { ...e, locationId: map(e.locationId)! };
      default:
        return e;
    }
  });
}

function withLocation<T extends { locationId?: string | undefined }>(line: T, location: string | undefined): T {
  if (location === undefined) return line;
  return { ...line, locationId: location };
}
