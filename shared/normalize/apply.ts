import type {
  CanonicalEvent,
  FulfillmentRecorded,
  HydrationPending,
  ListingMapped,
  OrderCancelled,
  OrderUpserted,
  RefundRecorded,
  StockAdjusted,
  StockLevelSet,
} from '#shared/domain/events.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { balanceStamp, balanceView, isNewOversell, iso } from '#shared/inventory/balance.ts';
import { mappingHint } from '#shared/listings/mapping-hint.ts';
import { applyListedQuantity } from '#shared/inventory/listed-quantity.ts';
import { appliedMovesAfter } from '#shared/inventory/stock-fold.ts';
import { keys } from '#shared/normalize/keys.ts';
import { mergeCancel, mergeFulfillment, mergeRefund, mergeUpsert, orderBodyOfItem, upsertState, type OrderItemBody } from '#shared/normalize/order-state.ts';
import { WriteConflictError, type Item, type Key, type TablePort, type WriteOp } from '#shared/normalize/ports.ts';
import { stableStringify } from '#shared/normalize/stable-json.ts';

export type ApplyResult = 'applied' | 'noop';

/** What the caller may want to know besides the result (metrics). */
export interface ApplyObserver {
  /**
   * oversells a stock event caused (balances it took below zero available); an order's oversells
   * are found by the fold, which applies its stock effects (shared/inventory/stock-fold.ts)
   */
  oversells?(n: number): void;
}

/** An event that cannot be applied as it is (e.g. a stock level for an unmapped listing): quarantine it. */
export class UnresolvableEventError extends Error {
  override name = 'UnresolvableEventError';
  constructor(
    readonly reason: string,
    message: string,
    /** the listing id that had no SKU (reason `unmapped-listing`): mapping it replays the delivery */
    readonly externalId?: string,
  ) {
    super(message);
  }
}

/** How often a write that lost a race is re-planned before the delivery is retried through the queue. */
const MAX_CONFLICTS = 8;

async function withConflictRetry(fn: () => Promise<ApplyResult>): Promise<ApplyResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof WriteConflictError) || attempt >= MAX_CONFLICTS) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
    }
  }
}

/**
 * Applies one canonical event with exactly-once effect. Every path reads what it will change,
 * decides in pure code, and writes with a condition that fails if someone changed it meanwhile
 * (then it reads again). A redelivered or stale event changes nothing and writes nothing.
 */
export async function applyEvent(
  table: TablePort,
  event: CanonicalEvent,
  now: Clock,
  observer: ApplyObserver = {},
): Promise<ApplyResult> {
  // counted only once a write succeeded: a lost race is planned (and counted) again
  const counted = (fn: () => Promise<{ result: ApplyResult; oversells: number }>) => async () => {
    const r = await fn();
    if (r.oversells > 0) observer.oversells?.(r.oversells);
    return r.result;
  };
  switch (event.type) {
    case 'OrderUpserted':
    case 'OrderCancelled':
    case 'RefundRecorded':
    case 'FulfillmentRecorded':
      return withConflictRetry(async () => ((await applyOrderEvents(table, [event], now)) > 0 ? 'applied' : 'noop'));
    case 'StockLevelSet':
      return withConflictRetry(counted(() => applyStockLevel(table, event, now)));
    case 'StockAdjusted':
      return withConflictRetry(counted(() => applyStockAdjusted(table, event, now)));
    case 'ListingMapped':
      return withConflictRetry(() => applyListing(table, event));
    case 'HydrationPending':
      return withConflictRetry(() => applyHydration(table, event));
    case 'ListedQuantityReported':
      return withConflictRetry(() => applyListedQuantity(table, event));
  }
}

// ---------------------------------------------------------------------------------------------
// orders

function orderBody(item: Item | undefined, channel: string, orderId: string): OrderItemBody {
  return item ? orderBodyOfItem(item) : { channel, orderId, refunds: {} };
}

async function resolveListings(table: TablePort, channel: string, externalIds: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(externalIds)];
  if (unique.length === 0) return new Map();
  const items = await table.batchGet(unique.map((id) => keys.listing(channel, id)));
  return new Map(items.map((it) => [String(it.externalId), String(it.sku)]));
}

type Applied = { result: ApplyResult; oversells: number };
const NOOP: Applied = { result: 'noop', oversells: 0 };

type OrderEvent = OrderUpserted | OrderCancelled | RefundRecorded | FulfillmentRecorded;

const isOrderEvent = (e: CanonicalEvent): e is OrderEvent =>
  e.type === 'OrderUpserted' || e.type === 'OrderCancelled' || e.type === 'RefundRecorded' || e.type === 'FulfillmentRecorded';

/**
 * Applies a delivery's events, each with exactly-once effect. The events of one order (Shopify's
 * orders/cancelled is the order and its cancellation, a WooCommerce refund the order and its
 * refund) are merged into the order item together and written once: one write unit, not one per
 * event, and the same item as applying them one by one (the merges are pure and commutative).
 * Returns how many events changed something.
 */
export async function applyEvents(
  table: TablePort,
  events: CanonicalEvent[],
  now: Clock,
  observer: ApplyObserver = {},
): Promise<number> {
  // in delivery order; an order's events are one unit, where its first event stood
  const units: (CanonicalEvent | OrderEvent[])[] = [];
  const orders = new Map<string, OrderEvent[]>();
  for (const e of events) {
    if (!isOrderEvent(e)) {
      units.push(e);
      continue;
    }
    const k = `${e.channel}\u0000${e.orderId}`;
    const group = orders.get(k);
    if (group) group.push(e);
    else orders.set(k, units[units.push([e]) - 1] as OrderEvent[]);
  }
  let applied = 0;
  for (const u of units) {
    if (!Array.isArray(u)) {
      if ((await applyEvent(table, u, now, observer)) === 'applied') applied++;
      continue;
    }
    let changed = 0;
    await withConflictRetry(async () => {
      changed = await applyOrderEvents(table, u, now);
      return changed > 0 ? 'applied' : 'noop';
    });
    applied += changed;
  }
  return applied;
}

/** Events of one order, merged into its item in one conditional put; how many changed it. */
async function applyOrderEvents(table: TablePort, events: OrderEvent[], now: () => Date): Promise<number> {
  const { channel, orderId } = events[0]!;
  const key = keys.order(channel, orderId);
  const current = await table.get(key);
  const before = orderBody(current, channel, orderId);
  let after = before;
  let afterJson = stableStringify(before);
  const beforeJson = afterJson;
  let changed = 0;
  for (const e of events) {
    let next: OrderItemBody;
    if (e.type === 'OrderUpserted') {
      const unresolved = e.lines.filter((l) => !l.sku && l.externalItemId).map((l) => l.externalItemId!);
      const listings = await resolveListings(table, e.channel, unresolved);
      next = mergeUpsert(after, upsertState(e, (id) => listings.get(id)));
    } else if (e.type === 'OrderCancelled') {
      next = mergeCancel(after, e);
    } else if (e.type === 'FulfillmentRecorded') {
      next = mergeFulfillment(after, e);
    } else {
      next = mergeRefund(after, e);
    }
    const nextJson = stableStringify(next);
    if (nextJson !== afterJson) changed++;
    after = next;
    afterJson = nextJson;
  }
  if (changed === 0 || afterJson === beforeJson) return 0;

  const rev = Number(current?.rev ?? 0) + 1;
  const orderItem: Item = { ...key, type: 'order', ...after, partner: current?.partner, rev, updatedAt: now().toISOString() };
  // One conditional put, no transaction: what the order version changes in stock (reservations,
  // shipments, restocks, oversells) and in the KPIs is folded from this item's change on the
  // table's stream, batch by batch (fold function: shared/inventory/stock-fold.ts, shared/kpi/fold.ts).
  await table.write([
    current
      ? { kind: 'put', item: orderItem, condition: 'rev = :rev', values: { ':rev': Number(current.rev ?? 0) } }
      : { kind: 'put', item: orderItem, condition: 'attribute_not_exists(pk)' },
  ]);
  return changed;
}

// ---------------------------------------------------------------------------------------------
// stock

async function resolveSku(table: TablePort, channel: string, e: { sku?: string; inventoryItemId?: string; source: string }): Promise<string> {
  if (e.sku) return e.sku;
  if (!e.inventoryItemId) throw new UnresolvableEventError('no-sku', 'the event names neither a SKU nor a listing id');
  const map = await resolveListings(table, channel, [e.inventoryItemId]);
  const sku = map.get(e.inventoryItemId);
  if (!sku) {
    throw new UnresolvableEventError(
      'unmapped-listing',
      `no SKU is mapped to ${channel} listing ${e.inventoryItemId} yet; ${mappingHint(e.source, channel, e.inventoryItemId)}`,
      e.inventoryItemId,
    );
  }
  return sku;
}

async function applyStockLevel(table: TablePort, e: StockLevelSet, now: () => Date): Promise<Applied> {
  const sku = await resolveSku(table, e.channel, e);
  const asOf = iso(e.asOf);
  const bk = keys.balance(sku, e.locationId);
  const current = await table.get(bk);
  const bal = balanceView(current);
  if (bal.countAsOf && bal.countAsOf >= asOf) return NOOP;
  // movements after the count happened later than it and still apply on top of it — those the
  // balance has taken in; the fold applies the others afterwards, against this count
  const range = keys.ledgerRange(sku, e.locationId);
  const later = await table.queryBetween(range.pk, `${range.prefix}${asOf}~`, `${range.prefix}~`);
  const onHand = e.quantity + appliedMovesAfter(later, current, asOf, now().getTime());
  const available = onHand - bal.reserved;
  const stamp = balanceStamp(sku, e.locationId, now().toISOString());
  await table.write([
    {
      kind: 'update',
      key: bk,
      update: `SET onHand = :oh, available = :av, reserved = if_not_exists(reserved, :zero), countAsOf = :asOf, countSource = :src, ${stamp.set} ADD rev :one`,
      names: stamp.names,
      values: {
        ':oh': onHand,
        ':av': available,
        ':zero': 0,
        ':asOf': asOf,
        ':src': e.channel,
        ':one': 1,
        ...stamp.values,
        ...(bal.exists ? { ':rev': bal.rev } : {}),
      },
      condition: bal.exists ? 'rev = :rev' : 'attribute_not_exists(pk)',
      billedSize: Math.max(bal.size, 260),
    },
  ]);
  return { result: 'applied', oversells: isNewOversell(bal.available, available) ? 1 : 0 };
}

async function applyStockAdjusted(table: TablePort, e: StockAdjusted, now: () => Date): Promise<Applied> {
  const sku = await resolveSku(table, e.channel, e);
  const at = iso(e.at);
  const bk = keys.balance(sku, e.locationId);
  const lk = keys.ledger(sku, e.locationId, at, `adj:${e.channel}:${e.idempotencyKey}`);
  const bal = balanceView(await table.get(bk));
  const counts = !bal.countAsOf || at > bal.countAsOf;
  const stamp = balanceStamp(sku, e.locationId, now().toISOString());
  const onHandDelta = counts ? e.delta : 0;
  const ops: WriteOp[] = [
    // the movement's identity is (channel, idempotency key) alone (HUB-FORMAT.md): a resend with
    // another `at` finds this marker and changes nothing
    {
      kind: 'put',
      item: { ...keys.adjustment(e.channel, e.idempotencyKey), type: 'adjustment', sku, location: e.locationId, at },
      condition: 'attribute_not_exists(pk)',
    },
    {
      kind: 'put',
      item: { ...lk, type: 'move', sku, location: e.locationId, delta: e.delta, at, reason: e.reason, ref: `${e.channel}:${e.idempotencyKey}`, onHand: counts },
      condition: 'attribute_not_exists(pk)',
    },
    {
      kind: 'update',
      key: bk,
      update: `ADD onHand :d, available :d, rev :one SET reserved = if_not_exists(reserved, :zero), ${stamp.set}`,
      names: stamp.names,
      values: { ':d': onHandDelta, ':one': 1, ':zero': 0, ...stamp.values, ...(bal.countAsOf ? { ':seenAsOf': bal.countAsOf } : {}) },
      condition: bal.countAsOf ? 'countAsOf = :seenAsOf' : 'attribute_not_exists(countAsOf)',
      billedSize: Math.max(bal.size, 230),
    },
  ];
  try {
    await table.write(ops);
  } catch (err) {
    // the marker or the ledger row exists (rows written before markers have only the row): applied before
    if (err instanceof WriteConflictError && (err.failed[0] || err.failed[1])) return NOOP;
    throw err;
  }
  return { result: 'applied', oversells: isNewOversell(bal.available, bal.available + onHandDelta) ? 1 : 0 };
}

// ---------------------------------------------------------------------------------------------
// listings and thin deliveries

async function applyListing(table: TablePort, e: ListingMapped): Promise<ApplyResult> {
  const key: Key = keys.listing(e.channel, e.externalId);
  const current = await table.get(key);
  const at = iso(e.at);
  if (current && (current.sku === e.sku || String(current.at) >= at)) return 'noop';
  await table.write([
    {
      kind: 'put',
      item: { ...key, type: 'listing', channel: e.channel, externalId: e.externalId, sku: e.sku, at },
      condition: current ? '#at = :prev' : 'attribute_not_exists(pk)',
      ...(current ? { names: { '#at': 'at' }, values: { ':prev': current.at } } : {}),
    },
  ]);
  return 'applied';
}

async function applyHydration(table: TablePort, e: HydrationPending): Promise<ApplyResult> {
  const key = keys.hydration(e.channel, e.entity, e.externalId);
  const current = await table.get(key);
  const item: Item = {
    ...key,
    type: 'hydration',
    status: 'pending',
    channel: e.channel,
    source: e.source,
    entity: e.entity,
    externalId: e.externalId,
    version: e.version,
    detail: e.detail,
    deliveryId: e.deliveryId,
    occurredAt: iso(e.occurredAt),
    // what the fetch side keeps on the item (shared/hydrate/hydrate.ts): a newer webhook must not
    // forget that a fetch is in flight or what the last one covered
    ...carriedHydrationState(current),
  };
  if (current) {
    const cur = current.version as { at: string; seq?: number } | undefined;
    const incoming = e.version ?? { at: e.occurredAt };
    // a time alone (BigCommerce's webhook `created_at`, whole seconds) cannot order two changes of
    // one second: the later delivery is taken, so the order is fetched once more, not missed
    const older = cur && (cur.seq !== undefined && incoming.seq !== undefined ? incoming.seq <= cur.seq : Date.parse(incoming.at) < Date.parse(cur.at));
    if (older || current.deliveryId === e.deliveryId) return 'noop';
  }
  await table.write([
    current
      ? { kind: 'put', item, condition: 'deliveryId = :d', values: { ':d': current.deliveryId } }
      : { kind: 'put', item, condition: 'attribute_not_exists(pk)' },
  ]);
  return 'applied';
}

const HYDRATION_STATE = ['enqueuedAt', 'connectionId', 'fetchedVersion', 'fetchedDeliveryId', 'fetchedAt', 'outcome'] as const;

function carriedHydrationState(current: Item | undefined): Item {
  const out: Item = {};
  for (const f of HYDRATION_STATE) if (current?.[f] !== undefined) out[f] = current[f];
  return out;
}
