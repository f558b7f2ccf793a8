import { forEachLimit } from '#shared/domain/pool.ts';
import { retryOnConflict } from '#shared/table/conflict.ts';
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
import { balanceStampAttributes, balanceView, isNewOversell, iso } from '#shared/inventory/balance.ts';
import { needsDirectoryEntry, writeDirectoryEntries } from '#shared/inventory/balance-directory.ts';
import { mappingHint } from '#shared/listings/mapping-hint.ts';
import { applyListedQuantity } from '#shared/inventory/listed-quantity.ts';
import { appliedMovesAfter } from '#shared/inventory/stock-fold.ts';
import { LEGACY_BALANCE_INDEX_ATTRS, keys } from '#shared/table/keys.ts';
import { customerAttributes, settleCustomerItems } from '#shared/kpi/customer-items.ts';
import { applySalesCycle } from '#shared/kpi/sales-cycle.ts';
import {
  mergeCancel,
  mergeFulfillment,
  mergeRefund,
  mergeUpsert,
  orderBodyOfItem,
  resolveWaitingLines,
  upsertState,
  waitingListing,
  type OrderItemBody,
} from '#shared/normalize/order-state.ts';
import { WriteConflictError, type Item, type Key, type TablePort, type WriteOp } from '#shared/table/port.ts';
import { stableStringify } from '#shared/domain/stable-json.ts';
import { conditionExpression, eq, ifNotExists, notExists, updateExpression } from '#shared/table/expression.ts';

export type ApplyResult = 'applied' | 'noop';

/** What the caller may want to know besides the result (metrics). */
export interface ApplyObserver {
  /**
   * oversells a stock event caused (balances it took below zero available); an order's oversells
   * are found by the fold, which applies its stock effects (shared/inventory/stock-fold.ts)
   */
  oversells?(n: number): void;
  /**
   * order lines a written order version newly keeps as unmapped (their listing has no SKU yet):
   * counted once the write succeeded, by line id, so a redelivery or a later version counts none
   */
  unmappedLines?(n: number): void;
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

/** Counts of one delivery applied at once (each a read and a conditional write). */
const COUNT_CONCURRENCY = 8;

/**
 * A write that lost a race is re-planned (MAX_CONFLICT_ATTEMPTS tries in all) before the delivery
 * is retried through the queue; a short random back-off spreads racing writers apart. `consistent`
 * says how `fn` reads what its write is conditional on: the first attempt eventually consistently
 * (half the read units), every retry strongly — a stale first read costs a failed condition and a
 * retry, never a wrong answer, since the write's condition is on exactly what was read (the
 * property test in test/integration/normalize serves stale reads to prove it).
 */
async function withConflictRetry(fn: (consistent: boolean) => Promise<ApplyResult>): Promise<ApplyResult> {
  return retryOnConflict(
    (n) => fn(n > 1),
    (n) => new Promise((r) => setTimeout(r, Math.random() * 10 * n)),
  );
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
      return withConflictRetry(async (consistent) =>
        (await applyOrderEvents(table, [event], now, observer, consistent)) > 0 ? 'applied' : 'noop',
      );
    case 'StockLevelSet':
      return withConflictRetry((consistent) => counted(() => applyStockLevel(table, event, now, consistent))());
    case 'StockAdjusted':
      return withConflictRetry(counted(() => applyStockAdjusted(table, event, now)));
    case 'ListingMapped': {
      const result = await withConflictRetry(() => applyListing(table, event));
      // also when the mapping was applied before: a crash between the two must not strand a waiter
      const waiters = await table.queryBetween(keys.listing(event.channel, event.externalId).pk, 'WAIT#', 'WAIT$');
      let resolved = 0;
      for (const w of waiters)
        if ((await resolveWaitingOrder(table, event.channel, String(w.orderId), now)) === 'applied') resolved++;
      return result === 'applied' || resolved > 0 ? 'applied' : 'noop';
    }
    case 'HydrationPending':
      return withConflictRetry(() => applyHydration(table, event));
    case 'ListedQuantityReported':
      return withConflictRetry((consistent) => applyListedQuantity(table, event, consistent));
    case 'SalesCycleRecorded':
      return withConflictRetry((consistent) => applySalesCycle(table, event, consistent));
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
  e.type === 'OrderUpserted' ||
  e.type === 'OrderCancelled' ||
  e.type === 'RefundRecorded' ||
  e.type === 'FulfillmentRecorded';

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
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (!Array.isArray(u) && u.type === 'StockLevelSet') {
      // a bulk count (a warehouse's stock.set of up to MAX_BULK_COUNTS rows): counts of different
      // balances are independent and the newest asOf wins whatever the order, so a run of them is
      // applied a few at a time, well inside the function's timeout
      let end = i;
      while (
        end + 1 < units.length &&
        !Array.isArray(units[end + 1]) &&
        (units[end + 1] as CanonicalEvent).type === 'StockLevelSet'
      )
        end++;
      const run = units.slice(i, end + 1) as StockLevelSet[];
      // the first failing count in delivery order is the one reported (its reason quarantines the
      // delivery, or the delivery is retried); no new count starts once one has failed
      const failed: { at: number; err: unknown }[] = [];
      await forEachLimit(
        run.length,
        COUNT_CONCURRENCY,
        async (at) => {
          try {
            if ((await applyEvent(table, run[at]!, now, observer)) === 'applied') applied++;
          } catch (err) {
            failed.push({ at, err });
          }
        },
        () => failed.length > 0,
      );
      if (failed.length > 0) throw failed.reduce((a, b) => (b.at < a.at ? b : a)).err;
      i = end;
      continue;
    }
    if (!Array.isArray(u)) {
      if ((await applyEvent(table, u, now, observer)) === 'applied') applied++;
      continue;
    }
    let changed = 0;
    await withConflictRetry(async (consistent) => {
      changed = await applyOrderEvents(table, u, now, observer, consistent);
      return changed > 0 ? 'applied' : 'noop';
    });
    applied += changed;
  }
  return applied;
}

/** Events of one order, merged into its item in one conditional put; how many changed it. */
async function applyOrderEvents(
  table: TablePort,
  events: OrderEvent[],
  now: () => Date,
  observer: ApplyObserver = {},
  /** false: the order is read eventually consistently (the put is conditional on its `rev`) */
  consistent = true,
): Promise<number> {
  const { channel, orderId } = events[0]!;
  const key = keys.order(channel, orderId);
  const current = await table.get(key, { consistent });
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
      next = mergeUpsert(
        after,
        upsertState(e, (id) => listings.get(id)),
      );
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
  if (changed === 0 || afterJson === beforeJson) {
    // nothing new for the order, but an earlier attempt of this delivery may have stored it and
    // failed before its customer items: finish them (reads only when they are done)
    if (current) await settleCustomerItems(table, current, { consistent });
    return 0;
  }

  const waiting = waitingListings(after);
  // what the order says of its customer (first order, purchases per product) goes to the customer
  // items after the order's put, each by its own conditional write (shared/kpi/customer-items.ts)
  const customer = customerAttributes(current, before, after, Number(current?.rev ?? 0) + 1);
  const stored = await putOrder(table, key, current, after, now, waiting, customer);
  if (customer.settle) await settleCustomerItems(table, stored, { consistent });
  if (waiting.length > 0) {
    const before = new Set(
      (current ? (orderBodyOfItem(current).state?.lines ?? []) : []).filter((l) => l.unmapped).map((l) => l.lineId),
    );
    const fresh = (after.state?.lines ?? []).filter((l) => l.unmapped && !before.has(l.lineId)).length;
    if (fresh > 0) observer.unmappedLines?.(fresh);
  }
  // a mapping applied while this order was being merged wrote its listing before looking for
  // waiters, and this order wrote its waiters before looking for mappings: one of them sees the other
  if (waiting.length > 0) await resolveWaitingOrder(table, channel, orderId, now);
  return changed;
}

/** The listing ids an order's unmapped lines wait for. */
function waitingListings(order: OrderItemBody): string[] {
  return [...new Set((order.state?.lines ?? []).map(waitingListing).filter((id): id is string => id !== undefined))];
}

/**
 * Writes an order version: one conditional put (on its revision), no transaction — what it changes
 * in stock (reservations, shipments, restocks, oversells) and in the KPIs is folded from this
 * item's change on the table's stream (shared/inventory/stock-fold.ts, shared/kpi/fold.ts); its
 * customer items are written after it (shared/kpi/customer-items.ts). An order with lines waiting
 * for a listing's SKU also marks itself in each listing's partition, in the same transaction, so
 * the mapping finds it when it comes (resolveWaitingOrder).
 */
async function putOrder(
  table: TablePort,
  key: Key,
  current: Item | undefined,
  body: OrderItemBody,
  now: () => Date,
  waiting: readonly string[],
  /** its customer bookkeeping (shared/kpi/customer-items.ts); absent: as on `current` */
  customer: { pv?: number; gone?: string[] } = {
    pv: current?.pv as number | undefined,
    gone: current?.gone as string[] | undefined,
  },
): Promise<Item> {
  const rev = Number(current?.rev ?? 0) + 1;
  const orderItem: Item = {
    ...key,
    type: 'order',
    ...body,
    partner: current?.partner,
    ...(customer.pv ? { pv: customer.pv } : {}),
    ...(customer.gone?.length ? { gone: customer.gone } : {}),
    rev,
    updatedAt: now().toISOString(),
  };
  const ops: WriteOp[] = [
    current
      ? { kind: 'put', item: orderItem, ...conditionExpression(eq('rev', Number(current.rev ?? 0))) }
      : { kind: 'put', item: orderItem, ...conditionExpression(notExists('pk')) },
  ];
  for (const id of waiting)
    ops.push({
      kind: 'put',
      item: { ...keys.listingWaiter(body.channel, id, body.orderId), type: 'listing-waiter', orderId: body.orderId },
    });
  await table.write(ops);
  return orderItem;
}

/**
 * Resolves an order's lines that wait for listings now mapped: the order item is rewritten with
 * their SKUs, and the fold reserves (or ships) them exactly once, by the change of the order's
 * contribution. Nothing to resolve: no write.
 */
async function resolveWaitingOrder(
  table: TablePort,
  channel: string,
  orderId: string,
  now: () => Date,
): Promise<ApplyResult> {
  return withConflictRetry(async () => {
    const key = keys.order(channel, orderId);
    const current = await table.get(key);
    if (!current) return 'noop';
    const body = orderBodyOfItem(current);
    const ids = waitingListings(body);
    if (ids.length === 0) return 'noop';
    const resolved = await resolveListings(table, channel, ids);
    if (resolved.size === 0) return 'noop';
    const next = resolveWaitingLines(body, resolved);
    await putOrder(table, key, current, next, now, waitingListings(next));
    return 'applied';
  });
}

// ---------------------------------------------------------------------------------------------
// stock

async function resolveSku(
  table: TablePort,
  channel: string,
  e: { sku?: string; inventoryItemId?: string; source: string },
): Promise<string> {
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

async function applyStockLevel(
  table: TablePort,
  e: StockLevelSet,
  now: () => Date,
  /** false: the balance is read eventually consistently (the update is conditional on its `rev`) */
  consistent = true,
): Promise<Applied> {
  const sku = await resolveSku(table, e.channel, e);
  const asOf = iso(e.asOf);
  const bk = keys.balance(sku, e.locationId);
  const current = await table.get(bk, { consistent });
  const bal = balanceView(current);
  if (bal.countAsOf && bal.countAsOf >= asOf) return NOOP;
  // movements after the count happened later than it and still apply on top of it — those the
  // balance has taken in; the fold applies the others afterwards, against this count
  const range = keys.ledgerRange(sku, e.locationId);
  const later = await table.queryBetween(range.pk, `${range.prefix}${asOf}~`, `${range.prefix}~`);
  const onHand = e.quantity + appliedMovesAfter(later, current, asOf, now().getTime());
  const available = onHand - bal.reserved;
  if (needsDirectoryEntry(current)) await writeDirectoryEntries(table, [{ sku, location: e.locationId }]);
  await table.write([
    {
      kind: 'update',
      key: bk,
      ...updateExpression(
        {
          set: {
            onHand,
            available,
            reserved: ifNotExists(0),
            countAsOf: asOf,
            countSource: e.channel,
            ...balanceStampAttributes(sku, e.locationId, now().toISOString(), 'count'),
          },
          add: { rev: 1 },
          remove: LEGACY_BALANCE_INDEX_ATTRS,
        },
        bal.exists ? eq('rev', bal.rev) : notExists('pk'),
      ),
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
  const current = await table.get(bk);
  const bal = balanceView(current);
  if (needsDirectoryEntry(current)) await writeDirectoryEntries(table, [{ sku, location: e.locationId }]);
  const counts = !bal.countAsOf || at > bal.countAsOf;
  const onHandDelta = counts ? e.delta : 0;
  const ops: WriteOp[] = [
    // the movement's identity is (channel, idempotency key) alone (docs/hub-format.md): a resend with
    // another `at` finds this marker and changes nothing
    {
      kind: 'put',
      item: { ...keys.adjustment(e.channel, e.idempotencyKey), type: 'adjustment', sku, location: e.locationId, at },
      ...conditionExpression(notExists('pk')),
    },
    {
      kind: 'put',
      item: {
        ...lk,
        type: 'move',
        sku,
        location: e.locationId,
        delta: e.delta,
        at,
        reason: e.reason,
        ref: `${e.channel}:${e.idempotencyKey}`,
        onHand: counts,
      },
      ...conditionExpression(notExists('pk')),
    },
    {
      kind: 'update',
      key: bk,
      ...updateExpression(
        {
          set: {
            reserved: ifNotExists(0),
            ...balanceStampAttributes(sku, e.locationId, now().toISOString(), 'count'),
          },
          add: { onHand: onHandDelta, available: onHandDelta, rev: 1 },
          remove: LEGACY_BALANCE_INDEX_ATTRS,
        },
        bal.countAsOf ? eq('countAsOf', bal.countAsOf) : notExists('countAsOf'),
      ),
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

function reverseListing(e: ListingMapped): Item {
  return {
    ...keys.skuListing(e.channel, e.sku, e.externalId),
    type: 'sku-listing',
    channel: e.channel,
    externalId: e.externalId,
    sku: e.sku,
  };
}

async function applyListing(table: TablePort, e: ListingMapped): Promise<ApplyResult> {
  const key: Key = keys.listing(e.channel, e.externalId);
  const current = await table.get(key);
  const at = iso(e.at);
  if (current && current.sku === e.sku && current.reverse !== true) {
    // mapped before listings had their reverse item: written now, once, so the SKU can be pushed
    // (the reverse item first: the flag says it exists)
    await table.write([{ kind: 'put', item: reverseListing(e) }]);
    await table.write([
      {
        kind: 'update',
        key,
        ...updateExpression({ set: { reverse: true } }, eq('at', current.at)),
        billedSize: 200,
      },
    ]);
    return 'noop';
  }
  if (current && (current.sku === e.sku || String(current.at) >= at)) return 'noop';
  // Two writes, not a transaction (which bills every item twice): the reverse item first, then the
  // listing. A failure between them leaves the listing as it was, so the redelivery writes both
  // again; a listing write that loses to a newer mapping leaves a reverse item behind, which is
  // harmless: channel pushes check each reverse item against its listing (shared/aws/channel-push.ts).
  await table.write([{ kind: 'put', item: reverseListing(e) }]);
  await table.write([
    {
      kind: 'put',
      item: { ...key, type: 'listing', channel: e.channel, externalId: e.externalId, sku: e.sku, at, reverse: true },
      ...conditionExpression(current ? eq('at', current.at) : notExists('pk')),
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
    // a listing (no version of its own) takes every new delivery as its latest asker
    const older =
      e.entity !== 'listing' &&
      cur &&
      (cur.seq !== undefined && incoming.seq !== undefined
        ? incoming.seq <= cur.seq
        : Date.parse(incoming.at) < Date.parse(cur.at));
    if (older || current.deliveryId === e.deliveryId) return 'noop';
  }
  await table.write([
    current
      ? { kind: 'put', item, ...conditionExpression(eq('deliveryId', current.deliveryId)) }
      : { kind: 'put', item, ...conditionExpression(notExists('pk')) },
  ]);
  return 'applied';
}

const HYDRATION_STATE = [
  'enqueuedAt',
  'connectionId',
  'fetchedVersion',
  'fetchedDeliveryId',
  'fetchedAt',
  'outcome',
  'outcomeReason',
  'lastError',
  'lastErrorAt',
  'retryAt',
] as const;

function carriedHydrationState(current: Item | undefined): Item {
  const out: Item = {};
  for (const f of HYDRATION_STATE) if (current?.[f] !== undefined) out[f] = current[f];
  return out;
}
