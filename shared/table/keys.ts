import type { Key } from '#shared/table/port.ts';

/**
 * The single table's keys (docs/architecture.md, "The single table"). Every item the normalizer
 * writes is addressed through these builders, so keys are spelled in one place.
 */
/**
 * The table's one global secondary index (attributes `feedPk`/`feedSk`, sparse): the channel list
 * (the CHANNELS_INDEX_PK partition). Balances once carried these attributes too (the delta feed,
 * `FEED#<shard>` partitions); every balance write now removes them, and the feed reads change pages.
 */
export const FEED_INDEX = 'byUpdated';

/** The index partition (GSI byUpdated) that lists channels: configurations, connections, data. */
export const CHANNELS_INDEX_PK = 'CHANNELS';

/** The partition of the outbound subscriptions (shared/aws/outbound-store.ts): one Query lists them all. */
export const SUBSCRIPTIONS_PK = 'SUBS';

/** What a balance write removes: the index keys balances carried before the change pages. */
export const LEGACY_BALANCE_INDEX_ATTRS = ['feedPk', 'feedSk'] as const;

/** Partition prefixes of the items that are listed by scanning (operator commands only). */
export const CONNECTION_PREFIX = 'CONN#';
export const API_KEY_PREFIX = 'KEY#';

export const keys = {
  order: (channel: string, orderId: string) => ({ pk: `ORDER#${channel}#${orderId}`, sk: 'META' }),
  /**
   * a customer's first order on a channel (shared/kpi/customers.ts). Under the `ORDER#` prefix so
   * its stream records reach the fold like orders'; `CUST#<hash>` holds a `#`, which no order id
   * may, and the sort key differs, so it can never be an order.
   */
  customer: (channel: string, customerHash: string) => ({
    pk: `ORDER#${channel}#CUST#${customerHash}`,
    sk: 'CUSTOMER',
  }),
  /**
   * a customer's purchases of one product on a channel (shared/kpi/upsell.ts). Under `ORDER#` for
   * the same reason as `customer`; the product id is a checked key part (no `#`), so
   * `PROD#<hash>#<product>` names one item, never an order (order ids hold no `#`).
   */
  /**
   * a completed draft order or quote: its sales cycle (shared/kpi/sales-cycle.ts). Under `ORDER#`
   * so its stream records reach the fold; `DRAFT#<id>` holds a `#`, which no order id may.
   */
  draft: (channel: string, draftId: string) => ({ pk: `ORDER#${channel}#DRAFT#${draftId}`, sk: 'DRAFT' }),
  customerProduct: (channel: string, customerHash: string, product: string) => ({
    pk: `ORDER#${channel}#PROD#${customerHash}#${product}`,
    sk: 'PRODUCT',
  }),
  balance: (sku: string, location: string) => ({ pk: `SKU#${sku}`, sk: `LOC#${location}` }),
  /** ledger rows sort by location then time, so "movements at a location since T" is one range query */
  ledger: (sku: string, location: string, at: string, key: string) => ({
    pk: `SKU#${sku}`,
    sk: `MOVE#${location}#${at}#${key}`,
  }),
  ledgerRange: (sku: string, location: string) => ({ pk: `SKU#${sku}`, prefix: `MOVE#${location}#` }),
  /**
   * A sender's movement, once per (channel, idempotency key) whatever its time says: the ledger row
   * is keyed by time (for ranges), so a resend with another time would be another row.
   */
  adjustment: (channel: string, idempotencyKey: string) => ({ pk: `ADJ#${channel}#${idempotencyKey}`, sk: 'META' }),
  /**
   * KPI counters per channel per UTC hour, kept as the hours of one item per channel and UTC day
   * (attributes `T<HH>:<figure>`, read back as hour counters by hourCountersOf): a batch's changes to
   * one day are one write, however many of its hours they touch. One partition per channel and UTC
   * month (and write shard, of which there is one since the fold writes counters once per stream
   * batch instead of once per order: see KPI_SHARDS). They answer any time zone with whole-hour offsets.
   */
  kpiHours: (channel: string, day: string, shard: number) => ({
    pk: `KPI#${channel}#${day.slice(0, 7)}#${shard}`,
    sk: `H#${day.slice(0, 10)}`,
  }),
  /** rollup per calendar day in the rollup zone (KpiZone): a year of days is one partition */
  kpiDay: (channel: string, zone: string, day: string) => ({
    pk: `KPID#${channel}#${zone}#${day.slice(0, 4)}`,
    sk: `D#${day}`,
  }),
  /** rollup per calendar month in the rollup zone: every month of a channel is one partition */
  kpiMonth: (channel: string, zone: string, month: string) => ({ pk: `KPIM#${channel}#${zone}`, sk: `M#${month}` }),
  /** the one zone the day and month rollups are cut in, fixed by the first fold (see shared/kpi/fold.ts) */
  kpiZone: () => ({ pk: 'KPIZONE', sk: 'META' }),
  /**
   * a partner-reported figure's current version (shared/kpi/figures.ts): a channel's entries are one
   * partition, read with `begins_with E#`; the key alphabet has no `#`, so prefixes cannot collide
   */
  figure: (channel: string, key: string) => ({ pk: `FIG#${channel}`, sk: `E#${key}` }),
  /** every version of a figure, kept beside it (`V#<key>#<version>`, zero-padded so they sort) */
  figureVersion: (channel: string, key: string, version: number) => ({
    pk: `FIG#${channel}`,
    sk: `V#${key}#${String(version).padStart(6, '0')}`,
  }),
  /**
   * the quantity a channel lists of a SKU (ListedQuantityReported), in the SKU's partition beside
   * its balances: `LISTED#` sorts before `LOC#`, so a balance read (`begins_with LOC#`) never sees it
   */
  listed: (sku: string, channel: string) => ({ pk: `SKU#${sku}`, sk: `LISTED#${channel}` }),
  /**
   * A channel the hub has KPI data for (written by the fold with a channel's first month counter):
   * in the channel list's index partition (CHANNELS_INDEX_PK), so a channel that sells is listed
   * even with no connection or configuration of its own (a replayed or imported stream).
   */
  channelData: (channel: string) => ({
    pk: `CHANNEL#${channel}`,
    sk: 'DATA',
    feedPk: CHANNELS_INDEX_PK,
    feedSk: channel,
  }),
  /** a connection (source, channel, options; its secrets are in Secrets Manager) */
  connection: (id: string) => ({ pk: `${CONNECTION_PREFIX}${id}`, sk: 'META' }),
  /**
   * that a connection has API credentials (in Secrets Manager, never here): written by
   * `connections credentials`, read by normalize before it queues a catalog lookup
   */
  connectionApi: (id: string) => ({ pk: `${CONNECTION_PREFIX}${id}`, sk: 'API' }),
  /** an API key, addressed by the SHA-256 of its text (the text itself is never stored) */
  apiKey: (keyHash: string) => ({ pk: `${API_KEY_PREFIX}${keyHash}`, sk: 'META' }),
  /** a channel's configuration (listed through the CHANNELS_INDEX_PK index partition) */
  channel: (channel: string) => ({ pk: `CHANNEL#${channel}`, sk: 'META' }),
  /** a channel's entry for one connection that receives for it, written beside the connection */
  channelConnection: (channel: string, connectionId: string) => ({
    pk: `CHANNEL#${channel}`,
    sk: `${CONNECTION_PREFIX}${connectionId}`,
  }),
  listing: (channel: string, externalId: string) => ({ pk: `LISTING#${channel}#${externalId}`, sk: 'META' }),
  /**
   * The reverse of a listing: which of a channel's listings carry a SKU (one query finds them, for
   * pushing a quantity to the channel). Written with the listing; a listing later mapped to another
   * SKU leaves its old reverse item behind, so readers check it against the listing item.
   */
  skuListing: (channel: string, sku: string, externalId: string) => ({
    pk: `SKULIST#${channel}#${sku}`,
    sk: externalId,
  }),
  /** the version of a SKU's available-to-sell last claimed and confirmed as pushed to a channel */
  push: (channel: string, sku: string) => ({ pk: `PUSH#${channel}#${sku}`, sk: 'META' }),
  /** what the hub last set a listing to at one of the channel's own locations (the echo check reads it) */
  pushed: (channel: string, listing: string, location: string) => ({
    pk: `PUSHED#${channel}#${listing}`,
    sk: `LOC#${location}`,
  }),
  /** an order with a line waiting for this listing's SKU (in the listing's partition: one query finds them) */
  listingWaiter: (channel: string, externalId: string, orderId: string) => ({
    pk: `LISTING#${channel}#${externalId}`,
    sk: `WAIT#${orderId}`,
  }),
  hydration: (channel: string, entity: string, externalId: string) => ({
    pk: `HYDRATE#${channel}#${entity}#${externalId}`,
    sk: 'META',
  }),
  quarantine: (day: string, at: string, deliveryId: string) => ({ pk: `QUAR#${day}`, sk: `${at}#${deliveryId}` }),
  /**
   * A part of a stream batch's change page (shared/inventory/change-pages.ts): one partition per
   * UTC day of the stamp, sorted by stamp, so "changes since T" is a range read day by day.
   */
  changePage: (stampIso: string, shardId: string, lastSeq: string, part: number) => ({
    pk: `CHG#${stampIso.slice(0, 10)}`,
    sk: `${stampIso}#${shardId}#${lastSeq}#${part}`,
  }),
  /**
   * A balance's entry in the balance directory: one small item per balance ever created, spread
   * over BALANCE_DIR_SHARDS partitions, so every balance is listed without an index over balances.
   */
  balanceDir: (sku: string, location: string) => ({
    pk: balanceDirPartition(shardOf(`${sku}|${location}`, BALANCE_DIR_SHARDS)),
    sk: `${sku}#${location}`,
  }),
};

/** The balance directory's partition for a shard (of BALANCE_DIR_SHARDS). */
export const balanceDirPartition = (shard: number) => `BALDIR#${shard}`;

/** DynamoDB's key limits: partition key and sort key values, in UTF-8 bytes. */
export const DYNAMO_PK_MAX_BYTES = 2048;
export const DYNAMO_SK_MAX_BYTES = 1024;

const utf8 = new TextEncoder();

/**
 * Why DynamoDB would refuse this key, or undefined. Events are checked against the key-part rule
 * before they are stored, so only items written before it (or by hand) can fail this: the fold
 * checks its keys with it so one such item cannot fail its whole batch.
 */
export function keyProblem(key: Key): string | undefined {
  const pk = utf8.encode(key.pk).length;
  const sk = utf8.encode(key.sk).length;
  if (pk === 0 || sk === 0) return 'a key attribute is empty';
  if (pk > DYNAMO_PK_MAX_BYTES) return `partition key of ${pk} bytes exceeds DynamoDB's ${DYNAMO_PK_MAX_BYTES}`;
  if (sk > DYNAMO_SK_MAX_BYTES) return `sort key of ${sk} bytes exceeds DynamoDB's ${DYNAMO_SK_MAX_BYTES}`;
  return undefined;
}

/** An item's key as one map key: a JSON array, so no pk and sk can be joined into another pair's. */
export function itemRef(key: { pk?: unknown; sk?: unknown }): string {
  return JSON.stringify([key.pk, key.sk]);
}

/**
 * Write shards of the hour counters. One: the fold updates a counter at most once per stream batch
 * per stream shard (a few times a second at 1,700 deliveries/s), far below a partition's 1,000
 * write units/s, so spreading a busy hour over several items would only multiply the reads.
 */
export const KPI_SHARDS = 1;

/**
 * The balance directory's partitions (keys.balanceDir): a few, so listing every balance reads
 * them in parallel and creating balances spreads its writes.
 */
export const BALANCE_DIR_SHARDS = 4;

/** FNV-1a, 32 bits: a stable small hash (same input, same value, on every machine). */
export function fnv1a32(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shard a value falls in, of `shards` (for write sharding and the balance directory's partitions). */
export function shardOf(value: string, shards: number): number {
  return fnv1a32(value) % shards;
}

/** "2026-03-04T05:06:07.000Z" → "2026-03-04T05" (UTC hour bucket) */
export function hourBucket(iso: string): string {
  return new Date(iso).toISOString().slice(0, 13);
}
