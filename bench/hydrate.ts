import { adapt } from '#shared/adapters/index.ts';
import { resolveCatalogSku } from '#shared/hydrate/catalog.ts';
import { orderClientFor } from '#shared/hydrate/clients.ts';
import { hydrateMessage, type HydrationMessage } from '#shared/hydrate/hydrate.ts';
import { memoryTokenCache, type ApiCredentials } from '#shared/hydrate/types.ts';
import { normalizeMessage, type NormalizeDeps } from '#shared/normalize/normalize.ts';
import type { CostStats } from '#shared/table/port.ts';
import { deliveryFor, payload, type Json } from '#test/fixtures/payloads.ts';
import {
  bigcommerceOrder,
  ebayOrder,
  fakeBigCommerce,
  fakeEbay,
  fakeSquare,
  squareOrder,
  type FakeSender,
} from '../test/support/fake-senders.ts';
import { ALLOWANCES, deployedSettings } from './cost.ts';
import { percentile, readConst, round, table, type BenchModule } from './lib.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { PRICES } from './prices.ts';
import { mulberry32 } from './prng.ts';

/**
 * Hydration (docs/hydration.md) on a mix where 20% of deliveries are thin and every hydrated
 * order gets 3 webhooks in a burst (Square created + 2 × updated, BigCommerce created + 2 ×
 * statusUpdated, eBay one ORDER_CONFIRMATION per line of a 3-line order), a third of the orders per
 * sender. Run in-process on a virtual clock: the webhooks of an order arrive over `BURST_SPREAD_MS`,
 * each fetch message is processed when the queue's delivery delay has passed, against fake sender
 * APIs on 127.0.0.1 whose order changes with each webhook. Figures: API calls per hydrated order,
 * the cost hydration adds per thin delivery and per million deliveries of the mix, and the hub's
 * own in-process time per fetch.
 */

const DELIVERY_DELAY_SECONDS = readConst(
  'infra/hub-stack.ts',
  /export const HYDRATE_DELIVERY_DELAY_SECONDS = (\d+)/,
  'HYDRATE_DELIVERY_DELAY_SECONDS',
);
/** the webhooks of one change arrive within this (the senders send them within a few seconds) */
export const BURST_SPREAD_MS = 5_000;
/** a new order starts every this often (orders overlap: several bursts are in flight at once) */
const ORDER_GAP_MS = 700;
export const THIN_SHARE = 0.2;
export const WEBHOOKS_PER_ORDER = 3;
export const API_CALLS_TARGET = 1.1;
/**
 * Stated allowance for a sender API's round trip inside the hydrate function's billed duration
 * (the fakes answer over loopback in well under a millisecond; the real APIs do not).
 */
export const API_ROUND_TRIP_MS = 250;

type Sender = 'square' | 'bigcommerce' | 'ebay';
const SENDERS: Sender[] = ['square', 'bigcommerce', 'ebay'];
const T0 = Date.parse('2026-03-02T16:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

interface Sim {
  calls: { square: number; bigcommerce: number; ebay: number; ebayTokens: number };
  normalizeStats: CostStats;
  hydrateStats: CostStats;
  hydrateMs: number[];
  messages: number;
  hydrated: number;
  orders: number;
  thin: number;
  applied: number;
}

function diff(a: CostStats, b: CostStats): CostStats {
  return {
    readRequests: a.readRequests - b.readRequests,
    writeRequests: a.writeRequests - b.writeRequests,
    readUnits: a.readUnits - b.readUnits,
    writeUnits: a.writeUnits - b.writeUnits,
  };
}
const add = (a: CostStats, b: CostStats): CostStats => ({
  readRequests: a.readRequests + b.readRequests,
  writeRequests: a.writeRequests + b.writeRequests,
  readUnits: a.readUnits + b.readUnits,
  writeUnits: a.writeUnits + b.writeUnits,
});
const zero = (): CostStats => ({ readRequests: 0, writeRequests: 0, readUnits: 0, writeUnits: 0 });

async function simulate(ordersPerSender: number, seed: number, hydrate: boolean): Promise<Sim> {
  const rand = mulberry32(seed);
  const square = await fakeSquare({ token: 'sq' });
  const bc = await fakeBigCommerce({ token: 'bc', storeHash: 'k9x2z', quota: 450 });
  const ebay = await fakeEbay({ clientId: 'cid', clientSecret: 'cs', refreshToken: 'rt' });
  const fakes: Record<Sender, FakeSender> = { square, bigcommerce: bc, ebay };
  const creds: Record<Sender, ApiCredentials> = {
    square: { accessToken: 'sq', baseUrl: square.url },
    bigcommerce: { accessToken: 'bc', storeHash: 'k9x2z', baseUrl: bc.url },
    ebay: { clientId: 'cid', clientSecret: 'cs', refreshToken: 'rt', baseUrl: ebay.url },
  };
  try {
    const t = new MemoryTable();
    let simNow = T0;
    const now = () => new Date(simNow);
    const tokens = memoryTokenCache();
    type Ev = { at: number; seq: number; run: () => Promise<void> };
    const events: Ev[] = [];
    let seq = 0;
    const schedule = (at: number, run: () => Promise<void>) => events.push({ at, seq: seq++, run });
    const sim: Sim = {
      calls: { square: 0, bigcommerce: 0, ebay: 0, ebayTokens: 0 },
      normalizeStats: zero(),
      hydrateStats: zero(),
      hydrateMs: [],
      messages: 0,
      hydrated: 0,
      orders: 0,
      thin: 0,
      applied: 0,
    };
    const queue = {
      send: async (m: HydrationMessage) => {
        sim.messages++;
        schedule(simNow + DELIVERY_DELAY_SECONDS * 1000, async () => {
          const before = { ...t.stats };
          const started = performance.now();
          const out = await hydrateMessage(JSON.stringify(m), {
            table: t,
            queue,
            channels: { list: async () => [] },
            now,
            clientFor: async (msg) =>
              orderClientFor(msg.source, {
                fetch,
                credentials: creds[msg.source as Sender],
                now: () => simNow,
                tokens,
              })!,
          });
          sim.hydrateMs.push(performance.now() - started);
          sim.hydrateStats = add(sim.hydrateStats, diff(t.stats, before));
          if (out.status === 'hydrated') {
            sim.hydrated++;
            sim.applied += out.applied;
          }
        });
      },
    };
    const deps: NormalizeDeps = {
      table: t,
      adapt,
      loadBody: async (d) => Buffer.from(d.body.kind === 'inline' ? d.body.data : '', 'utf8'),
      channels: { list: async () => [] },
      now,
      ...(hydrate ? { hydration: queue } : {}),
    };
    const normalize = async (delivery: unknown) => {
      const before = { ...t.stats };
      await normalizeMessage(JSON.stringify(delivery), deps);
      sim.normalizeStats = add(sim.normalizeStats, diff(t.stats, before));
      sim.thin++;
    };

    for (let i = 0; i < ordersPerSender * SENDERS.length; i++) {
      const sender = SENDERS[i % SENDERS.length]!;
      const start = T0 + i * ORDER_GAP_MS;
      const offsets = [0, rand() * BURST_SPREAD_MS, rand() * BURST_SPREAD_MS].sort((a, b) => a - b);
      sim.orders++;
      for (const [k, off] of offsets.entries()) {
        const at = Math.round(start + off);
        schedule(at, async () => {
          // the sender's order changes with each webhook: a fetch sees the state at its own time
          const version = k + 1;
          if (sender === 'square') {
            const id = `sqord${i}`;
            square.orders.set(
              id,
              squareOrder({
                id,
                version,
                created_at: iso(start),
                updated_at: iso(at),
                line_items: [{ uid: 'l1', sku: `SKU-${i % 50}`, quantity: '1' }],
              }),
            );
            const name = k === 0 ? 'order-created' : 'order-updated';
            const key = k === 0 ? 'order_created' : 'order_updated';
            const body = payload('square', name) as Record<string, any>;
            body.event_id = `evt-${i}-${k}`;
            body.data.id = id;
            Object.assign(body.data.object[key], {
              order_id: id,
              version,
              updated_at: iso(at),
              created_at: iso(start),
            });
            await normalize(
              deliveryFor('square', k === 0 ? 'order.created' : 'order.updated', body as Json, {
                deliveryId: `dlv-${i}-${k}`,
                receivedAt: iso(at),
              }),
            );
          } else if (sender === 'bigcommerce') {
            const id = 1000 + i;
            const rfc = new Date(Math.floor(at / 1000) * 1000).toUTCString().replace('GMT', '+0000');
            bc.orders.set(
              String(id),
              bigcommerceOrder({ id, status_id: k === 0 ? 1 : 11, date_modified: rfc }, [
                { id: 1, order_id: id, product_id: 77, sku: `SKU-${i % 50}`, quantity: 1, base_price: '9.0000' },
              ]),
            );
            const body = payload('bigcommerce', k === 0 ? 'order-created' : 'order-status-updated') as Record<
              string,
              any
            >;
            body.created_at = Math.floor(at / 1000);
            body.hash = `hash-${i}-${k}`;
            body.data.id = id;
            await normalize(
              deliveryFor('bigcommerce', body.scope, body as Json, {
                deliveryId: `dlv-${i}-${k}`,
                receivedAt: iso(at),
              }),
            );
          } else {
            const id = `12-${String(10000 + i)}-44556`;
            const lines = (ebayOrder().lineItems as Record<string, unknown>[])[0]!;
            ebay.orders.set(
              id,
              ebayOrder({
                orderId: id,
                creationDate: iso(start),
                lastModifiedDate: iso(start + 1000),
                lineItems: [0, 1, 2].map((n) => ({
                  ...lines,
                  lineItemId: `${10000 + i}${n}`,
                  sku: `SKU-${(i + n) % 50}`,
                  quantity: 1,
                })),
              }),
            );
            const body = payload('ebay', 'order-confirmation') as Record<string, any>;
            body.notification.notificationId = `n-${i}-${k}`;
            body.notification.eventDate = iso(start);
            body.notification.data.orderId = id;
            body.notification.data.lineItemId = `${10000 + i}${k}`;
            await normalize(
              deliveryFor('ebay', 'ORDER_CONFIRMATION', body as Json, {
                deliveryId: `dlv-${i}-${k}`,
                receivedAt: iso(at),
              }),
            );
          }
        });
      }
    }
    while (events.length > 0) {
      events.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const ev = events.shift()!;
      simNow = Math.max(simNow, ev.at);
      await ev.run();
    }
    sim.calls.square = square.requests.length;
    sim.calls.bigcommerce = bc.requests.length;
    sim.calls.ebay = ebay.requests.filter((r) => r.method === 'GET').length;
    sim.calls.ebayTokens = ebay.requests.length - sim.calls.ebay;
    return sim;
  } finally {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
  }
}

interface CatalogSim {
  listings: number;
  webhooks: number;
  catalogCalls: number;
  lookupMessages: number;
  mapped: number;
  replayed: number;
  applied: number;
  quarantinedAtEnd: number;
}

/**
 * Catalog lookups (docs/hydration.md, "Listings resolved through the catalog"): per sender,
 * `listingsPerSender` listings the hub has no SKU for, each named by a burst of
 * WEBHOOKS_PER_ORDER stock webhooks within BURST_SPREAD_MS (Square `inventory.count.updated` with
 * one IN_STOCK count, BigCommerce `store/sku/inventory/updated` relative changes), before the
 * lookup's delayed message runs. Every webhook is quarantined, the listing looked up, mapped, and
 * the waiting webhooks replayed and applied, on the same virtual clock as the order run.
 */
async function simulateCatalog(listingsPerSender: number, seed: number): Promise<CatalogSim> {
  const rand = mulberry32(seed);
  const square = await fakeSquare({ token: 'sq' });
  const bc = await fakeBigCommerce({ token: 'bc', storeHash: 'k9x2z', quota: 450 });
  const creds: Record<'square' | 'bigcommerce', ApiCredentials> = {
    square: { accessToken: 'sq', baseUrl: square.url },
    bigcommerce: { accessToken: 'bc', storeHash: 'k9x2z', baseUrl: bc.url },
  };
  try {
    const t = new MemoryTable();
    let simNow = T0;
    const now = () => new Date(simNow);
    type Ev = { at: number; seq: number; run: () => Promise<void> };
    const events: Ev[] = [];
    let seq = 0;
    const schedule = (at: number, run: () => Promise<void>) => events.push({ at, seq: seq++, run });
    const sim: CatalogSim = {
      listings: 0,
      webhooks: 0,
      catalogCalls: 0,
      lookupMessages: 0,
      mapped: 0,
      replayed: 0,
      applied: 0,
      quarantinedAtEnd: 0,
    };
    const deps: NormalizeDeps = {
      table: t,
      adapt,
      loadBody: async (d) => Buffer.from(d.body.kind === 'inline' ? d.body.data : '', 'utf8'),
      channels: { list: async () => [] },
      now,
      hydration: { send: async (m) => queue.send(m) },
      catalogLookups: { enabled: async () => true },
    };
    const normalize = async (body: string) => {
      const out = await normalizeMessage(body, deps);
      if (out.status === 'applied') sim.applied++;
    };
    // replayed deliveries go back through the ingest queue: normalized at once
    const ingest = { sendRaw: async (body: string) => void schedule(simNow, () => normalize(body)) };
    const queue = {
      send: async (m: HydrationMessage) => {
        sim.lookupMessages++;
        schedule(simNow + DELIVERY_DELAY_SECONDS * 1000, async () => {
          const out = await hydrateMessage(JSON.stringify(m), {
            table: t,
            queue,
            channels: { list: async () => [] },
            now,
            clientFor: async () => {
              throw new Error('no order fetches in this run');
            },
            listings: {
              resolve: (msg) =>
                resolveCatalogSku(msg.source, msg.externalId, {
                  fetch,
                  credentials: creds[msg.source as 'square' | 'bigcommerce'],
                  now: () => simNow,
                }),
              ingest,
            },
          });
          if (out.status === 'listing-mapped') {
            if (out.lookedUp) sim.mapped++;
            sim.replayed += out.replayed.length;
          }
        });
      },
    };
    for (let i = 0; i < listingsPerSender * 2; i++) {
      const sender = i % 2 === 0 ? 'square' : 'bigcommerce';
      const start = T0 + i * ORDER_GAP_MS;
      const offsets = [0, rand() * BURST_SPREAD_MS, rand() * BURST_SPREAD_MS].sort((a, b) => a - b);
      sim.listings++;
      const variation = `VAR${String(i).padStart(6, '0')}BENCHLISTING`;
      const variant = 5000 + i;
      if (sender === 'square')
        square.catalog.set(variation, {
          type: 'ITEM_VARIATION',
          id: variation,
          present_at_all_locations: true,
          item_variation_data: { item_id: 'ITEM', name: 'bench', sku: `CAT-SKU-${i}` },
        });
      else bc.variants.set(String(variant), { id: variant, product_id: 179, sku: `CAT-SKU-${i}` });
      for (const [k, off] of offsets.entries()) {
        const at = Math.round(start + off);
        sim.webhooks++;
        schedule(at, async () => {
          if (sender === 'square') {
            const body = payload('square', 'inventory-count-updated') as Record<string, any>;
            const [count] = body.data.object.inventory_counts as Record<string, unknown>[];
            body.event_id = `inv-${i}-${k}`;
            body.data.object.inventory_counts = [
              { ...count, catalog_object_id: variation, quantity: String(10 + k), calculated_at: iso(at) },
            ];
            await normalize(
              JSON.stringify(
                deliveryFor('square', 'inventory.count.updated', body as Json, {
                  deliveryId: `inv-${i}-${k}`,
                  receivedAt: iso(at),
                }),
              ),
            );
          } else {
            const body = payload('bigcommerce', 'sku-inventory-relative') as Record<string, any>;
            body.created_at = Math.floor(at / 1000);
            body.hash = `inv-${i}-${k}`;
            body.data.id = variant;
            body.data.inventory.variant_id = variant;
            await normalize(
              JSON.stringify(
                deliveryFor('bigcommerce', 'store/sku/inventory/updated', body as Json, {
                  deliveryId: `inv-${i}-${k}`,
                  receivedAt: iso(at),
                }),
              ),
            );
          }
        });
      }
    }
    while (events.length > 0) {
      events.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const ev = events.shift()!;
      simNow = Math.max(simNow, ev.at);
      await ev.run();
    }
    sim.catalogCalls = square.requests.length + bc.requests.length;
    sim.quarantinedAtEnd = t.items().filter((it) => it.type === 'quarantine' && it.status === 'quarantined').length;
    return sim;
  } finally {
    await square.close();
    await bc.close();
  }
}

export const hydrateBench: BenchModule = {
  name: 'hydrate',
  title: 'Hydration of thin deliveries: API calls per order, cost, in-process time per fetch',
  async run(ctx) {
    const perSender = ctx.quick ? 40 : 200;
    const withH = await simulate(perSender, ctx.seed, true);
    const without = await simulate(perSender, ctx.seed, false);
    const orders = withH.orders;
    const thin = withH.thin;
    // BigCommerce fetches an order and its products: two calls make one fetch
    const fetches = withH.calls.square + withH.calls.bigcommerce / 2 + withH.calls.ebay;
    const apiCalls = withH.calls.square + withH.calls.bigcommerce + withH.calls.ebay + withH.calls.ebayTokens;
    const fetchesPerOrder = fetches / orders;
    const callsPerOrder = apiCalls / orders;
    const perSenderFetches = {
      square: round(withH.calls.square / (orders / 3), 3),
      bigcommerce: round(withH.calls.bigcommerce / 2 / (orders / 3), 3),
      ebay: round(withH.calls.ebay / (orders / 3), 3),
    };

    // what hydration adds: the table work of normalize with it less without it, plus all of hydrate's
    const extra = add(diff(withH.normalizeStats, without.normalizeStats), withH.hydrateStats);
    const set = deployedSettings();
    const memoryMb = set.normalizeMemoryMb; // hydrate keeps HubFunction's default memory too
    const sorted = [...withH.hydrateMs].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p95 = percentile(sorted, 95);
    const meanMs = withH.hydrateMs.reduce((a, b) => a + b, 0) / Math.max(1, withH.hydrateMs.length);
    const requestsPerMessage =
      withH.hydrateStats.readRequests / withH.messages + withH.hydrateStats.writeRequests / withH.messages;
    const callsPerMessage = apiCalls / withH.messages;
    const billedMs = Math.ceil(
      meanMs * ALLOWANCES.cpuShare(memoryMb) +
        requestsPerMessage * ALLOWANCES.dynamoRoundTripMs +
        callsPerMessage * API_ROUND_TRIP_MS,
    );
    const gbSeconds = (memoryMb / 1024) * (billedMs / 1000);
    const perMessage = {
      lambdaDuration: gbSeconds * PRICES.lambda.arm64PerGbSecond,
      lambdaRequest: PRICES.lambda.perMillionRequests / 1e6,
      // SendMessage (normalize), ReceiveMessage and DeleteMessage (the event source), one each
      sqs: (3 * PRICES.sqs.standardPerMillionRequests) / 1e6,
    };
    const messageCost = perMessage.lambdaDuration + perMessage.lambdaRequest + perMessage.sqs;
    const tableCost =
      (extra.writeUnits * PRICES.dynamodb.perMillionWriteUnits +
        extra.readUnits * PRICES.dynamodb.perMillionReadUnits) /
      1e6;
    const total = messageCost * withH.messages + tableCost;
    const perThinDelivery = total / thin;
    const perMillionMix = perThinDelivery * THIN_SHARE * 1e6;

    ctx.log(
      `work: ${orders} orders (${orders / 3} per sender), ${WEBHOOKS_PER_ORDER} thin webhooks each within ${BURST_SPREAD_MS / 1000} s = ${thin} thin deliveries, ` +
        `the ${THIN_SHARE * 100}% thin share of a ${thin / THIN_SHARE}-delivery mix; fetch messages delayed ${DELIVERY_DELAY_SECONDS} s (HYDRATE_DELIVERY_DELAY_SECONDS); fake APIs on 127.0.0.1`,
    );
    ctx.log(
      table([
        ['figure', 'value'],
        ['fetch messages', String(withH.messages)],
        ['orders hydrated (fetches applied)', `${withH.hydrated} (${withH.applied} events applied)`],
        [
          'order fetches per hydrated order',
          `${round(fetchesPerOrder, 3)} (square ${perSenderFetches.square}, bigcommerce ${perSenderFetches.bigcommerce}, ebay ${perSenderFetches.ebay})`,
        ],
        [
          'API calls per hydrated order (all calls, incl. BigCommerce products and eBay tokens)',
          String(round(callsPerOrder, 3)),
        ],
        ['hydrate in-process per fetch message, p50 / p95 (ms)', `${round(p50, 2)} / ${round(p95, 2)}`],
        [
          'added table WU / RU per thin delivery',
          `${round(extra.writeUnits / thin, 3)} / ${round(extra.readUnits / thin, 3)}`,
        ],
        ['hydrate billed ms per message (allowances below)', String(billedMs)],
        ['cost per hydrated (thin) delivery', `$${(perThinDelivery * 1e6).toFixed(3)} per million`],
        ['added cost per million deliveries of the mix (20% thin)', `$${perMillionMix.toFixed(3)}`],
      ]),
    );
    ctx.log(
      `billed ms = mean in-process ${round(meanMs, 2)} ms × ${round(ALLOWANCES.cpuShare(memoryMb), 2)} CPU share (${memoryMb} MB) + ${round(requestsPerMessage, 2)} table requests × ${ALLOWANCES.dynamoRoundTripMs} ms + ${round(callsPerMessage, 2)} API calls × ${API_ROUND_TRIP_MS} ms (stated allowance); prices ${PRICES.region} ${PRICES.asOf}`,
    );
    const catalog = await simulateCatalog(ctx.quick ? 20 : 100, ctx.seed);
    const catalogCallsPerListing = catalog.catalogCalls / catalog.listings;
    ctx.log(
      `catalog lookups: ${catalog.listings} unmapped listings (half Square variations, half BigCommerce variants), ${WEBHOOKS_PER_ORDER} stock webhooks each within ${BURST_SPREAD_MS / 1000} s = ${catalog.webhooks} webhooks`,
    );
    ctx.log(
      table([
        ['figure', 'value'],
        ['catalog API calls per unmapped listing (burst of 3)', String(round(catalogCallsPerListing, 3))],
        ['lookup messages', String(catalog.lookupMessages)],
        ['listings mapped from the catalog', String(catalog.mapped)],
        ['waiting webhooks replayed / applied', `${catalog.replayed} / ${catalog.applied}`],
        ['webhooks still quarantined at the end', String(catalog.quarantinedAtEnd)],
      ]),
    );
    // the target counts order fetches: BigCommerce's order + products pair is one, eBay's token calls are apart
    const meets = fetchesPerOrder <= API_CALLS_TARGET && catalogCallsPerListing <= 1;
    return {
      figures: {
        orders,
        thinDeliveries: thin,
        webhooksPerOrder: WEBHOOKS_PER_ORDER,
        burstSpreadMs: BURST_SPREAD_MS,
        deliveryDelaySeconds: DELIVERY_DELAY_SECONDS,
        fetchMessages: withH.messages,
        hydrated: withH.hydrated,
        apiCalls: withH.calls,
        fetchesPerOrder: round(fetchesPerOrder, 3),
        fetchesPerOrderBySender: perSenderFetches,
        apiCallsPerOrder: round(callsPerOrder, 3),
        apiCallsTarget: API_CALLS_TARGET,
        hydrateInProcessMs: { p50: round(p50, 2), p95: round(p95, 2), mean: round(meanMs, 2) },
        addedTablePerThinDelivery: {
          writeUnits: round(extra.writeUnits / thin, 3),
          readUnits: round(extra.readUnits / thin, 3),
        },
        billedMsPerMessage: billedMs,
        apiRoundTripAllowanceMs: API_ROUND_TRIP_MS,
        costPerThinDeliveryPerMillion: round(perThinDelivery * 1e6, 3),
        addedCostPerMillionMixDeliveries: round(perMillionMix, 3),
        catalog: {
          listings: catalog.listings,
          webhooks: catalog.webhooks,
          catalogCalls: catalog.catalogCalls,
          catalogCallsPerListing: round(catalogCallsPerListing, 3),
          lookupMessages: catalog.lookupMessages,
          mapped: catalog.mapped,
          replayed: catalog.replayed,
          applied: catalog.applied,
          quarantinedAtEnd: catalog.quarantinedAtEnd,
        },
      },
      headline: [
        {
          figure: 'Order fetches per hydrated order (3 webhooks each)',
          value: `${round(fetchesPerOrder, 3)} (${round(callsPerOrder, 3)} HTTP calls incl. BigCommerce products and eBay tokens)`,
          target: `≤ ${API_CALLS_TARGET}`,
          meets,
          measuredOn: `${orders} orders, ${thin} thin deliveries, fake Square/BigCommerce/eBay APIs (in-process)`,
        },
        {
          figure: 'Hydration cost per million deliveries (20% thin)',
          value: `$${perMillionMix.toFixed(3)} ($${(perThinDelivery * 1e6).toFixed(3)} per million thin deliveries)`,
          measuredOn: `same run; ${API_ROUND_TRIP_MS} ms per API call allowance`,
        },
        {
          figure: 'Catalog API calls per unmapped listing (burst of 3 stock webhooks)',
          value: `${round(catalogCallsPerListing, 3)} (${catalog.applied} of ${catalog.webhooks} webhooks applied after replay)`,
          target: '≤ 1',
          meets: catalogCallsPerListing <= 1,
          measuredOn: `${catalog.listings} listings, fake Square/BigCommerce catalogs (in-process)`,
        },
        {
          figure: 'Hydrate in-process time per fetch, p50 / p95',
          value: `${round(p50, 2)} / ${round(p95, 2)} ms`,
          measuredOn: 'same run, memory table, fake APIs over loopback',
        },
      ],
      ...(meets
        ? {}
        : {
            failures: [
              `hydrate: ${round(fetchesPerOrder, 3)} fetches per order (target ${API_CALLS_TARGET}), ${round(catalogCallsPerListing, 3)} catalog calls per listing (target 1)`,
            ],
          }),
    };
  },
};
