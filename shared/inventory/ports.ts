import type { StockLevelSet } from '#shared/domain/events.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';

import type { BalanceRow } from '#shared/inventory/balance-row.ts';

export type { BalanceRow };

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

/** What a channel reports it lists of a SKU (ListedQuantityReported), item `SKU#<sku>` / `LISTED#<channel>`. */
export interface ListedRow {
  channel: string;
  quantity: number;
  asOf: string;
}

export interface StockReadPort {
  /** every balance of a SKU (never its ledger rows), in one query */
  balancesOf(sku: string): Promise<BalanceRow[]>;
  /**
   * the SKU's balances and the quantities channels report listing of it, in one query (the stock
   * read uses this when the port has it; a port without it reports no listed quantities)
   */
  skuState?(sku: string): Promise<{ balances: BalanceRow[]; listed: ListedRow[] }>;
  feedShard(query: FeedShardQuery): Promise<FeedShardResult>;
  readonly feedShards: number;
}

export interface ChannelPort {
  list(): Promise<ChannelConfig[]>;
}

/** Applies an absolute count the way the normalizer applies `stock.set` events. */
export type ApplyCount = (event: StockLevelSet) => Promise<'applied' | 'noop'>;
