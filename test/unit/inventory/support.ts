import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { FEED_SHARDS, shardOf } from '#shared/table/keys.ts';
import type { BalanceRow, FeedShardQuery, FeedShardResult, StockReadPort } from '#shared/inventory/ports.ts';

/** An API key record for tests. */
export function apiKey(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { keyHash: 'h', scopes: ['stock:read'], partner: null, createdAt: '2026-01-01T00:00:00.000Z', ...over };
}

/**
 * The stock read port in memory, with the same semantics as shared/aws/stock-repo.ts: balances
 * keyed by sku|location, spread over the feed shards, and each shard query reading at most
 * `pageSize` index entries per page and `maxPages` pages (so the "read up to" logic is exercised).
 */
export class MemoryStock implements StockReadPort {
  readonly feedShards = FEED_SHARDS;
  readonly rows = new Map<string, BalanceRow>();
  constructor(private readonly paging: { pageSize?: number; maxPages?: number } = {}) {}

  set(sku: string, location: string, updatedAt: string, available = 1): BalanceRow {
    const row: BalanceRow = {
      sku,
      location,
      onHand: available,
      reserved: 0,
      available,
      updatedAt,
      feedSk: `${updatedAt}#${sku}#${location}`,
    };
    this.rows.set(`${sku}|${location}`, row);
    return row;
  }

  async balancesOf(sku: string): Promise<BalanceRow[]> {
    return [...this.rows.values()].filter((r) => r.sku === sku);
  }

  async feedShard(q: FeedShardQuery): Promise<FeedShardResult> {
    const entries = [...this.rows.values()]
      .filter(
        (r) => shardOf(`${r.sku}|${r.location}`, FEED_SHARDS) === q.shard && r.feedSk > q.after && r.feedSk < q.before,
      )
      .sort((a, b) => (a.feedSk < b.feedSk ? -1 : 1));
    const pageSize = this.paging.pageSize ?? q.limit + 1;
    const maxPages = this.paging.maxPages ?? 8;
    const rows: BalanceRow[] = [];
    let i = 0;
    for (let page = 0; page < maxPages; page++) {
      const slice = entries.slice(i, i + pageSize);
      i += slice.length;
      rows.push(...slice.filter((r) => !q.locations || q.locations.includes(r.location)));
      if (i >= entries.length) return { rows, reachedTo: q.before };
      if (rows.length >= q.limit) break;
    }
    return { rows, reachedTo: entries[i - 1]!.feedSk };
  }
}
