import type { StockLevelSet } from '#shared/domain/events.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';

/** A stock balance as the read side serves it (item `SKU#<sku>` / `LOC#<location>`). */
export interface BalanceRow {
  sku: string;
  location: string;
  onHand: number;
  reserved: number;
  available: number;
  updatedAt: string;
  /** `${updatedAt}#${sku}#${location}`: the balance's position in the change feed */
  feedSk: string;
}

export interface FeedShardQuery {
  shard: number;
  /** exclusive lower bound on feedSk */
  after: string;
  /** exclusive upper bound on feedSk (the settle horizon, an ISO time) */
  before: string;
  /** only these locations (absent = all) */
  locations?: readonly string[];
  /** stop once this many matching rows are found */
  limit: number;
}

export interface FeedShardResult {
  /** matching rows, in feedSk order */
  rows: BalanceRow[];
  /**
   * The feedSk position up to which this shard was read completely: every matching row of the
   * shard at or below it is in `rows`. `before` when the shard was read to the end of the range.
   */
  reachedTo: string;
}

export interface StockReadPort {
  /** every balance of a SKU (never its ledger rows), in one query */
  balancesOf(sku: string): Promise<BalanceRow[]>;
  feedShard(query: FeedShardQuery): Promise<FeedShardResult>;
  readonly feedShards: number;
}

export interface ChannelPort {
  list(): Promise<ChannelConfig[]>;
}

/** Applies an absolute count the way the normalizer applies `stock.set` events. */
export type ApplyCount = (event: StockLevelSet) => Promise<'applied' | 'noop'>;
