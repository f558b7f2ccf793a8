import { ConnectionSchema, type Connection, type Source } from '#shared/domain/connection.ts';
import { DeliverySchema, type Delivery } from '#shared/domain/delivery.ts';
import { dedupKey } from '#shared/ingest/dedup-key.ts';
import { headersThatMatter } from '#shared/ingest/headers.ts';
import { payload, type Json } from '#test/fixtures/payloads.ts';
import { signedRequest } from '#test/fixtures/signing.ts';
import { Discrete, Rng } from './prng.ts';

/**
 * The realistic delivery mix of docs/benchmark-mix.md, generated from a seed: same seed and
 * order count → the same deliveries and the same signed requests, byte for byte.
 *
 * Choices the mix document leaves open (kept here so every figure is read against them):
 *  - Shopify's two `orders/updated` per order are the companions Shopify fires together with
 *    `orders/paid` and `orders/fulfilled` (same payload, same `updated_at`): they change nothing
 *    the hub tracks. Whichever of a pair arrives first does the work; the other is a no-op.
 *  - WooCommerce's no-change `order.updated` is the one fired at checkout beside `order.created`
 *    (same resource, same `date_modified_gmt`); its status change is processing → completed.
 *  - Walmart's line status update is ORDER_UPDATES/PO_LINE_SHIPPED (every line shipped).
 *  - A cancellation replaces the order's fulfilment delivery (a cancelled order does not ship),
 *    so every channel keeps its deliveries-per-order count; refunds go to fulfilled orders only.
 *    Restocking refunds come from Shopify (refunds/create) and the partner (refund.recorded);
 *    WooCommerce refunds (order.updated carrying `refunds[]`) never restock.
 *  - Marketplace inventory levels: 60% Shopify `inventory_levels/update`, 40% Square
 *    `inventory.count.updated`. Each names a listing mapped by an earlier product delivery that
 *    arrived at least a minute before it (Shopify products/update for inventory items; a
 *    `listing.mapped` on the Square channel for Square catalog ids), so none is quarantined as
 *    unmapped by construction. Product/listing updates: 60% Shopify products/update (4 variants),
 *    20% WooCommerce product.updated (managed stock), 20% Square catalog `listing.mapped`.
 *  - Locations: four warehouse ids shared by every sender that names one (Shopify order
 *    location_id, Walmart shipNode, partner lines, counts, Shopify/Square levels); WooCommerce
 *    and Amazon orders name none and land on the hub's `default` location.
 *  - Arrival = event time + 0.2–3 s; 2% of deliveries are held up 1–30 min by the sender (so
 *    arrival order is only roughly time order); a retry (3% of deliveries) arrives 5 s–30 min
 *    after its first copy with the same sender ids and body.
 *  - Customers (assignCustomers): Shopify orders carry the REST Order resource's `customer`
 *    object (85%; guests `customer: null`), WooCommerce orders a `customer_id` (60% registered; a
 *    guest's is 0 and its billing email, unique per guest order, is then its identity), partner
 *    orders a `customerId` (70%); Walmart and Amazon name no buyer. In creation-time order, 30%
 *    of identified orders come from a customer who ordered before on the channel (picked
 *    uniformly from those, so some come back many times); of those, 35% swap a line for a dearer
 *    variant of a product the customer bought before (Shopify's and the partner's products have
 *    four variants; WooCommerce's are simple products, so none) and 25% buy one such product
 *    again. The draws use a generator of their own, so the rest of the mix is as without them.
 */

export type ChannelKey = 'shopify' | 'woocommerce' | 'walmart' | 'amazon' | 'partner';
export const DELIVERY_KINDS = [
  'create',
  'noop-update',
  'paid',
  'fulfilled',
  'cancel',
  'refund',
  'inventory-level',
  'count',
  'product',
  'duplicate',
] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

export const CHANNEL_SHARES: Readonly<Record<ChannelKey, number>> = {
  shopify: 0.5,
  woocommerce: 0.2,
  walmart: 0.1,
  amazon: 0.1,
  partner: 0.1,
};
/** per 100 orders */
export const EXTRAS_PER_100 = { cancel: 10, refund: 5, 'inventory-level': 50, count: 20, product: 5 } as const;
export const DUPLICATE_SHARE = 0.03;
export const SKU_COUNT = 2000;
export const LOCATIONS = ['71234567891', '71234567892', '71234567893', '71234567894'] as const;
export const CURRENCIES = [
  ['USD', 0.7],
  ['EUR', 0.2],
  ['PLN', 0.1],
] as const;
export const DEFAULT_SEED = 20260301;
/** Share of each channel's orders that name a registered customer (docs/benchmark-mix.md). */
export const IDENTIFIED_SHARE: Readonly<Partial<Record<ChannelKey, number>>> = {
  shopify: 0.85,
  woocommerce: 0.6,
  partner: 0.7,
};
/** Of identified orders, those by a customer who ordered before on the channel. */
export const REPEAT_SHARE = 0.3;
/** Of repeat orders: a line swapped for a dearer variant of a product bought before / that product again. */
export const UPSELL_SHARE = 0.35;
export const REBUY_SHARE = 0.25;
/** Variants per product (Shopify, partner): SKUs 4k..4k+3 are one product's variants. */
const VARIANTS_PER_PRODUCT = 4;
/** a Monday, 00:00 UTC; orders spread over 90 days from here */
export const MIX_START = Date.parse('2026-01-05T00:00:00Z');
export const MIX_DAYS = 90;
export const FLASH_SALE_DAY = 46;

export interface MixItem {
  /** arrival index */
  seq: number;
  kind: DeliveryKind;
  /** for a duplicate, what the first copy was */
  originalKind: Exclude<DeliveryKind, 'duplicate'>;
  channel: ChannelKey | 'square' | 'warehouse' | 'square-catalog';
  connectionId: string;
  source: Source;
  topic: string;
  eventAt: number;
  arrivalAt: number;
  body: string;
  /** the headers the sender sends besides its signature (topic, event ids, ...) */
  senderHeaders: Record<string, string>;
  delivery: Delivery;
}

export interface MixOrder {
  ref: string;
  channel: ChannelKey;
  createdAt: number;
  currency: string;
  lines: { sku: string; qty: number }[];
  cancelled: boolean;
  refund?: 'restock' | 'money';
  /** the sender's id of the registered customer; absent: a guest, or a sender that names none */
  customer?: string;
}

export interface Mix {
  seed: number;
  orders: MixOrder[];
  items: MixItem[];
  connections: Connection[];
}

export interface MixOptions {
  orders: number;
  seed?: number;
}

// ---------------------------------------------------------------------------------------------
// catalogue

export function skuName(i: number): string {
  return `SKU-${String(i + 1).padStart(4, '0')}`;
}
const skuIndex = (sku: string) => Number(sku.slice(4)) - 1;

/** Top 20 SKUs take a third of the picks (units are drawn independently of the SKU); a long tail after. */
function skuDistribution(): Discrete {
  const weights: number[] = [];
  const head = Array.from({ length: 20 }, (_, k) => 1 / Math.sqrt(k + 1));
  const tail = Array.from({ length: SKU_COUNT - 20 }, (_, k) => 1 / (k + 1) ** 0.8);
  const headSum = head.reduce((a, b) => a + b, 0);
  const tailSum = tail.reduce((a, b) => a + b, 0);
  for (const w of head) weights.push(((w / headSum) * 1) / 3);
  for (const w of tail) weights.push(((w / tailSum) * 2) / 3);
  return new Discrete(weights);
}

/** unit price in minor units of the currency */
function priceMinor(sku: string, currency: string): number {
  const usd = 499 + ((skuIndex(sku) * 7919) % 9500);
  const fx = currency === 'EUR' ? 0.92 : currency === 'PLN' ? 3.95 : 1;
  return Math.round(usd * fx);
}
const money = (minor: number) => (minor / 100).toFixed(2);

const shopifyVariant = (sku: string) => 46_000_000_000_000 + skuIndex(sku);
const shopifyInventoryItem = (sku: string) => 48_000_000_000_000 + skuIndex(sku);
const shopifyProduct = (sku: string) => 8_900_000_000_000 + Math.floor(skuIndex(sku) / VARIANTS_PER_PRODUCT);
const partnerProduct = (sku: string) => `PRD-${Math.floor(skuIndex(sku) / VARIANTS_PER_PRODUCT)}`;
/**
 * Shopify customer ids past 2^53, as in Shopify's sample order (test/fixtures/payloads/shopify/
 * test-order.json, customer 115310627314723954): a parse that rounded them would merge customers.
 */
const SHOPIFY_CUSTOMER_BASE = 115_310_627_314_723_954n;
const wooProduct = (sku: string) => 10_000 + skuIndex(sku);
const squareCatalogId = (sku: string) => `SQV${String(skuIndex(sku)).padStart(5, '0')}K7XEBN2QHFKPYM47ZB`.slice(0, 24);

// ---------------------------------------------------------------------------------------------
// connections

export function mixConnections(seed: number): Connection[] {
  const rng = new Rng(seed ^ 0x5eed);
  const std = () => `whsec_${Buffer.from(rng.hex(64), 'hex').toString('base64')}`;
  const raw = [
    { id: 'bench-shopify', source: 'shopify', channel: 'shopify-us', secret: rng.hex(32) },
    { id: 'bench-woo', source: 'woocommerce', channel: 'woo-eu', secret: rng.hex(40) },
    { id: 'bench-walmart', source: 'walmart', channel: 'walmart-us', secret: rng.hex(40) },
    { id: 'bench-amazon', source: 'amazon', channel: 'amazon-us' },
    {
      id: 'bench-partner',
      source: 'standard-webhooks',
      channel: 'partner-shop',
      partner: 'acme-dealer',
      secret: std(),
    },
    {
      id: 'bench-square',
      source: 'square',
      channel: 'square-pos',
      secret: rng.hex(44),
      notificationUrl: 'https://hub.example.com/webhooks/bench-square',
    },
    // Square sends no SKUs: its catalog ids are mapped by listing.mapped on the same channel
    { id: 'bench-square-catalog', source: 'standard-webhooks', channel: 'square-pos', secret: std() },
    { id: 'bench-warehouse', source: 'standard-webhooks', channel: 'warehouse', secret: std() },
  ];
  return raw.map((c) => ConnectionSchema.parse(c));
}

const CONNECTION_OF = {
  shopify: 'bench-shopify',
  woocommerce: 'bench-woo',
  walmart: 'bench-walmart',
  amazon: 'bench-amazon',
  partner: 'bench-partner',
  square: 'bench-square',
  'square-catalog': 'bench-square-catalog',
  warehouse: 'bench-warehouse',
} as const;

// ---------------------------------------------------------------------------------------------
// time

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday first */
const WEEKDAY = [1.0, 0.95, 0.95, 1.0, 1.1, 1.25, 1.15];
const HOURLY = [
  0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.55, 0.8, 1, 1.1, 1.15, 1.2, 1.3, 1.3, 1.2, 1.15, 1.2, 1.3, 1.45, 1.6, 1.6, 1.3,
  0.9, 0.5,
];

function dayDistribution(): Discrete {
  return new Discrete(Array.from({ length: MIX_DAYS }, (_, d) => WEEKDAY[d % 7]! * (d === FLASH_SALE_DAY ? 8 : 1)));
}
const hourDistribution = new Discrete(HOURLY);

const isoZ = (ms: number) => new Date(ms).toISOString();
const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
/** Shopify writes shop-local times with an offset (a US-Eastern shop) */
const shopifyTime = (ms: number) => `${new Date(ms - 5 * HOUR).toISOString().slice(0, 19)}-05:00`;
/** WooCommerce *_gmt: UTC without an offset */
const wooGmt = (ms: number) => new Date(ms).toISOString().slice(0, 19);

// ---------------------------------------------------------------------------------------------
// the generator

interface Draft {
  kind: Exclude<DeliveryKind, 'duplicate'>;
  channel: MixItem['channel'];
  topic: string;
  eventAt: number;
  body: string;
  senderHeaders: Record<string, string>;
  arrivalAt?: number;
}

export function generateMix(opts: MixOptions): Mix {
  const seed = opts.seed ?? DEFAULT_SEED;
  const n = opts.orders;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`orders must be a positive integer, got ${n}`);
  const rng = new Rng(seed);
  const skus = skuDistribution();
  const days = dayDistribution();
  const connections = mixConnections(seed);
  const drafts: Draft[] = [];
  const emit = (d: Draft) => drafts.push(d);
  const orderTime = () =>
    MIX_START + days.sample(rng) * DAY + hourDistribution.sample(rng) * HOUR + rng.int(0, HOUR - 1);

  // --- orders: exact channel shares, shuffled
  const channels: ChannelKey[] = [];
  for (const [ch, share] of Object.entries(CHANNEL_SHARES) as [ChannelKey, number][]) {
    if (ch !== 'shopify') for (let i = 0; i < Math.round(n * share); i++) channels.push(ch);
  }
  while (channels.length < n) channels.push('shopify');
  channels.length = n;
  rng.shuffle(channels);

  const orders: MixOrder[] = channels.map((channel, i) => {
    const lineCount = rng.chance(0.6) ? 1 : rng.chance(0.25 / 0.4) ? 2 : rng.int(3, 5);
    const picked = new Set<string>();
    while (picked.size < lineCount) picked.add(skuName(skus.sample(rng)));
    const lines = [...picked].map((sku) => ({ sku, qty: rng.chance(0.78) ? 1 : rng.chance(0.75) ? 2 : rng.int(3, 4) }));
    const currency = CURRENCIES[rng.weighted(CURRENCIES.map((c) => c[1]))]![0];
    return { ref: `o${i}`, channel, createdAt: orderTime(), currency, lines, cancelled: false };
  });

  // --- which orders are cancelled / refunded (exact counts)
  const nCancel = Math.round((n * EXTRAS_PER_100.cancel) / 100);
  const nRefund = Math.round((n * EXTRAS_PER_100.refund) / 100);
  const order = rng.shuffle(orders.map((_, i) => i));
  for (const i of order.slice(0, nCancel)) orders[i]!.cancelled = true;
  const refundable = order.slice(nCancel);
  const restockable = refundable.filter((i) => orders[i]!.channel === 'shopify' || orders[i]!.channel === 'partner');
  const nRestock = Math.floor(nRefund / 2);
  for (const i of restockable.slice(0, nRestock)) orders[i]!.refund = 'restock';
  const moneyOnly = refundable.filter(
    (i) => !orders[i]!.refund && ['shopify', 'partner', 'woocommerce'].includes(orders[i]!.channel),
  );
  for (const i of moneyOnly.slice(0, nRefund - nRestock)) orders[i]!.refund = 'money';

  assignCustomers(seed, orders);
  for (const [i, o] of orders.entries()) orderDeliveries(rng, o, i, emit);

  // --- product / listing updates, then inventory levels naming what they mapped
  const nProduct = Math.round((n * EXTRAS_PER_100.product) / 100);
  const productKinds: ('shopify' | 'woocommerce' | 'square-catalog')[] = [];
  for (let i = 0; i < Math.round(nProduct * 0.2); i++) productKinds.push('square-catalog');
  for (let i = 0; i < Math.round(nProduct * 0.2); i++) productKinds.push('woocommerce');
  while (productKinds.length < nProduct) productKinds.push('shopify');
  productKinds.length = nProduct;
  rng.shuffle(productKinds);
  // product updates over the window, the first ones in the first hours (the catalogue sync)
  const productTimes = productKinds
    .map((_, i) =>
      i < Math.ceil(nProduct / 10) ? MIX_START + rng.int(0, 6 * HOUR) : MIX_START + rng.int(0, MIX_DAYS * DAY - 1),
    )
    .sort((a, b) => a - b);
  const mapped = { shopify: [] as { at: number; skus: string[] }[], square: [] as { at: number; skus: string[] }[] };
  productKinds.forEach((kind, i) => {
    const at = productTimes[i]!;
    const arrivalAt = at + arrivalDelay(rng);
    const sku = skuName(skus.sample(rng));
    if (kind === 'shopify') {
      const group = Array.from({ length: 4 }, (_, k) => skuName(Math.floor(skuIndex(sku) / 4) * 4 + k));
      emit({
        kind: 'product',
        channel: 'shopify',
        topic: 'products/update',
        eventAt: at,
        arrivalAt,
        body: shopifyProductBody(rng, group, at),
        senderHeaders: shopifyHeaders(rng, 'products/update', at),
      });
      mapped.shopify.push({ at: arrivalAt, skus: group });
    } else if (kind === 'woocommerce') {
      emit({
        kind: 'product',
        channel: 'woocommerce',
        topic: 'product.updated',
        eventAt: at,
        arrivalAt,
        body: wooProductBody(rng, sku, at),
        senderHeaders: wooHeaders(rng, 'product.updated'),
      });
    } else {
      const body = {
        type: 'listing.mapped',
        timestamp: isoSeconds(at),
        data: { externalId: squareCatalogId(sku), sku },
      };
      emit({
        kind: 'product',
        channel: 'square-catalog',
        topic: 'listing.mapped',
        eventAt: at,
        arrivalAt,
        body: JSON.stringify(body),
        senderHeaders: { 'webhook-id': `msg_${rng.hex(27)}` },
      });
      mapped.square.push({ at: arrivalAt, skus: [sku] });
    }
  });

  const nLevels = Math.round((n * EXTRAS_PER_100['inventory-level']) / 100);
  for (let i = 0; i < nLevels; i++) {
    let which: 'shopify' | 'square' = rng.chance(0.6) ? 'shopify' : 'square';
    if (mapped[which].length === 0) which = which === 'shopify' ? 'square' : 'shopify';
    const maps = mapped[which];
    if (maps.length === 0) break; // no product delivery at all: nothing can resolve
    let at = MIX_START + rng.int(0, MIX_DAYS * DAY - 1);
    const known = maps.filter((m) => m.at + 60_000 <= at);
    if (known.length === 0) at = maps[0]!.at + 60_000 + rng.int(0, 6 * HOUR);
    const pool = (known.length ? known : [maps[0]!]).flatMap((m) => m.skus);
    const sku = rng.pick(pool);
    const loc = rng.pick(LOCATIONS);
    const qty = rng.int(0, 240);
    if (which === 'shopify') {
      const body = {
        inventory_item_id: shopifyInventoryItem(sku),
        location_id: Number(loc),
        available: qty,
        updated_at: shopifyTime(at),
        admin_graphql_api_id: `gid://shopify/InventoryLevel/${loc}?inventory_item_id=${shopifyInventoryItem(sku)}`,
      };
      emit({
        kind: 'inventory-level',
        channel: 'shopify',
        topic: 'inventory_levels/update',
        eventAt: at,
        body: JSON.stringify(body),
        senderHeaders: shopifyHeaders(rng, 'inventory_levels/update', at),
      });
    } else {
      emit({
        kind: 'inventory-level',
        channel: 'square',
        topic: 'inventory.count.updated',
        eventAt: at,
        body: squareCountBody(rng, sku, loc, qty, at),
        senderHeaders: {
          'square-environment': 'Production',
          'square-initial-delivery-timestamp': isoZ(at + 400),
          'square-retry-number': '0',
        },
      });
    }
  }

  // --- warehouse absolute counts
  const nCounts = Math.round((n * EXTRAS_PER_100.count) / 100);
  for (let i = 0; i < nCounts; i++) {
    const at = MIX_START + rng.int(0, MIX_DAYS * DAY - 1);
    const sku = skuName(skus.sample(rng));
    const body = {
      type: 'stock.set',
      timestamp: isoSeconds(at),
      data: {
        sku,
        location: rng.pick(LOCATIONS),
        onHand: rng.int(0, 400),
        asOf: isoSeconds(at - rng.int(5, 600) * 1000),
        countedBy: `scanner-${String(rng.int(1, 12)).padStart(2, '0')}`,
      },
    };
    emit({
      kind: 'count',
      channel: 'warehouse',
      topic: 'stock.set',
      eventAt: at,
      body: JSON.stringify(body),
      senderHeaders: { 'webhook-id': `msg_${rng.hex(27)}` },
    });
  }

  // --- arrival, duplicates, order
  for (const d of drafts) d.arrivalAt ??= d.eventAt + arrivalDelay(rng);
  const nDup = Math.round(drafts.length * DUPLICATE_SHARE);
  const dupOf = rng.shuffle(drafts.map((_, i) => i)).slice(0, nDup);
  const all: (Draft & { dup: boolean; at: number; idx: number })[] = drafts.map((d, idx) => ({
    ...d,
    dup: false,
    at: d.arrivalAt!,
    idx,
  }));
  for (const i of dupOf) {
    const d = drafts[i]!;
    const headers = { ...d.senderHeaders };
    if (d.channel === 'square')
      Object.assign(headers, { 'square-retry-number': '1', 'square-retry-reason': 'http_timeout' });
    all.push({
      ...d,
      senderHeaders: headers,
      dup: true,
      at: d.arrivalAt! + rng.int(5, 1800) * 1000,
      idx: drafts.length + all.length,
    });
  }
  all.sort((a, b) => a.at - b.at || a.idx - b.idx);

  const byId = new Map(connections.map((c) => [c.id, c]));
  const items: MixItem[] = all.map((d, seq) => {
    const conn = byId.get(CONNECTION_OF[d.channel])!;
    const kind: DeliveryKind = d.dup ? 'duplicate' : d.kind;
    const delivery = buildDelivery(
      conn,
      d.body,
      d.senderHeaders,
      d.at,
      `dlv_b${seed.toString(36)}_${String(seq).padStart(7, '0')}`,
    );
    return {
      seq,
      kind,
      originalKind: d.kind,
      channel: d.channel,
      connectionId: conn.id,
      source: conn.source,
      topic: d.topic,
      eventAt: d.eventAt,
      arrivalAt: d.at,
      body: d.body,
      senderHeaders: d.senderHeaders,
      delivery,
    };
  });
  return { seed, orders, items, connections };
}

/**
 * Gives identified orders their customer, in creation-time order (the repeat and upsell KPIs go
 * by creation time), with a generator of its own: the rest of the mix is drawn as without it.
 * A repeat order may swap its first line for a dearer variant of a product its customer bought
 * before (an upsell), or for that product again (a repeat purchase).
 */
function assignCustomers(seed: number, orders: MixOrder[]): void {
  const rng = new Rng(seed ^ 0xc057);
  const pools = new Map<ChannelKey, { id: string; bought: string[] }[]>();
  let next = 0;
  const byTime = orders.map((_, i) => i).sort((a, b) => orders[a]!.createdAt - orders[b]!.createdAt || a - b);
  for (const i of byTime) {
    const o = orders[i]!;
    const share = IDENTIFIED_SHARE[o.channel];
    if (share === undefined || !rng.chance(share)) continue;
    const pool = pools.get(o.channel) ?? [];
    pools.set(o.channel, pool);
    let c = pool.length > 0 && rng.chance(REPEAT_SHARE) ? rng.pick(pool) : undefined;
    if (c) {
      const r = rng.next();
      const before = rng.pick(c.bought);
      const skus = new Set(o.lines.map((l) => l.sku));
      const swap =
        r < UPSELL_SHARE ? dearerVariant(o.channel, before) : r < UPSELL_SHARE + REBUY_SHARE ? before : undefined;
      if (swap && !skus.has(swap)) o.lines[0]!.sku = swap;
    } else {
      c = { id: customerId(o.channel, next++), bought: [] };
      pool.push(c);
    }
    o.customer = c.id;
    c.bought.push(...o.lines.map((l) => l.sku));
  }
}

function customerId(channel: ChannelKey, k: number): string {
  if (channel === 'shopify') return String(SHOPIFY_CUSTOMER_BASE + BigInt(k) * 7919n);
  if (channel === 'woocommerce') return String(2_000 + k);
  return `C-${100_000 + k}`;
}

/** The dearest other variant of `sku`'s product priced above it; none for WooCommerce's simple products. */
function dearerVariant(channel: ChannelKey, sku: string): string | undefined {
  if (channel === 'woocommerce') return undefined;
  const first = Math.floor(skuIndex(sku) / VARIANTS_PER_PRODUCT) * VARIANTS_PER_PRODUCT;
  let best: string | undefined;
  for (let k = first; k < Math.min(first + VARIANTS_PER_PRODUCT, SKU_COUNT); k++) {
    const v = skuName(k);
    if (priceMinor(v, 'USD') > priceMinor(best ?? sku, 'USD')) best = v;
  }
  return best;
}

function arrivalDelay(rng: Rng): number {
  return rng.chance(0.02) ? rng.int(60, 1800) * 1000 : rng.int(200, 3000);
}

/** The request a sender makes for a mix item, signed; `now` re-signs at another time (timestamped schemes). */
export function signItem(
  item: MixItem,
  conn: Connection,
  now?: Date,
): { headers: Record<string, string>; body: Buffer } {
  const at = now ?? new Date(item.arrivalAt);
  const opts = item.source === 'standard-webhooks' ? { now: at, id: item.senderHeaders['webhook-id'] } : { now: at };
  const { 'webhook-id': _id, ...headers } = item.senderHeaders;
  const req = signedRequest(item.source, conn, item.body, { ...opts, headers });
  return { headers: req.headers, body: req.body };
}

function buildDelivery(
  conn: Connection,
  body: string,
  senderHeaders: Record<string, string>,
  at: number,
  deliveryId: string,
): Delivery {
  let headers: Record<string, string> = { 'content-type': 'application/json' };
  if (conn.source !== 'amazon') {
    const opts =
      conn.source === 'standard-webhooks'
        ? { now: new Date(at), id: senderHeaders['webhook-id'] }
        : { now: new Date(at) };
    const { 'webhook-id': _id, ...rest } = senderHeaders;
    headers = signedRequest(conn.source, conn, body, { ...opts, headers: rest }).headers;
  }
  const bytes = Buffer.from(body, 'utf8');
  return DeliverySchema.parse({
    v: 1,
    deliveryId,
    connectionId: conn.id,
    source: conn.source,
    channel: conn.channel,
    partner: conn.partner,
    dedupKey: dedupKey(conn.source, headers, bytes),
    receivedAt: isoZ(at),
    headers: headersThatMatter(conn.source, headers),
    body: { kind: 'inline', encoding: 'utf8', data: body },
  });
}

/** HTTP requests for every item a sender posts (Amazon arrives through SQS and is left out). */
export function mixRequests(
  mix: Mix,
  opts: { now?: Date } = {},
): { seq: number; kind: DeliveryKind; path: string; headers: Record<string, string>; body: Buffer }[] {
  const byId = new Map(mix.connections.map((c) => [c.id, c]));
  return mix.items
    .filter((it) => it.source !== 'amazon')
    .map((it) => ({
      seq: it.seq,
      kind: it.kind,
      path: `/webhooks/${it.connectionId}`,
      ...signItem(it, byId.get(it.connectionId)!, opts.now),
    }));
}

// ---------------------------------------------------------------------------------------------
// per-sender bodies (modelled on test/fixtures/payloads/**)

function shopifyHeaders(rng: Rng, topic: string, at: number): Record<string, string> {
  return {
    'x-shopify-topic': topic,
    'x-shopify-shop-domain': 'clay-and-co.myshopify.com',
    'x-shopify-api-version': '2025-07',
    'x-shopify-webhook-id': rng.uuid(),
    'x-shopify-event-id': rng.uuid(),
    'x-shopify-triggered-at': isoZ(at + 150),
  };
}

function wooHeaders(rng: Rng, topic: string): Record<string, string> {
  const [resource = '', event = ''] = topic.split('.');
  return {
    'x-wc-webhook-topic': topic,
    'x-wc-webhook-resource': resource,
    'x-wc-webhook-event': event,
    'x-wc-webhook-source': 'https://shop.example.de/',
    'x-wc-webhook-id': '12',
    'x-wc-webhook-delivery-id': rng.hex(32),
  };
}

const COUNTRY: Record<string, string> = { USD: 'US', EUR: 'DE', PLN: 'PL' };

const templates = {
  shopifyOrder: payload('shopify', 'order-create') as Json,
  shopifyRefund: payload('shopify', 'refund-create') as Json,
  shopifyProduct: payload('shopify', 'product-update') as Json,
  wooOrder: payload('woocommerce', 'order-processing') as Json,
  wooProduct: payload('woocommerce', 'product-updated') as Json,
  walmartPo: payload('walmart', 'po-created') as Json,
  walmartUpdate: payload('walmart', 'order-updates-shipped') as Json,
  amazon: payload('amazon', 'order-change-unshipped') as Json,
  squareCount: payload('square', 'inventory-count-updated') as Json,
};

type Emit = (d: Draft) => void;

function orderDeliveries(rng: Rng, o: MixOrder, i: number, emit: Emit): void {
  const t0 = o.createdAt;
  const shipAt = t0 + rng.int(2 * 3600, 3 * 24 * 3600) * 1000;
  const cancelAt = t0 + rng.int(10 * 60, 20 * 3600) * 1000;
  const refundAt = shipAt + rng.int(2 * 24 * 3600, 20 * 24 * 3600) * 1000;
  const loc = rng.pick(LOCATIONS);
  switch (o.channel) {
    case 'shopify': {
      const paidAt = t0 + rng.int(20, 300) * 1000;
      const id = 5_900_000_000_000 + i;
      const body = (stage: 'pending' | 'paid' | 'fulfilled' | 'cancelled', at: number) =>
        shopifyOrderBody(o, id, i, loc, stage, at);
      emit({
        kind: 'create',
        channel: 'shopify',
        topic: 'orders/create',
        eventAt: t0,
        body: body('pending', t0),
        senderHeaders: shopifyHeaders(rng, 'orders/create', t0),
      });
      const paid = body('paid', paidAt);
      emit({
        kind: 'paid',
        channel: 'shopify',
        topic: 'orders/paid',
        eventAt: paidAt,
        body: paid,
        senderHeaders: shopifyHeaders(rng, 'orders/paid', paidAt),
      });
      emit({
        kind: 'noop-update',
        channel: 'shopify',
        topic: 'orders/updated',
        eventAt: paidAt,
        body: paid,
        senderHeaders: shopifyHeaders(rng, 'orders/updated', paidAt),
      });
      const endAt = o.cancelled ? cancelAt : shipAt;
      const end = body(o.cancelled ? 'cancelled' : 'fulfilled', endAt);
      const topic = o.cancelled ? 'orders/cancelled' : 'orders/fulfilled';
      emit({
        kind: o.cancelled ? 'cancel' : 'fulfilled',
        channel: 'shopify',
        topic,
        eventAt: endAt,
        body: end,
        senderHeaders: shopifyHeaders(rng, topic, endAt),
      });
      emit({
        kind: 'noop-update',
        channel: 'shopify',
        topic: 'orders/updated',
        eventAt: endAt,
        body: end,
        senderHeaders: shopifyHeaders(rng, 'orders/updated', endAt),
      });
      if (o.refund) {
        emit({
          kind: 'refund',
          channel: 'shopify',
          topic: 'refunds/create',
          eventAt: refundAt,
          body: shopifyRefundBody(rng, o, id, i, loc, refundAt),
          senderHeaders: shopifyHeaders(rng, 'refunds/create', refundAt),
        });
      }
      return;
    }
    case 'woocommerce': {
      const id = 70_000 + i;
      const created = wooOrderBody(o, id, i, 'processing', t0, t0);
      emit({
        kind: 'create',
        channel: 'woocommerce',
        topic: 'order.created',
        eventAt: t0,
        body: created,
        senderHeaders: wooHeaders(rng, 'order.created'),
      });
      emit({
        kind: 'noop-update',
        channel: 'woocommerce',
        topic: 'order.updated',
        eventAt: t0,
        body: created,
        senderHeaders: wooHeaders(rng, 'order.updated'),
      });
      const endAt = o.cancelled ? cancelAt : shipAt;
      emit({
        kind: o.cancelled ? 'cancel' : 'fulfilled',
        channel: 'woocommerce',
        topic: 'order.updated',
        eventAt: endAt,
        body: wooOrderBody(o, id, i, o.cancelled ? 'cancelled' : 'completed', t0, endAt),
        senderHeaders: wooHeaders(rng, 'order.updated'),
      });
      if (o.refund) {
        const refund = {
          id: 90_000 + i,
          reason: 'damaged',
          total: `-${money(priceMinor(o.lines[0]!.sku, o.currency))}`,
        };
        emit({
          kind: 'refund',
          channel: 'woocommerce',
          topic: 'order.updated',
          eventAt: refundAt,
          body: wooOrderBody(o, id, i, 'completed', t0, refundAt, shipAt, [refund]),
          senderHeaders: wooHeaders(rng, 'order.updated'),
        });
      }
      return;
    }
    case 'walmart': {
      const po = String(1_800_000_000_000 + i);
      emit({
        kind: 'create',
        channel: 'walmart',
        topic: 'PO_CREATED',
        eventAt: t0,
        body: walmartBody(rng, o, po, i, loc, 'PO_CREATED', t0, t0),
        senderHeaders: {},
      });
      const endAt = o.cancelled ? cancelAt : shipAt;
      const sub = o.cancelled ? 'PO_LINE_AUTOCANCELLED' : 'PO_LINE_SHIPPED';
      emit({
        kind: o.cancelled ? 'cancel' : 'fulfilled',
        channel: 'walmart',
        topic: `ORDER_UPDATES/${sub}`,
        eventAt: endAt,
        body: walmartBody(rng, o, po, i, loc, sub, t0, endAt),
        senderHeaders: {},
      });
      return;
    }
    case 'amazon': {
      const id = `113-${String(4_400_000 + i).padStart(7, '0')}-${String((i * 7_919) % 10_000_000).padStart(7, '0')}`;
      const unshippedAt = t0 + rng.int(5 * 60, 40 * 60) * 1000;
      emit({
        kind: 'create',
        channel: 'amazon',
        topic: 'ORDER_CHANGE/Pending',
        eventAt: t0,
        body: amazonBody(rng, o, id, 'Pending', t0, t0),
        senderHeaders: {},
      });
      emit({
        kind: 'paid',
        channel: 'amazon',
        topic: 'ORDER_CHANGE/Unshipped',
        eventAt: unshippedAt,
        body: amazonBody(rng, o, id, 'Unshipped', t0, unshippedAt),
        senderHeaders: {},
      });
      const endAt = o.cancelled ? Math.max(cancelAt, unshippedAt + 60_000) : shipAt;
      const status = o.cancelled ? 'Canceled' : 'Shipped';
      emit({
        kind: o.cancelled ? 'cancel' : 'fulfilled',
        channel: 'amazon',
        topic: `ORDER_CHANGE/${status}`,
        eventAt: endAt,
        body: amazonBody(rng, o, id, status, t0, endAt),
        senderHeaders: {},
      });
      return;
    }
    case 'partner': {
      const orderId = `P-${20_000 + i}`;
      const msg = () => ({ 'webhook-id': `msg_${rng.hex(27)}` });
      emit({
        kind: 'create',
        channel: 'partner',
        topic: 'order.upserted',
        eventAt: t0,
        body: partnerOrderBody(o, orderId, loc, 'paid', 1, t0, t0),
        senderHeaders: msg(),
      });
      if (o.cancelled) {
        const body = {
          type: 'order.cancelled',
          timestamp: isoSeconds(cancelAt),
          data: { orderId, cancelledAt: isoSeconds(cancelAt - 30_000), reason: 'customer' },
        };
        emit({
          kind: 'cancel',
          channel: 'partner',
          topic: 'order.cancelled',
          eventAt: cancelAt,
          body: JSON.stringify(body),
          senderHeaders: msg(),
        });
      } else {
        emit({
          kind: 'fulfilled',
          channel: 'partner',
          topic: 'order.upserted',
          eventAt: shipAt,
          body: partnerOrderBody(o, orderId, loc, 'fulfilled', 2, t0, shipAt),
          senderHeaders: msg(),
        });
      }
      if (o.refund) {
        const line = o.lines[0]!;
        const data = {
          orderId,
          refundId: `R-${i}`,
          amount: money(priceMinor(line.sku, o.currency)),
          currency: o.currency,
          processedAt: isoSeconds(refundAt - 60_000),
          lines: [{ lineId: '1', sku: line.sku, quantity: 1, restock: o.refund === 'restock', locationId: loc }],
        };
        emit({
          kind: 'refund',
          channel: 'partner',
          topic: 'refund.recorded',
          eventAt: refundAt,
          body: JSON.stringify({ type: 'refund.recorded', timestamp: isoSeconds(refundAt), data }),
          senderHeaders: msg(),
        });
      }
      return;
    }
  }
}

function totals(o: MixOrder) {
  const subtotal = o.lines.reduce((n, l) => n + priceMinor(l.sku, o.currency) * l.qty, 0);
  const tax = o.currency === 'USD' ? Math.round(subtotal * 0.08) : 0;
  return { subtotal, tax, total: subtotal + tax };
}

function shopifyOrderBody(
  o: MixOrder,
  id: number,
  i: number,
  loc: string,
  stage: 'pending' | 'paid' | 'fulfilled' | 'cancelled',
  at: number,
): string {
  const t = templates.shopifyOrder;
  const { subtotal, tax, total } = totals(o);
  const fulfilled = stage === 'fulfilled';
  const country = COUNTRY[o.currency]!;
  const address = {
    ...t.billing_address,
    country_code: country,
    country: country === 'US' ? 'United States' : country === 'DE' ? 'Germany' : 'Poland',
  };
  const lineItems = o.lines.map((l, j) => {
    const price = money(priceMinor(l.sku, o.currency));
    return {
      ...t.line_items[0],
      id: 14_500_000_000_000 + i * 10 + j,
      admin_graphql_api_id: `gid://shopify/LineItem/${14_500_000_000_000 + i * 10 + j}`,
      current_quantity: stage === 'cancelled' ? 0 : l.qty,
      fulfillable_quantity: fulfilled || stage === 'cancelled' ? 0 : l.qty,
      fulfillment_status: fulfilled ? 'fulfilled' : null,
      name: `Product ${l.sku}`,
      price,
      price_set: {
        shop_money: { amount: price, currency_code: o.currency },
        presentment_money: { amount: price, currency_code: o.currency },
      },
      product_id: shopifyProduct(l.sku),
      quantity: l.qty,
      sku: l.sku,
      title: `Product ${l.sku}`,
      variant_id: shopifyVariant(l.sku),
      variant_title: 'Default',
      tax_lines: tax
        ? [{ price: money(Math.round(priceMinor(l.sku, o.currency) * l.qty * 0.08)), rate: 0.08, title: 'State Tax' }]
        : [],
    };
  });
  const body = {
    ...t,
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    cancel_reason: stage === 'cancelled' ? 'customer' : null,
    cancelled_at: stage === 'cancelled' ? shopifyTime(at - 1000) : null,
    checkout_id: 37_221_850_000_000 + i,
    confirmation_number: `K${String(i).padStart(8, '0')}`,
    created_at: shopifyTime(o.createdAt),
    currency: o.currency,
    presentment_currency: o.currency,
    current_subtotal_price: money(stage === 'cancelled' ? 0 : subtotal),
    current_total_price: money(stage === 'cancelled' ? 0 : total),
    current_total_tax: money(stage === 'cancelled' ? 0 : tax),
    financial_status: stage === 'pending' ? 'pending' : stage === 'cancelled' ? 'refunded' : 'paid',
    fulfillment_status: fulfilled ? 'fulfilled' : null,
    location_id: Number(loc),
    name: `#${1001 + i}`,
    number: 1 + i,
    order_number: 1001 + i,
    processed_at: shopifyTime(o.createdAt - 1000),
    subtotal_price: money(subtotal),
    total_line_items_price: money(subtotal),
    total_price: money(total),
    total_tax: money(tax),
    total_weight: 400 * o.lines.reduce((n, l) => n + l.qty, 0),
    updated_at: shopifyTime(at),
    billing_address: address,
    shipping_address: address,
    fulfillments: fulfilled
      ? [
          {
            id: 5_100_000_000_000 + i,
            created_at: shopifyTime(at - 2000),
            status: 'success',
            tracking_company: 'UPS',
            tracking_number: `1Z${String(i).padStart(16, '0')}`,
          },
        ]
      : [],
    line_items: lineItems,
    email: o.customer ? shopifyCustomerEmail(o.customer) : `guest-${i}@example.com`,
    contact_email: o.customer ? shopifyCustomerEmail(o.customer) : `guest-${i}@example.com`,
    customer: o.customer ? shopifyCustomer(o.customer, o.currency) : null,
  };
  // the customer's ids are past 2^53: written as JSON numbers, digit for digit, as Shopify sends them
  return JSON.stringify(body).replace(/"#big:(\d+)"/g, '$1');
}

const shopifyCustomerEmail = (id: string) => `customer-${id.slice(-6)}@example.com`;

/**
 * The `customer` object of Shopify's sample order (test/fixtures/payloads/shopify/test-order.json),
 * field for field; its ids as `#big:` strings that shopifyOrderBody writes back as numbers.
 */
function shopifyCustomer(id: string, currency: string) {
  const country = COUNTRY[currency]!;
  return {
    id: `#big:${id}`,
    email: shopifyCustomerEmail(id),
    created_at: null,
    updated_at: null,
    first_name: 'Customer',
    last_name: id.slice(-6),
    state: 'enabled',
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    phone: null,
    currency,
    tax_exemptions: [],
    admin_graphql_api_id: `gid://shopify/Customer/${id}`,
    default_address: {
      id: `#big:${BigInt(id) + 600_000_000_000_000_000n}`,
      customer_id: `#big:${id}`,
      first_name: null,
      last_name: null,
      company: null,
      address1: '123 Elm St.',
      address2: null,
      city: country === 'US' ? 'Albany' : country === 'DE' ? 'Berlin' : 'Kraków',
      province: null,
      country: country === 'US' ? 'United States' : country === 'DE' ? 'Germany' : 'Poland',
      zip: '12207',
      phone: null,
      name: '',
      province_code: null,
      country_code: country,
      country_name: country === 'US' ? 'United States' : country === 'DE' ? 'Germany' : 'Poland',
      default: true,
    },
  };
}

function shopifyRefundBody(rng: Rng, o: MixOrder, orderId: number, i: number, loc: string, at: number): string {
  const t = templates.shopifyRefund;
  const line = o.lines[0]!;
  const amount = money(priceMinor(line.sku, o.currency));
  const body = {
    ...t,
    id: 1_009_000_000_000 + i,
    admin_graphql_api_id: `gid://shopify/Refund/${1_009_000_000_000 + i}`,
    created_at: shopifyTime(at),
    processed_at: shopifyTime(at - 1000),
    order_id: orderId,
    restock: o.refund === 'restock',
    transactions: [
      {
        ...t.transactions[0],
        id: 7_012_000_000_000 + i,
        amount,
        currency: o.currency,
        order_id: orderId,
        created_at: shopifyTime(at - 1000),
        processed_at: shopifyTime(at - 1000),
      },
    ],
    refund_line_items: [
      {
        ...t.refund_line_items[0],
        id: 610_000_000_000 + i,
        line_item_id: 14_500_000_000_000 + i * 10,
        location_id: Number(loc),
        quantity: 1,
        restock_type: o.refund === 'restock' ? 'return' : 'no_restock',
        line_item: {
          id: 14_500_000_000_000 + i * 10,
          name: `Product ${line.sku}`,
          price: amount,
          quantity: line.qty,
          sku: line.sku,
          variant_id: shopifyVariant(line.sku),
        },
      },
    ],
    note: rng.pick(['Chipped on arrival', 'Wrong size', 'Changed mind']),
  };
  return JSON.stringify(body);
}

function shopifyProductBody(rng: Rng, group: string[], at: number): string {
  const t = templates.shopifyProduct;
  const pid = shopifyProduct(group[0]!);
  const body = {
    ...t,
    id: pid,
    admin_graphql_api_id: `gid://shopify/Product/${pid}`,
    title: `Product ${group[0]}`,
    updated_at: shopifyTime(at),
    variants: group.map((sku, k) => ({
      ...t.variants[0],
      id: shopifyVariant(sku),
      admin_graphql_api_id: `gid://shopify/ProductVariant/${shopifyVariant(sku)}`,
      inventory_item_id: shopifyInventoryItem(sku),
      inventory_quantity: rng.int(0, 200),
      option1: `Option ${k + 1}`,
      position: k + 1,
      price: money(priceMinor(sku, 'USD')),
      product_id: pid,
      sku,
      title: `Option ${k + 1}`,
      updated_at: shopifyTime(at - k * 1000),
    })),
  };
  return JSON.stringify(body);
}

function wooOrderBody(
  o: MixOrder,
  id: number,
  i: number,
  status: string,
  createdAt: number,
  modifiedAt: number,
  completedAt?: number,
  refunds: unknown[] = [],
): string {
  const t = templates.wooOrder;
  const { total } = totals(o);
  const country = COUNTRY[o.currency]!;
  const done = status === 'completed' ? (completedAt ?? modifiedAt) : undefined;
  const body = {
    ...t,
    id,
    status,
    currency: o.currency,
    total: money(total),
    cart_tax: '0.00',
    total_tax: '0.00',
    shipping_total: '0.00',
    date_created: wooGmt(createdAt + HOUR),
    date_modified: wooGmt(modifiedAt + HOUR),
    date_completed: done ? wooGmt(done + HOUR) : null,
    date_paid: wooGmt(createdAt + HOUR),
    order_key: `wc_order_${String(i).padStart(12, '0')}`,
    number: String(id),
    // customer_id 0 is a guest checkout (its billing email is then its only identity)
    customer_id: o.customer ? Number(o.customer) : 0,
    billing: {
      ...t.billing,
      country,
      email: o.customer ? `customer-${o.customer}@example.de` : `guest-${i}@example.de`,
    },
    shipping: { ...t.shipping, country },
    line_items: o.lines.map((l, j) => {
      const unit = priceMinor(l.sku, o.currency);
      return {
        ...t.line_items[1],
        id: 900_000 + i * 10 + j,
        name: `Product ${l.sku}`,
        product_id: wooProduct(l.sku),
        variation_id: 0,
        quantity: l.qty,
        subtotal: money(unit * l.qty),
        subtotal_tax: '0.00',
        total: money(unit * l.qty),
        total_tax: '0.00',
        taxes: [],
        sku: l.sku,
        price: unit / 100,
      };
    }),
    refunds,
    date_created_gmt: wooGmt(createdAt),
    date_modified_gmt: wooGmt(modifiedAt),
    date_completed_gmt: done ? wooGmt(done) : null,
    date_paid_gmt: wooGmt(createdAt),
    payment_url: `https://shop.example.de/checkout/order-pay/${id}/`,
    _links: { self: [{ href: `https://shop.example.de/wp-json/wc/v3/orders/${id}` }] },
  };
  return JSON.stringify(body);
}

function wooProductBody(rng: Rng, sku: string, at: number): string {
  const t = templates.wooProduct;
  const id = wooProduct(sku);
  return JSON.stringify({
    ...t,
    id,
    name: `Product ${sku}`,
    slug: `product-${sku.toLowerCase()}`,
    permalink: `https://shop.example.de/product/product-${sku.toLowerCase()}/`,
    date_modified: wooGmt(at + HOUR),
    date_modified_gmt: wooGmt(at),
    sku,
    price: money(priceMinor(sku, 'EUR')),
    regular_price: money(priceMinor(sku, 'EUR')),
    stock_quantity: rng.int(0, 300),
    _links: { self: [{ href: `https://shop.example.de/wp-json/wc/v3/products/${id}` }] },
  });
}

function walmartBody(
  rng: Rng,
  o: MixOrder,
  po: string,
  i: number,
  loc: string,
  event: string,
  createdAt: number,
  at: number,
): string {
  const lineStatus = event === 'PO_CREATED' ? 'CREATED' : event === 'PO_LINE_SHIPPED' ? 'SHIPPED' : 'Cancelled';
  const order = {
    partnerId: '10001234567',
    purchaseOrderId: po,
    customerOrderId: String(5_291_000_000_000 + i),
    orderDate: isoZ(createdAt - 13_000),
    estimatedDeliveryDate: isoZ(createdAt + 4 * DAY),
    estimatedShipDate: isoZ(createdAt + DAY),
    orderLines: o.lines.map((l, j) => ({
      lineNumber: String(j + 1),
      sku: l.sku,
      productName: `Product ${l.sku}`,
      quantity: { unitOfMeasure: 'EACH', measurementValue: String(l.qty) },
      status: lineStatus,
      statusDate: isoZ(at - 1000),
      shippingProgramType: 'THREE_DAY',
      shippingMethod: 'Standard',
      shipNodeType: 'SellerFulfilled',
      shipNode: loc,
    })),
  };
  if (event === 'PO_CREATED') {
    return JSON.stringify({
      source: { eventType: 'PO_CREATED', eventTime: isoZ(at), eventId: rng.uuid() },
      payload: order,
    });
  }
  return JSON.stringify({
    source: { eventType: 'ORDER_UPDATES', eventFilters: null, eventTime: isoZ(at), eventId: rng.uuid() },
    payload: { meta: { subEventType: event }, subEventType: event, order },
  });
}

function amazonBody(rng: Rng, o: MixOrder, id: string, status: string, createdAt: number, at: number): string {
  const t = templates.amazon;
  const shipped = status === 'Shipped';
  const units = o.lines.reduce((n, l) => n + l.qty, 0);
  const body = {
    ...t,
    EventTime: isoZ(at + 6000),
    Payload: {
      OrderChangeNotification: {
        ...t.Payload.OrderChangeNotification,
        AmazonOrderId: id,
        OrderChangeTrigger: { TimeOfOrderChange: isoZ(at), ChangeReason: `Order status changed to ${status}` },
        Summary: {
          ...t.Payload.OrderChangeNotification.Summary,
          OrderStatus: status,
          PurchaseDate: isoZ(createdAt),
          NumberOfItemsShipped: shipped ? units : 0,
          NumberOfItemsUnshipped: shipped || status === 'Canceled' ? 0 : units,
          OrderItems: o.lines.map((l, j) => ({
            OrderItemId: `${62_511_473_000_000 + Number(id.slice(4, 11)) * 10 + j}`,
            SellerSKU: l.sku,
            OrderItemStatus: status,
            Quantity: l.qty,
            QuantityShipped: shipped ? l.qty : 0,
            IsBuyerRequestedCancel: status === 'Canceled',
          })),
        },
      },
    },
    NotificationMetadata: { ...t.NotificationMetadata, PublishTime: isoZ(at + 6100), NotificationId: rng.uuid() },
  };
  return JSON.stringify(body);
}

function partnerOrderBody(
  o: MixOrder,
  orderId: string,
  loc: string,
  status: 'paid' | 'fulfilled',
  version: number,
  createdAt: number,
  at: number,
): string {
  const { total } = totals(o);
  const data: Record<string, unknown> = {
    orderId,
    orderNumber: orderId.slice(2),
    status,
    createdAt: isoSeconds(createdAt),
    updatedAt: isoSeconds(at),
    version,
    currency: o.currency,
    total: money(total),
    shipToCountry: COUNTRY[o.currency],
    ...(o.customer ? { customerId: o.customer } : {}),
    lines: o.lines.map((l, j) => ({
      lineId: String(j + 1),
      sku: l.sku,
      productId: partnerProduct(l.sku),
      quantity: l.qty,
      unitPrice: money(priceMinor(l.sku, o.currency)),
      locationId: loc,
    })),
  };
  if (status === 'fulfilled') data.fulfilledAt = isoSeconds(at - 5000);
  return JSON.stringify({ type: 'order.upserted', timestamp: isoSeconds(at), data });
}

function squareCountBody(rng: Rng, sku: string, loc: string, qty: number, at: number): string {
  const t = templates.squareCount;
  const count = (state: string, quantity: string) => ({
    calculated_at: isoZ(at - 700),
    catalog_object_id: squareCatalogId(sku),
    catalog_object_type: 'ITEM_VARIATION',
    location_id: loc,
    quantity,
    state,
  });
  return JSON.stringify({
    ...t,
    event_id: rng.uuid(),
    created_at: isoZ(at),
    data: {
      type: 'inventory_counts',
      id: rng.uuid(),
      object: { inventory_counts: [count('IN_STOCK', String(qty)), count('SOLD', String(rng.int(1, 3)))] },
    },
  });
}
