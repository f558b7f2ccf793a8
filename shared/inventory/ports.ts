import type { StockLevelSet } from '#shared/domain/events.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import type { ChangeRow } from '#shared/inventory/change-pages.ts';

import type { BalanceRow } from '#shared/inventory/balance-row.ts';

export type { BalanceRow };

/** A change page part as read (shared/inventory/change-pages.ts). */
export interface ChangePageRead {
  /** its sort key: `<stamp>#<stream shard>#<last record>#<part>` */
  sk: string;
  rows: ChangeRow[];
}

export interface ChangePagesQuery {
  /** the UTC day partition (`YYYY-MM-DD`) */
  day: string;
  /** inclusive lower bound on the sort key */
  from: string;
  /** exclusive upper bound on the sort key (the settle horizon, a bare ISO time) */
  before: string;
  /** at most this many page parts */
  limit: number;
}

/** A balance directory entry (shared/inventory/balance-directory.ts). */
export interface DirectoryEntry {
  sku: string;
  location: string;
  /** its sort key in the directory partition */
  sk: string;
}

/** What a channel reports it lists of a SKU (ListedQuantityReported), item `SKU#<sku>` / `LISTED#<channel>`. */
export interface ListedRow {
  channel: string;
  quantity: number;
  asOf: string;
}

/** Listing every balance without an index: the balance directory and a batch read of the balances. */
export interface BalanceListPort {
  readonly directoryShards: number;
  /** entries of one directory partition with sort key above `after` (absent: from the start), in order */
  directory(q: { shard: number; after?: string; limit: number }): Promise<{ entries: DirectoryEntry[]; done: boolean }>;
  /** the balances named (those that do not exist are left out), eventually consistent */
  balances(ids: readonly { sku: string; location: string }[]): Promise<BalanceRow[]>;
}

export interface StockReadPort extends BalanceListPort {
  /** every balance of a SKU (never its ledger rows), in one query */
  balancesOf(sku: string): Promise<BalanceRow[]>;
  /**
   * the SKU's balances and the quantities channels report listing of it, in one query (the stock
   * read uses this when the port has it; a port without it reports no listed quantities)
   */
  skuState?(sku: string): Promise<{ balances: BalanceRow[]; listed: ListedRow[] }>;
  /** change page parts of one day, in sort key order; `done`: none left in the range */
  changePages(q: ChangePagesQuery): Promise<{ pages: ChangePageRead[]; done: boolean }>;
}

export interface ChannelPort {
  list(): Promise<ChannelConfig[]>;
}

/** Applies an absolute count the way the normalizer applies `stock.set` events. */
export type ApplyCount = (event: StockLevelSet) => Promise<'applied' | 'noop'>;
