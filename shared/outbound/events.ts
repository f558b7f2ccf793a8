/**
 * Stock-change events: what the stream fold tells the outside world after it has written a batch
 * of balance changes. The fold derives them from the balances it just wrote (never by re-reading
 * the table per order), coalesced per fold batch: one event per `(channel, sku)` whose
 * available-to-sell value changed, and one per `(sku, location)` balance that changed.
 *
 * `version` is monotonic per `(channel, sku)` (per `(sku, location)` for balance events): a
 * receiver keeps the highest version it has applied and drops anything older arriving late. A
 * retried fold batch may publish the same event again with the same version and id; receivers and
 * the delivery worker treat `(subject, version)` as the identity.
 */
export type StockChangeEvent = StockAvailableChanged | StockBalanceChanged;

export interface StockAvailableChanged {
  type: 'stock.available.changed';
  /** stable id of this value: `avail:<channel>:<sku>:<version>` */
  id: string;
  /** when the fold derived it (ISO 8601, the fold's clock) */
  at: string;
  data: {
    channel: string;
    sku: string;
    /** the channel's available-to-sell after allocation rules (the SKU's available without any) */
    availableToSell: number;
    version: number;
  };
}

export interface StockBalanceChanged {
  type: 'stock.balance.changed';
  /** stable id of this value: `bal:<sku>:<location>:<version>` */
  id: string;
  at: string;
  data: {
    sku: string;
    location: string;
    onHand: number;
    reserved: number;
    available: number;
    version: number;
  };
}

export type StockChangeEventType = StockChangeEvent['type'];

/**
 * Where the fold hands its derived events. Called after the batch's balance writes committed;
 * a failure fails the fold batch, which is retried from the stream (the same events come again
 * with the same versions), so nothing derived is lost.
 */
export interface StockChangePublisher {
  publish(events: readonly StockChangeEvent[]): Promise<void>;
}
