/**
 * The single table's keys (ARCHITECTURE.md "Single table sketch"). Every item the normalizer
 * writes is addressed through these builders, so keys are spelled in one place.
 */
export const keys = {
  order: (channel: string, orderId: string) => ({ pk: `ORDER#${channel}#${orderId}`, sk: 'META' }),
  balance: (sku: string, location: string) => ({ pk: `SKU#${sku}`, sk: `LOC#${location}` }),
  /** ledger rows sort by location then time, so "movements at a location since T" is one range query */
  ledger: (sku: string, location: string, at: string, key: string) => ({ pk: `SKU#${sku}`, sk: `MOVE#${location}#${at}#${key}` }),
  ledgerRange: (sku: string, location: string) => ({ pk: `SKU#${sku}`, prefix: `MOVE#${location}#` }),
  /**
   * KPI counters per channel per UTC hour, one partition per channel, month and write shard: a
   * year of one channel is 12 × KPI_SHARDS queries however many orders it had, and a busy
   * channel's current hour spreads over KPI_SHARDS partitions (1,000 WCU/s each).
   */
  kpi: (channel: string, hour: string, shard: number) => ({ pk: `KPI#${channel}#${hour.slice(0, 7)}#${shard}`, sk: `H#${hour}` }),
  listing: (channel: string, externalId: string) => ({ pk: `LISTING#${channel}#${externalId}`, sk: 'META' }),
  hydration: (channel: string, entity: string, externalId: string) => ({ pk: `HYDRATE#${channel}#${entity}#${externalId}`, sk: 'META' }),
  quarantine: (day: string, at: string, deliveryId: string) => ({ pk: `QUAR#${day}`, sk: `${at}#${deliveryId}` }),
};

/** KPI counters are write-sharded so a busy channel's hour never hits one partition's limit. */
export const KPI_SHARDS = 4;

/** Stock change feed (GSI `byUpdated`): balances are spread over a few feed partitions. */
export const FEED_SHARDS = 4;

/** FNV-1a: a stable small hash for picking a shard (same input, same shard, on every machine). */
export function shardOf(value: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** "2026-03-04T05:06:07.000Z" → "2026-03-04T05" (UTC hour bucket) */
export function hourBucket(iso: string): string {
  return new Date(iso).toISOString().slice(0, 13);
}
