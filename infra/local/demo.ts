import './sdk-warnings.ts';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { systemClock, systemMsClock, type Clock } from '#shared/domain/clock.ts';
import type { Connection, ConnectionInput } from '#shared/domain/connection.ts';
import { ConnectionSchema } from '#shared/domain/connection.ts';
import { hubStateDir, readHubFile, type HubFile } from './hub-file.ts';
import { mulberry32 } from '../../bench/prng.ts';

/**
 * `npm run demo`: a few months of a small merchant's business, sent to a running local hub as
 * signed webhooks through its real HTTP path, so the dashboard, the KPIs and the stock alerts have
 * something to show. A web shop on Shopify, a marketplace and a dealer posting the hub's own format,
 * and the warehouse's counts at WH-MAIN, the one location every order draws from (the orders name
 * none, so each reserves at its SKU's only location). Seeded: the same seed sends the same orders.
 *
 * Environment: DEMO_SEED (default 1), DEMO_MONTHS (1-6, default 4), HUB_STATE_DIR (see hub-file.ts).
 */

export const DEMO_LOCATION = 'WH-MAIN';

/** The catalogue: SKU, price, and the count at WH-MAIN (two are short, so alerts have rows). */
const CATALOGUE = [
  { sku: 'MUG-BLUE-350', price: 12.9, onHand: 400 },
  { sku: 'MUG-RED-350', price: 12.9, onHand: 350 },
  { sku: 'TEAPOT-CAST-1L', price: 49.0, onHand: 120 },
  { sku: 'TOWEL-LIN-NAT', price: 24.5, onHand: 300 },
  { sku: 'CANDLE-SOY-L', price: 18.0, onHand: 260 },
  { sku: 'LAMP-BRASS-S', price: 89.0, onHand: 6 },
  { sku: 'VASE-STONE-M', price: 34.0, onHand: 9 },
  { sku: 'COASTER-OAK-4', price: 15.0, onHand: 500 },
] as const;

/** The demo's connections; their secrets are made once and kept, so a rerun signs with them. */
const CONNECTIONS: ConnectionInput[] = [
  { id: 'demo-web-shop', source: 'shopify', channel: 'web-shop', secret: 'set below' },
  { id: 'demo-marketplace', source: 'standard-webhooks', channel: 'marketplace', secret: 'set below' },
  {
    id: 'demo-dealer',
    source: 'standard-webhooks',
    channel: 'dealer-north',
    partner: 'north-dealer',
    secret: 'set below',
  },
  { id: 'demo-wms', source: 'standard-webhooks', channel: 'wms', secret: 'set below' },
];

/** Orders a month per channel (before the seeded spread), and what share is cancelled or refunded. */
const ORDERS_PER_MONTH: Record<string, number> = { 'web-shop': 40, marketplace: 30, 'dealer-north': 12 };
const CANCEL_RATE = 0.04;
const REFUND_RATE = 0.04;
/** The demo never sends more than this many requests, whatever DEMO_MONTHS says. */
export const MAX_REQUESTS = 600;

/** the benchmark mix's seeded generator: the same sequence on every machine */
const rng = mulberry32;

export interface DemoRequest {
  connectionId: string;
  kind: 'count' | 'order' | 'cancellation' | 'refund';
  /** the sender's topic or event type */
  topic: string;
  body: string;
}

export interface DemoPlan {
  requests: DemoRequest[];
  channels: string[];
  months: string[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const money = (n: number) => n.toFixed(2);

/**
 * What the demo sends, as data: counts first (dated before the first order), then orders in time
 * order with their cancellations and refunds. `until` is the last moment an order may be placed.
 */
export function demoPlan(opts: { seed: number; months: number; until: Date }): DemoPlan {
  const random = rng(opts.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const end = Date.UTC(opts.until.getUTCFullYear(), opts.until.getUTCMonth(), opts.until.getUTCDate());
  const monthStart = (back: number) => Date.UTC(opts.until.getUTCFullYear(), opts.until.getUTCMonth() - back, 1);
  const firstMonth = monthStart(opts.months - 1);
  const months: string[] = [];
  for (let back = opts.months - 1; back >= 0; back--) months.push(iso(monthStart(back)).slice(0, 7));

  const requests: DemoRequest[] = [];
  // the warehouse counts everything the evening before the first order
  requests.push({
    connectionId: 'demo-wms',
    kind: 'count',
    topic: 'stock.set',
    body: JSON.stringify({
      type: 'stock.set',
      timestamp: iso(firstMonth - 3_600_000),
      data: {
        asOf: iso(firstMonth - 3_600_000),
        counts: CATALOGUE.map((c) => ({ sku: c.sku, location: DEMO_LOCATION, onHand: c.onHand })),
      },
    }),
  });

  const orders: Array<{ at: number; req: DemoRequest[] }> = [];
  let n = 0;
  for (const month of months) {
    const start = Date.parse(`${month}-01T00:00:00Z`);
    const next = Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1);
    const last = Math.min(next, end + 86_400_000);
    for (const [channel, perMonth] of Object.entries(ORDERS_PER_MONTH)) {
      // a growing business: later months sell a little more
      const count = Math.round(
        perMonth * (0.8 + 0.1 * months.indexOf(month) + 0.3 * random()) * ((last - start) / (next - start)),
      );
      for (let i = 0; i < count; i++) {
        n++;
        const at = start + Math.floor(random() * (last - start));
        const lines = [{ item: pick(CATALOGUE), quantity: 1 + Math.floor(random() * random() * 3) }];
        if (random() < 0.25) {
          const other = pick(CATALOGUE);
          if (other.sku !== lines[0]!.item.sku) lines.push({ item: other, quantity: 1 });
        }
        const total = lines.reduce((s, l) => s + l.item.price * l.quantity, 0);
        const fate = random();
        const cancelled = fate < CANCEL_RATE;
        const refunded = !cancelled && fate < CANCEL_RATE + REFUND_RATE;
        const req: DemoRequest[] = [];
        if (channel === 'web-shop') {
          const id = 5_900_000_000_000 + n;
          const order = {
            id,
            name: `#${2000 + n}`,
            created_at: iso(at),
            updated_at: iso(at),
            currency: 'USD',
            total_price: money(total),
            financial_status: 'paid',
            fulfillment_status: null,
            location_id: null,
            cancelled_at: null as string | null,
            cancel_reason: null as string | null,
            line_items: lines.map((l, k) => ({
              id: id * 10 + k,
              sku: l.item.sku,
              quantity: l.quantity,
              price: money(l.item.price),
              variant_id: 800_000 + k,
            })),
          };
          req.push({
            connectionId: 'demo-web-shop',
            kind: 'order',
            topic: 'orders/create',
            body: JSON.stringify(order),
          });
          if (cancelled) {
            const when = iso(at + 2 * 3_600_000);
            req.push({
              connectionId: 'demo-web-shop',
              kind: 'cancellation',
              topic: 'orders/cancelled',
              body: JSON.stringify({
                ...order,
                updated_at: when,
                cancelled_at: when,
                cancel_reason: 'customer',
                financial_status: 'refunded',
              }),
            });
          }
          if (refunded) {
            req.push({
              connectionId: 'demo-web-shop',
              kind: 'refund',
              topic: 'refunds/create',
              body: JSON.stringify({
                id: 7_000_000 + n,
                order_id: id,
                created_at: iso(at + 5 * 86_400_000),
                processed_at: iso(at + 5 * 86_400_000),
                refund_line_items: [],
                transactions: [
                  {
                    id: 8_000_000 + n,
                    kind: 'refund',
                    status: 'success',
                    amount: money(lines[0]!.item.price),
                    currency: 'USD',
                  },
                ],
              }),
            });
          }
        } else {
          const connectionId = channel === 'marketplace' ? 'demo-marketplace' : 'demo-dealer';
          const orderId = `${channel === 'marketplace' ? 'MP' : 'DL'}-${10_000 + n}`;
          // orders older than ten days have shipped, a day or two after they were placed
          const shipped = !cancelled && at < end - 10 * 86_400_000;
          const fulfilledAt = at + (12 + Math.floor(random() * 48)) * 3_600_000;
          const data = {
            orderId,
            orderNumber: String(10_000 + n),
            status: shipped ? 'fulfilled' : 'paid',
            createdAt: iso(at),
            updatedAt: iso(shipped ? fulfilledAt : at),
            version: 1,
            currency: 'USD',
            total: money(total),
            lines: lines.map((l, k) => ({
              lineId: String(k + 1),
              sku: l.item.sku,
              quantity: l.quantity,
              unitPrice: money(l.item.price),
            })),
            ...(shipped ? { fulfilledAt: iso(fulfilledAt) } : {}),
          };
          req.push({
            connectionId,
            kind: 'order',
            topic: 'order.upserted',
            body: JSON.stringify({ type: 'order.upserted', timestamp: data.updatedAt, data }),
          });
          if (cancelled) {
            const cancelledAt = iso(at + 3_600_000);
            req.push({
              connectionId,
              kind: 'cancellation',
              topic: 'order.cancelled',
              body: JSON.stringify({
                type: 'order.cancelled',
                timestamp: cancelledAt,
                data: { orderId, cancelledAt, reason: 'customer' },
              }),
            });
          }
          if (refunded) {
            const processedAt = iso(at + 7 * 86_400_000);
            req.push({
              connectionId,
              kind: 'refund',
              topic: 'refund.recorded',
              body: JSON.stringify({
                type: 'refund.recorded',
                timestamp: processedAt,
                data: {
                  orderId,
                  refundId: `R-${n}`,
                  amount: money(lines[0]!.item.price),
                  currency: 'USD',
                  processedAt,
                  lines: [
                    { lineId: '1', sku: lines[0]!.item.sku, quantity: 1, restock: true, locationId: DEMO_LOCATION },
                  ],
                },
              }),
            });
          }
        }
        orders.push({ at, req });
      }
    }
  }
  orders.sort((a, b) => a.at - b.at);
  for (const o of orders) {
    if (requests.length + o.req.length > MAX_REQUESTS) break;
    requests.push(...o.req);
  }
  return { requests, channels: Object.keys(ORDERS_PER_MONTH), months };
}

/** Signs as the sender does (docs/webhook-sources.md): headers for one delivery. */
function signedHeaders(conn: Connection, req: DemoRequest, now: Date): Record<string, string> {
  const secret = conn.secrets[0]!;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (conn.source === 'shopify') {
    headers['x-shopify-hmac-sha256'] = createHmac('sha256', secret).update(req.body).digest('base64');
    headers['x-shopify-topic'] = req.topic;
    headers['x-shopify-shop-domain'] = 'demo.myshopify.com';
    headers['x-shopify-webhook-id'] = randomUUID();
    headers['x-shopify-event-id'] = randomUUID();
    headers['x-shopify-triggered-at'] = now.toISOString();
    return headers;
  }
  // Standard Webhooks: HMAC-SHA256 of "<id>.<timestamp>.<body>" with the base64-decoded secret;
  // the timestamp is the signing time (the hub allows 5 minutes), not the event's
  const id = `msg_${randomUUID().replace(/-/g, '')}`;
  const ts = String(Math.floor(now.getTime() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  headers['webhook-id'] = id;
  headers['webhook-timestamp'] = ts;
  headers['webhook-signature'] = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${req.body}`).digest('base64')}`;
  return headers;
}

export interface DemoOptions {
  hub: HubFile;
  /** signs the deliveries: the hub checks Standard Webhooks timestamps against its own clock */
  clock: Clock;
  seed?: number;
  months?: number;
  /** the last day orders are placed on; default: the clock's today */
  until?: Date;
  print?: (line: string) => void;
}

export interface DemoResult {
  sent: Record<DemoRequest['kind'], number>;
  failed: number;
  channels: string[];
  months: string[];
  dashboardUrl: string;
}

/** Makes the demo connections (or reuses them, with their secrets) and sends the plan. */
export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const print = opts.print ?? console.log;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HUB_AWS_ENDPOINT: opts.hub.awsEndpoint,
    // moto takes any credentials; the local hub's own are these
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  };
  const store = dynamoConnectionStore({
    tableName: opts.hub.tableName,
    stage: opts.hub.stage,
    clients: { aws: liteAwsClient({ env }) },
    now: systemMsClock,
    maxAgeSeconds: 0,
  });
  const connections = new Map<string, Connection>();
  for (const input of CONNECTIONS) {
    // an existing one keeps its secret: ingest caches connections for a minute, so a new secret
    // would be refused until its cache expires
    const existing = await store.get(input.id as string, { fresh: true });
    if (existing) {
      connections.set(existing.id, existing);
      continue;
    }
    const secret =
      input.source === 'shopify' ? randomBytes(16).toString('hex') : `whsec_${randomBytes(32).toString('base64')}`;
    const conn = ConnectionSchema.parse({ ...input, secret });
    await store.put(conn);
    connections.set(conn.id, conn);
  }

  const plan = demoPlan({ seed: opts.seed ?? 1, months: opts.months ?? 4, until: opts.until ?? opts.clock() });
  const sent: DemoResult['sent'] = { count: 0, order: 0, cancellation: 0, refund: 0 };
  let failed = 0;
  // in order, a few at a time: a cancellation must not overtake the order it cancels by much
  // (the hub handles either order, but the story reads better), and the hub shares a laptop
  const parallel = 4;
  for (let i = 0; i < plan.requests.length; i += parallel) {
    await Promise.all(
      plan.requests.slice(i, i + parallel).map(async (req) => {
        const conn = connections.get(req.connectionId)!;
        const res = await fetch(`${opts.hub.url}/webhooks/${conn.id}`, {
          method: 'POST',
          headers: signedHeaders(conn, req, opts.clock()),
          body: req.body,
        });
        if (res.status === 202) sent[req.kind]++;
        else {
          failed++;
          if (failed <= 3) print(`  ${req.topic} to ${conn.id}: ${res.status} ${await res.text()}`);
        }
      }),
    );
  }
  const dashboardUrl = `${opts.hub.url}/dashboard?from=${plan.months[0]}-01&granularity=month`;
  print(`sent ${plan.requests.length - failed} signed webhooks to ${opts.hub.url} (${failed} refused):`);
  print(`  ${sent.count} stock count(s) of ${CATALOGUE.length} SKUs at ${DEMO_LOCATION} (connection demo-wms)`);
  print(`  ${sent.order} orders on ${plan.channels.join(', ')} over ${plan.months.join(', ')}`);
  print(`  ${sent.cancellation} cancellations, ${sent.refund} refunds`);
  print(`the hub applies them within seconds; then open ${dashboardUrl} and paste the API key npm start printed`);
  return { sent, failed, channels: plan.channels, months: plan.months, dashboardUrl };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const hub = readHubFile(hubStateDir());
  if (!hub) {
    console.error(
      `no running local hub found (${hubStateDir()}/hub.json): start one with \`npm start\` in another terminal`,
    );
    process.exit(1);
  }
  const seed = Number(process.env.DEMO_SEED ?? 1);
  const months = Number(process.env.DEMO_MONTHS ?? 4);
  if (!Number.isInteger(seed) || !Number.isInteger(months) || months < 1 || months > 6) {
    console.error('DEMO_SEED must be a whole number and DEMO_MONTHS one from 1 to 6');
    process.exit(1);
  }
  runDemo({ hub, clock: systemClock, seed, months }).then(
    (r) => process.exit(r.failed > 0 ? 1 : 0),
    (err: unknown) => {
      console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
