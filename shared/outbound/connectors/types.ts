import type { MsClock } from '#shared/domain/clock.ts';
import type { ApiCredentials } from '#shared/hydrate/types.ts';

/** One listing's quantity at one of the channel's own locations, in the channel's own ids. */
export interface ListedQuantity {
  /** the listing id as the sender's adapter records it (`inventory_item:<id>`, `variant:<id>`, a catalog object id) */
  listing: string;
  /** the channel's own location id (`default` where the sender has one location) */
  location: string;
  quantity: number;
}

export interface PushRequest {
  quantities: ListedQuantity[];
  /** the stock-change event's id: names the push at the channel (history, idempotency keys) */
  reference: string;
  /** the event's time (ISO): when the value was true */
  occurredAt: string;
}

/** A channel's API: sets the listed quantities of one connection's listings. */
export interface ChannelConnector {
  /** whether a listing id is one this connector can set (the shapes the sender's adapter records) */
  sets(listing: string): boolean;
  setAvailable(
    ctx: { fetch: typeof fetch; credentials: ApiCredentials; now: MsClock },
    req: PushRequest,
  ): Promise<void>;
}
