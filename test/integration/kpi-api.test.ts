import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHandler } from '#functions/kpi/handler.ts';
import { KPI_TABLE_PARTITIONS } from '#infra/hub-stack.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel } from '#shared/aws/channels.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { kpiRuntime } from '#shared/aws/kpi-repo.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { foldMemory } from '../../bench/memory-fold.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { motoEnv } from '../support/aws.ts';
import { freshTable } from '../support/table.ts';
import { fixedClock } from '../support/clock.ts';

/**
 * The KPI API against an independent computation: a seeded set of orders across channels,
 * currencies and time-zone edges goes through the normalizer (applyEvent) into a moto table; the
 * expected figures are worked out here with plain arithmetic over the generated orders — own
 * money formatting, own zone offsets, own calendar — and compared with what the API answers.
 * The fold cuts day and month rollups in Kolkata (+5:30) here, so requests in Kolkata are answered
 * from rollups (cut at the exact order time) and requests in UTC and New York from hour counters.
 */
const ROLLUP_ZONE = 'Asia/Kolkata';

// ---------------------------------------------------------------------------------------------
// generated orders

function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20260308);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;

const EXP: Record<string, number> = { USD: 2, EUR: 2, GBP: 2, JPY: 0 };
function money(minor: number, cur: string): string {
  const e = EXP[cur]!;
  if (e === 0) return String(minor);
  const s = String(minor).padStart(e + 1, '0');
  return `${s.slice(0, -e)}.${s.slice(-e)}`;
}

type Pricing = 'total' | 'lines' | 'none';
const CHANNELS: Record<string, { pricing: Pricing; currencies: string[]; partner?: string }> = {
  'shop-us': { pricing: 'total', currencies: ['USD'] },
  'shop-eu': { pricing: 'lines', currencies: ['EUR', 'GBP'] },
  amazon: { pricing: 'none', currencies: [] },
  'acme-web': { pricing: 'total', currencies: ['JPY'], partner: 'acme' },
};

interface Line {
  lineId: string;
  sku: string;
  qty: number;
  unitMinor?: number;
}
interface Order {
  channel: string;
  id: string;
  createdAt: string;
  currency?: string;
  lines: Line[];
  cancel?: 'whole' | string[];
  fulfilledAt?: string;
  refunds: { id: string; amountMinor?: number }[];
}

const SKUS = ['SKU-A', 'SKU-B', 'SKU-C', 'SKU-D', 'SKU-E'];
const iso = (ms: number) => new Date(ms).toISOString();

/** Times weighted towards the edges the API must cut right. */
function orderTime(): number {
  const r = rand();
  const minute = (base: string, hours: number) =>
    Date.parse(base) + int(0, hours * 60 - 1) * 60_000 + int(0, 59) * 1000;
  if (r < 0.1) return minute('2026-03-08T03:00:00Z', 6); // New York DST starts 07:00Z
  if (r < 0.18) return minute('2025-11-02T03:00:00Z', 5); // New York DST ends 06:00Z
  if (r < 0.3) return minute(`2026-01-${String(int(10, 20))}T18:00:00Z`, 2); // Kolkata midnight is 18:30Z
  if (r < 0.38) return minute('2026-01-31T22:00:00Z', 4); // month edge in UTC and NY
  return (
    Date.parse('2025-09-01T00:00:00Z') +
    Math.floor(rand() * (Date.parse('2026-05-01T00:00:00Z') - Date.parse('2025-09-01T00:00:00Z')))
  );
}

function generate(n: number): Order[] {
  const orders: Order[] = [];
  for (let i = 0; i < n; i++) {
    const channel = pick(Object.keys(CHANNELS));
    const spec = CHANNELS[channel]!;
    const created = orderTime();
    const lines: Line[] = Array.from({ length: int(1, 3) }, (_, j) => {
      const l: Line = { lineId: `L${j}`, sku: pick(SKUS), qty: int(1, 3) };
      if (spec.pricing !== 'none') l.unitMinor = spec.currencies[0] === 'JPY' ? int(100, 9000) : int(99, 12_000);
      return l;
    });
    const o: Order = { channel, id: `o${i}`, createdAt: iso(created), lines, refunds: [] };
    if (spec.currencies.length) o.currency = pick(spec.currencies);
    const r = rand();
    if (r < 0.1) o.cancel = 'whole';
    else if (r < 0.16 && lines.length > 1) o.cancel = [lines[0]!.lineId];
    else if (r < 0.6) o.fulfilledAt = iso(created + int(600, 96 * 3600) * 1000);
    if (rand() < 0.12) {
      const count = rand() < 0.25 ? 2 : 1;
      for (let k = 0; k < count; k++)
        o.refunds.push({ id: `${o.id}-r${k}`, ...(o.currency ? { amountMinor: int(1, 2000) } : {}) });
    }
    orders.push(o);
  }
  return orders;
}

/**
 * Two shop-eu orders in one hour, one in EUR and one in GBP: their counter holds revenue in two
 * currencies, and the average order value of each still comes out right (priced orders are
 * counted per currency).
 */
function collidingCurrencies(): Order[] {
  const at = Date.parse('2026-02-10T12:05:00Z');
  return [
    {
      channel: 'shop-eu',
      id: 'mix-0',
      createdAt: iso(at),
      currency: 'EUR',
      lines: [{ lineId: 'L0', sku: 'SKU-A', qty: 1, unitMinor: 1500 }],
      refunds: [],
    },
    {
      channel: 'shop-eu',
      id: 'mix-1',
      createdAt: iso(at + 60_000),
      currency: 'GBP',
      lines: [{ lineId: 'L0', sku: 'SKU-B', qty: 2, unitMinor: 700 }],
      refunds: [],
    },
  ];
}

function eventsOf(o: Order): CanonicalEvent[] {
  const spec = CHANNELS[o.channel]!;
  const base = { channel: o.channel, source: 'test' };
  let seq = 0;
  const did = () => `${o.id}-d${seq++}`;
  const lines = o.lines.map((l) => ({
    lineId: l.lineId,
    sku: l.sku,
    quantity: l.qty,
    locationId: 'WH1',
    ...(l.unitMinor !== undefined && o.currency
      ? { unitPrice: { amount: money(l.unitMinor, o.currency), currency: o.currency } }
      : {}),
  }));
  const totalMinor = o.lines.reduce((n, l) => n + (l.unitMinor ?? 0) * l.qty, 0);
  const upsert = (status: 'paid' | 'fulfilled', at: string, extra: Record<string, unknown> = {}): CanonicalEvent => ({
    ...base,
    type: 'OrderUpserted',
    deliveryId: did(),
    occurredAt: at,
    orderId: o.id,
    status,
    rawStatus: {},
    createdAt: o.createdAt,
    version: { at },
    ...(spec.pricing === 'total' && o.currency
      ? { total: { amount: money(totalMinor, o.currency), currency: o.currency } }
      : {}),
    lines,
    ...extra,
  });
  const out: CanonicalEvent[] = [upsert('paid', o.createdAt)];
  if (o.cancel) {
    out.push({
      ...base,
      type: 'OrderCancelled',
      deliveryId: did(),
      occurredAt: o.createdAt,
      orderId: o.id,
      cancelledAt: iso(Date.parse(o.createdAt) + 3_600_000),
      ...(o.cancel === 'whole' ? {} : { lineIds: o.cancel }),
    });
  }
  if (o.fulfilledAt) out.push(upsert('fulfilled', o.fulfilledAt, { fulfilledAt: o.fulfilledAt }));
  for (const r of o.refunds) {
    out.push({
      ...base,
      type: 'RefundRecorded',
      deliveryId: did(),
      occurredAt: o.createdAt,
      orderId: o.id,
      refundId: r.id,
      processedAt: iso(Date.parse(o.createdAt) + 86_400_000),
      lines: [],
      ...(r.amountMinor !== undefined && o.currency
        ? { amount: { amount: money(r.amountMinor, o.currency), currency: o.currency } }
        : {}),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the independent computation

const HOUR = 3_600_000;
/** New York's offset in hours at a UTC instant: EDT between the 2025 and 2026 switch instants. */
function newYorkOffset(ms: number): number {
  const edt = (from: string, to: string) => ms >= Date.parse(from) && ms < Date.parse(to);
  return edt('2025-03-09T07:00:00Z', '2025-11-02T06:00:00Z') || edt('2026-03-08T07:00:00Z', '2026-11-01T06:00:00Z')
    ? -4
    : -5;
}
const OFFSET: Record<string, (ms: number) => number> = {
  UTC: () => 0,
  'America/New_York': newYorkOffset,
  'Asia/Kolkata': () => 5.5,
};

/**
 * The documented rules: in the rollup zone an order counts on the local date it was placed on;
 * in other zones, on the local date its UTC hour bucket starts on.
 */
function localDateOf(o: Order, tz: string): string {
  if (tz === ROLLUP_ZONE) {
    const ms = Date.parse(o.createdAt);
    return new Date(ms + OFFSET[tz]!(ms) * HOUR).toISOString().slice(0, 10);
  }
  const hourStart = Math.floor(Date.parse(o.createdAt) / HOUR) * HOUR;
  return new Date(hourStart + OFFSET[tz]!(hourStart) * HOUR).toISOString().slice(0, 10);
}

function dayNumber(d: string): number {
  return Date.parse(`${d}T00:00:00Z`) / 86_400_000;
}
function dateOfDay(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10);
}

type Gran = 'day' | 'week' | 'month' | 'quarter';
/** The first date of the calendar period a date falls in. */
function startOf(d: string, g: Gran): string {
  if (g === 'day') return d;
  if (g === 'week') {
    const n = dayNumber(d);
    const dow = (((n + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Monday = 0
    return dateOfDay(n - dow);
  }
  const y = d.slice(0, 4);
  const m = Number(d.slice(5, 7));
  if (g === 'month') return `${y}-${d.slice(5, 7)}-01`;
  return `${y}-${String(m - ((m - 1) % 3)).padStart(2, '0')}-01`;
}

interface Expected {
  orders: number;
  cancelled: number;
  units: number;
  multi: number;
  revenue: Record<string, number>;
  priced: Record<string, number>;
  refunds: number;
  refundAmount: Record<string, number>;
  fulfilled: number;
  fulfilSeconds: number;
  unpriced: number;
  oversells: number;
}

function expectedOf(
  orders: Order[],
  oversellHours: Map<string, number>,
  channel: string,
  tz: string,
  from: string,
  to: string,
): Expected {
  const e: Expected = {
    orders: 0,
    cancelled: 0,
    units: 0,
    multi: 0,
    revenue: {},
    priced: {},
    refunds: 0,
    refundAmount: {},
    fulfilled: 0,
    fulfilSeconds: 0,
    unpriced: 0,
    oversells: 0,
  };
  for (const o of orders) {
    if (o.channel !== channel) continue;
    const d = localDateOf(o, tz);
    if (d < from || d > to) continue;
    e.orders += 1;
    const whole = o.cancel === 'whole';
    for (const r of o.refunds) {
      e.refunds += 1;
      if (r.amountMinor !== undefined) e.refundAmount[o.currency!] = (e.refundAmount[o.currency!] ?? 0) + r.amountMinor;
    }
    if (whole) {
      e.cancelled += 1;
      continue;
    }
    const active = o.lines.filter((l) => !(Array.isArray(o.cancel) && o.cancel.includes(l.lineId)));
    e.units += active.reduce((n, l) => n + l.qty, 0);
    if (new Set(active.map((l) => l.sku)).size > 1) e.multi += 1;
    if (CHANNELS[o.channel]!.pricing === 'none') e.unpriced += 1;
    else {
      const cur = o.currency!;
      e.revenue[cur] = (e.revenue[cur] ?? 0) + active.reduce((n, l) => n + l.unitMinor! * l.qty, 0);
      e.priced[cur] = (e.priced[cur] ?? 0) + 1;
    }
    if (o.fulfilledAt) {
      e.fulfilled += 1;
      e.fulfilSeconds += Math.round((Date.parse(o.fulfilledAt) - Date.parse(o.createdAt)) / 1000);
    }
  }
  for (const [key, n] of oversellHours) {
    const [ch, hour] = key.split('|') as [string, string];
    if (ch !== channel) continue;
    const d = localDateOf({ createdAt: `${hour}:00:00.000Z` } as Order, tz);
    if (d >= from && d <= to) e.oversells += n;
  }
  return e;
}

function half(a: number, b: number): number {
  const q = Math.floor(a / b);
  return 2 * (a - q * b) >= b ? q + 1 : q;
}

/** What the API should say for a span, in its own shape, with rates left as numbers. */
function expectedAnswer(e: Expected) {
  const kept = e.orders - e.cancelled;
  const moneyMap = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).map(([c, v]) => [c, money(v, c)]));
  return {
    orders: e.orders,
    cancelledOrders: e.cancelled,
    unitsSold: e.units,
    unpricedOrders: e.unpriced,
    grossRevenue: moneyMap(e.revenue),
    averageOrderValue: Object.fromEntries(
      Object.entries(e.revenue).map(([c, v]) => [c, money(half(v, e.priced[c]!), c)]),
    ),
    refunds: { count: e.refunds, amount: moneyMap(e.refundAmount) },
    fulfilledOrders: e.fulfilled,
    oversells: e.oversells,
    rates: {
      cancellationRate: e.orders ? e.cancelled / e.orders : null,
      unitsPerOrder: kept ? e.units / kept : null,
      crossSellRate: kept ? e.multi / kept : null,
      refundRate: e.orders ? e.refunds / e.orders : null,
      meanHours: e.fulfilled ? e.fulfilSeconds / e.fulfilled / 3600 : null,
    },
  };
}

function expectClose(actual: number | null, expected: number | null, digits = 5): void {
  if (expected === null) expect(actual).toBeNull();
  else expect(actual).toBeCloseTo(expected, digits);
}

function compare(actual: any, e: Expected, where: string): void {
  const x = expectedAnswer(e);
  expect(
    {
      orders: actual.orders,
      cancelledOrders: actual.cancelledOrders,
      unitsSold: actual.unitsSold,
      unpricedOrders: actual.unpricedOrders,
      grossRevenue: actual.grossRevenue,
      averageOrderValue: actual.averageOrderValue,
      refunds: { count: actual.refunds.count, amount: actual.refunds.amount },
      fulfilledOrders: actual.fulfilment.fulfilledOrders,
      oversells: actual.oversells,
    },
    where,
  ).toEqual(Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'rates')));
  expectClose(actual.cancellationRate, x.rates.cancellationRate);
  expectClose(actual.unitsPerOrder, x.rates.unitsPerOrder);
  expectClose(actual.crossSellRate, x.rates.crossSellRate);
  expectClose(actual.refunds.rate, x.rates.refundRate);
  expectClose(
    actual.fulfilment.meanHours,
    x.rates.meanHours === null ? null : Math.round(x.rates.meanHours * 100) / 100,
    2,
  );
}

// ---------------------------------------------------------------------------------------------
// setup

const KEY = 'hub_test_kpi_reader_0123456789';
const PARTNER_KEY = 'hub_test_kpi_acme_0123456789ab';
const STOCK_KEY = 'hub_test_stock_only_0123456789';
const ALERTS_KEY = 'hub_kpi_and_stock_read_key_0001';

let tableName: string;
let drop: () => Promise<void>;
let handler: ReturnType<typeof createHandler>;
const sent: { command: string; input: Record<string, any> }[] = [];
/** every command of the whole file, for the check against the deployed role's partitions */
const everySent: { command: string; input: Record<string, any> }[] = [];
let orders: Order[];
/** `${channel}|${hour}` → oversell events attributed there */
const oversellHours = new Map<string, number>();

beforeAll(async () => {
  ({ tableName, drop } = await freshTable('kpiapi'));
  const client = new DynamoDBClient(awsClientConfig(motoEnv()));
  client.middlewareStack.add(
    (next, ctx) => async (args) => {
      sent.push({ command: ctx.commandName ?? '?', input: args.input as Record<string, any> });
      everySent.push({ command: ctx.commandName ?? '?', input: args.input as Record<string, any> });
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  await putApiKey(doc, tableName, KEY, { scopes: ['kpi:read'], partner: null }, fixedClock()());
  await putApiKey(doc, tableName, PARTNER_KEY, { scopes: ['kpi:read'], partner: 'acme' }, fixedClock()());
  await putApiKey(doc, tableName, STOCK_KEY, { scopes: ['stock:read'], partner: null }, fixedClock()());
  await putApiKey(doc, tableName, ALERTS_KEY, { scopes: ['kpi:read', 'stock:read'], partner: null }, fixedClock()());
  for (const [channel, spec] of Object.entries(CHANNELS)) {
    await putChannel(
      doc,
      tableName,
      {
        channel,
        ...(spec.partner ? { partner: spec.partner } : {}),
        ...(channel === 'shop-us' ? { standards: { maxCancellationRate: 0.02, maxMeanFulfilmentHours: 200 } } : {}),
        ...(channel === 'acme-web' ? { standards: { maxCancellationRate: 0.9 } } : {}),
      },
      fixedClock()(),
    );
  }

  // The writes go through the normalizer's own code (applyEvent) on the in-memory TablePort that
  // `npm run bench` cross-checks against moto item for item; its items are then loaded into moto in
  // bulk. This test's subject is the KPI read path, and moto serves one request at a time: applying
  // ~1,000 events there one by one took three minutes of the suite.
  const mem = new MemoryTable();
  // plenty of stock, counted before any order: random orders never oversell
  const stockAt = '2025-01-01T00:00:00.000Z';
  for (const sku of SKUS) {
    await applyEvent(
      mem,
      {
        type: 'StockLevelSet',
        channel: 'wms',
        source: 'test',
        deliveryId: `count-${sku}`,
        occurredAt: stockAt,
        sku,
        locationId: 'WH1',
        quantity: 1_000_000,
        bucket: 'on_hand',
        asOf: stockAt,
      },
      fixedClock(),
    );
  }
  orders = [...generate(200), ...collidingCurrencies()];
  for (const o of orders) for (const e of eventsOf(o)) await applyEvent(mem, e, fixedClock());

  // one scarce SKU: 1 unit, then three single-unit orders one after another — the second takes
  // the balance below zero (one oversell event, in its creation hour); the third keeps it there
  await applyEvent(
    mem,
    {
      type: 'StockLevelSet',
      channel: 'wms',
      source: 'test',
      deliveryId: 'count-scarce',
      occurredAt: stockAt,
      sku: 'SCARCE',
      locationId: 'WH1',
      quantity: 1,
      bucket: 'on_hand',
      asOf: stockAt,
    },
    fixedClock(),
  );
  const scarce: Order[] = [0, 1, 2].map((i) => ({
    channel: 'shop-us',
    id: `scarce-${i}`,
    createdAt: iso(Date.parse('2026-03-08T06:30:00Z') + i * HOUR),
    currency: 'USD',
    lines: [{ lineId: 'L0', sku: 'SCARCE', qty: 1, unitMinor: 2500 }],
    refunds: [],
  }));
  for (const o of scarce) for (const e of eventsOf(o)) await applyEvent(mem, e, fixedClock());
  orders.push(...scarce);
  // the fold function's work: counters and rollups from the stream of order changes
  await foldMemory(mem, { zone: ROLLUP_ZONE, batchSize: 100 });
  const items = mem.items();
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, any>[] | undefined = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const res = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
      pending = res.UnprocessedItems?.[tableName] as Record<string, any>[] | undefined;
    }
  }
  sent.length = 0;
  oversellHours.set(`shop-us|${scarce[1]!.createdAt.slice(0, 13)}`, 1);

  handler = createHandler(() =>
    kpiRuntime({ ...motoEnv(), HUB_TABLE_NAME: tableName, HUB_CHANNEL_CACHE_SECONDS: '0' }, { doc }),
  );
}, 300_000);
afterAll(async () => drop());

async function get(path: string, query: Record<string, string>, key = KEY): Promise<{ status: number; body: any }> {
  const channel = /^\/v1\/kpis\/channels\/(.+)$/.exec(path)?.[1];
  const event = {
    version: '2.0',
    routeKey: channel ? 'GET /v1/kpis/channels/{channel}' : `GET ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { authorization: `Bearer ${key}` },
    queryStringParameters: query,
    ...(channel ? { pathParameters: { channel } } : {}),
    requestContext: { http: { method: 'GET', path }, requestId: 'r' },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const res = (await handler(event, {} as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: res.statusCode ?? 0, body: JSON.parse(res.body || 'null') };
}

// ---------------------------------------------------------------------------------------------

const CASES: Array<{ name: string; tz: string; granularity: Gran; from: string; to: string }> = [
  { name: 'UTC months', tz: 'UTC', granularity: 'month', from: '2025-10-01', to: '2026-04-30' },
  {
    name: 'New York days across the spring DST change',
    tz: 'America/New_York',
    granularity: 'day',
    from: '2026-03-06',
    to: '2026-03-10',
  },
  {
    name: 'New York ISO weeks across the autumn DST change',
    tz: 'America/New_York',
    granularity: 'week',
    from: '2025-10-27',
    to: '2025-11-16',
  },
  {
    name: 'New York months, clipped at both ends',
    tz: 'America/New_York',
    granularity: 'month',
    from: '2026-01-15',
    to: '2026-03-20',
  },
  {
    name: 'Kolkata (+5:30) days around local midnight',
    tz: 'Asia/Kolkata',
    granularity: 'day',
    from: '2026-01-09',
    to: '2026-01-22',
  },
  { name: 'Kolkata quarters', tz: 'Asia/Kolkata', granularity: 'quarter', from: '2025-10-01', to: '2026-03-31' },
];

/** The periods the test expects, by its own calendar: each clipped to the range, with what it is compared with. */
function expectedPeriods(g: Gran, from: string, to: string) {
  const out: { from: string; to: string; previous: { from: string; to: string } }[] = [];
  const next = (s: string): string => {
    if (g === 'day') return dateOfDay(dayNumber(s) + 1);
    if (g === 'week') return dateOfDay(dayNumber(s) + 7);
    const y = Number(s.slice(0, 4));
    const m = Number(s.slice(5, 7)) + (g === 'month' ? 1 : 3);
    return m > 12 ? `${y + 1}-${String(m - 12).padStart(2, '0')}-01` : `${y}-${String(m).padStart(2, '0')}-01`;
  };
  for (let s = startOf(from, g); s <= to; s = next(s)) {
    const end = dateOfDay(dayNumber(next(s)) - 1);
    const pf = s < from ? from : s;
    const pt = end > to ? to : end;
    const days = dayNumber(pt) - dayNumber(pf) + 1;
    let previous: { from: string; to: string };
    if (pf === s && pt === end) {
      // the calendar period before: the one containing the day before s
      previous = { from: startOf(dateOfDay(dayNumber(s) - 1), g), to: dateOfDay(dayNumber(s) - 1) };
    } else previous = { from: dateOfDay(dayNumber(pf) - days), to: dateOfDay(dayNumber(pf) - 1) };
    out.push({ from: pf, to: pt, previous });
  }
  return out;
}

describe('GET /v1/kpis/channels against an independent computation', () => {
  it('generated orders that exercise every edge', () => {
    // a sanity check on the generator itself, so the comparisons below are not vacuous
    const kolkataEdge = orders.filter(
      (o) => o.createdAt.slice(11, 13) === '18' && o.createdAt.slice(0, 7) === '2026-01',
    );
    expect(kolkataEdge.length).toBeGreaterThan(3);
    expect(orders.filter((o) => o.cancel === 'whole').length).toBeGreaterThan(5);
    expect(orders.filter((o) => Array.isArray(o.cancel)).length).toBeGreaterThan(3);
    expect(orders.filter((o) => o.refunds.length > 1).length).toBeGreaterThan(0);
    expect(new Set(orders.filter((o) => o.channel === 'shop-eu').map((o) => o.currency))).toEqual(
      new Set(['EUR', 'GBP']),
    );
  });

  for (const c of CASES) {
    it(`matches for ${c.name}`, async () => {
      // Act
      const { status, body } = await get('/v1/kpis/channels', {
        from: c.from,
        to: c.to,
        granularity: c.granularity,
        tz: c.tz,
      });

      // Assess
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.timeZone).toBe(c.tz);
      expect(body.channels.map((ch: any) => ch.channel)).toEqual(['acme-web', 'amazon', 'shop-eu', 'shop-us']);
      const periods = expectedPeriods(c.granularity, c.from, c.to);
      const allRevenue = (from: string, to: string) => {
        const sum: Record<string, number> = {};
        for (const ch of Object.keys(CHANNELS))
          for (const [cur, v] of Object.entries(expectedOf(orders, oversellHours, ch, c.tz, from, to).revenue))
            sum[cur] = (sum[cur] ?? 0) + v;
        return sum;
      };
      for (const ch of body.channels) {
        const total = expectedOf(orders, oversellHours, ch.channel, c.tz, c.from, c.to);
        compare(ch.total, total, `${ch.channel} total`);
        expect(ch.periods.map((p: any) => [p.from, p.to, p.growth.previous])).toEqual(
          periods.map((p) => [p.from, p.to, p.previous]),
        );
        ch.periods.forEach((p: any, i: number) => {
          const span = periods[i]!;
          const e = expectedOf(orders, oversellHours, ch.channel, c.tz, span.from, span.to);
          compare(p, e, `${ch.channel} ${p.label}`);
          const prev = expectedOf(orders, oversellHours, ch.channel, c.tz, span.previous.from, span.previous.to);
          expectClose(p.growth.orders, prev.orders ? (e.orders - prev.orders) / prev.orders : null);
          for (const cur of Object.keys(p.growth.grossRevenue)) {
            const pr = prev.revenue[cur] ?? 0;
            expectClose(p.growth.grossRevenue[cur], pr ? ((e.revenue[cur] ?? 0) - pr) / pr : null);
          }
          const all = allRevenue(span.from, span.to);
          for (const cur of Object.keys(e.revenue)) expectClose(p.revenueShare[cur], e.revenue[cur]! / all[cur]!);
        });
      }
    });
  }

  it('saw the edges: the DST day has orders, two currencies in one hour keep their AOVs, an oversell was counted', async () => {
    const { body } = await get('/v1/kpis/channels', {
      from: '2026-02-10',
      to: '2026-02-10',
      granularity: 'day',
      tz: 'UTC',
    });
    const eu = body.channels.find((c: any) => c.channel === 'shop-eu');
    const day = expectedOf(orders, oversellHours, 'shop-eu', 'UTC', '2026-02-10', '2026-02-10');
    expect(Object.keys(day.revenue).sort()).toEqual(['EUR', 'GBP']);
    expect(eu.periods[0].averageOrderValue).toEqual(expectedAnswer(day).averageOrderValue);
    expect(eu.periods[0].averageOrderValue.GBP).not.toBeNull();
  });

  it('counted the oversell in its month', async () => {
    const { body } = await get('/v1/kpis/channels', {
      from: '2026-02-01',
      to: '2026-03-31',
      granularity: 'month',
      tz: 'America/New_York',
    });
    const us = body.channels.find((c: any) => c.channel === 'shop-us');
    expect(us.periods[1].oversells).toBe(1);
  });

  it('marks channels below their standards with the failing measures', async () => {
    // Act
    const { body } = await get('/v1/kpis/channels', {
      from: '2025-10-01',
      to: '2026-04-30',
      granularity: 'month',
      tz: 'UTC',
    });

    // Assess
    const byName = Object.fromEntries(body.channels.map((c: any) => [c.channel, c]));
    const us = expectedOf(orders, oversellHours, 'shop-us', 'UTC', '2025-10-01', '2026-04-30');
    expect(us.cancelled / us.orders).toBeGreaterThan(0.02);
    expect(byName['shop-us'].standards.status).toBe('below');
    expect(byName['shop-us'].standards.failing.map((f: any) => f.measure)).toEqual(['maxCancellationRate']);
    expect(byName['shop-us'].standards.failing[0].actual).toBeCloseTo(us.cancelled / us.orders, 5);
    expect(byName['acme-web'].standards.status).toBe('meets');
    expect(byName.amazon.standards).toBeNull();
  });

  it('reads hour counters for a zone without rollups: one query per (channel, UTC month), never orders', async () => {
    // Prepare
    sent.length = 0;

    // Act: 365 days in UTC = the year plus the year before for growth: 24 months
    const { status } = await get('/v1/kpis/channels', {
      from: '2025-05-01',
      to: '2026-04-30',
      granularity: 'quarter',
      tz: 'UTC',
    });

    // Assess
    expect(status).toBe(200);
    const all = sent.filter((s) => s.command === 'QueryCommand' && !s.input.IndexName);
    // besides the counters, one query per channel for its partner-reported figures (FIG#…)
    const figures = all.filter((q) => String(q.input.ExpressionAttributeValues[':pk']).startsWith('FIG#'));
    const queries = all.filter((q) => !figures.includes(q));
    expect(sent.filter((s) => s.command === 'ScanCommand')).toEqual([]);
    expect(figures).toHaveLength(4);
    expect(queries.every((q) => String(q.input.ExpressionAttributeValues[':pk']).startsWith('KPI#'))).toBe(true);
    expect(queries).toHaveLength(4 * 24);
  });

  it('reads day and month rollups in the rollup zone: a year is a few queries per channel', async () => {
    // Prepare
    sent.length = 0;

    // Act: the same year, in the rollup zone; the previous 365 days end mid-month (2025 is no leap year)
    const { status } = await get('/v1/kpis/channels', {
      from: '2025-05-01',
      to: '2026-04-30',
      granularity: 'quarter',
      tz: ROLLUP_ZONE,
    });

    // Assess: per channel one query for every month, one for the loose days of the previous span
    expect(status).toBe(200);
    const all = sent.filter((s) => s.command === 'QueryCommand' && !s.input.IndexName);
    const queries = all.filter((q) => !String(q.input.ExpressionAttributeValues[':pk']).startsWith('FIG#'));
    expect(all.length - queries.length).toBe(4);
    const pks = queries.map((q) => String(q.input.ExpressionAttributeValues[':pk']));
    expect(pks.every((pk) => pk.startsWith('KPIM#') || pk.startsWith('KPID#'))).toBe(true);
    expect(pks.filter((pk) => pk.startsWith('KPIM#'))).toHaveLength(4);
    expect(queries.length).toBeLessThanOrEqual(4 * 3);
  });
});

describe('GET /v1/kpis/channels/{channel}', () => {
  it('answers one channel with the same measures as the all-channel answer', async () => {
    const q = { from: '2026-01-15', to: '2026-03-20', granularity: 'month', tz: 'America/New_York' };
    const one = await get('/v1/kpis/channels/shop-eu', q);
    const all = await get('/v1/kpis/channels', q);
    expect(one.status).toBe(200);
    const fromAll = all.body.channels.find((c: any) => c.channel === 'shop-eu');
    const strip = (p: any) => ({ ...p, revenueShare: undefined });
    expect(one.body.periods).toEqual(fromAll.periods.map(strip).map((p: any) => JSON.parse(JSON.stringify(p))));
    expect(one.body.total).toEqual(JSON.parse(JSON.stringify(strip(fromAll.total))));
  });
});

describe('access and bad input', () => {
  it('shows a partner key only its channels, with shares among them', async () => {
    const { status, body } = await get(
      '/v1/kpis/channels',
      { from: '2025-10-01', to: '2026-04-30', tz: 'UTC' },
      PARTNER_KEY,
    );
    expect(status).toBe(200);
    expect(body.channels.map((c: any) => c.channel)).toEqual(['acme-web']);
    expect(body.channels[0].total.revenueShare).toEqual({ JPY: 1 });
    expect((await get('/v1/kpis/channels/shop-us', { from: '2025-10-01', to: '2026-04-30' }, PARTNER_KEY)).status).toBe(
      403,
    );
  });

  it('refuses a key without kpi:read (403) and a missing one (401)', async () => {
    expect((await get('/v1/kpis/channels', { from: '2026-01-01', to: '2026-01-31' }, STOCK_KEY)).status).toBe(403);
    expect(
      (await get('/v1/kpis/channels', { from: '2026-01-01', to: '2026-01-31' }, 'hub_unknown_key_0123456789abc'))
        .status,
    ).toBe(401);
  });

  it.each([
    [{ from: '2026-02-01', to: '2026-01-01' }],
    [{ from: '2026-01-01', to: '2026-01-31', granularity: 'hour' }],
    [{ from: '2020-01-01', to: '2026-01-01' }],
    [{ from: '2026-01-01', to: '2026-01-31', tz: 'Nowhere/Land' }],
    [{ from: '2026-01-32', to: '2026-02-01' }],
  ])('answers 400 JSON for %j', async (q) => {
    const { status, body } = await get('/v1/kpis/channels', q);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_query');
  });
});

describe('GET /v1/kpis/stock-alerts', () => {
  it('lists the oversold balance from the balances, not from oversell records', async () => {
    const { status, body } = await get('/v1/kpis/stock-alerts', { threshold: '5' }, ALERTS_KEY);
    expect(status).toBe(200);
    // SCARCE: 1 on hand, 3 reserved
    expect(body.oversold).toEqual([
      expect.objectContaining({ sku: 'SCARCE', location: 'WH1', onHand: 1, reserved: 3, available: -2 }),
    ]);
    expect(body.lowStock).toEqual([]);
  });

  it('refuses a key with kpi:read alone (403, JSON error): balances need stock:read, as on /v1/stock', async () => {
    // Act
    const { status, body } = await get('/v1/kpis/stock-alerts', { threshold: '1000000' });
    // Assess
    expect(status).toBe(403);
    expect(body).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('stock:read') } });
  });
});

describe('the deployed kpi role', () => {
  it('allows every table partition the requests above read (its dynamodb:LeadingKeys list)', () => {
    // Prepare: the partition keys of every table read the file's requests made (index reads aside)
    const pkOf = (c: { command: string; input: Record<string, any> }): string[] => {
      if (c.command === 'GetItemCommand') return [c.input.Key.pk];
      if (c.command === 'QueryCommand') {
        const name = /^pk = (:\w+)/.exec(c.input.KeyConditionExpression)?.[1];
        return [name ? c.input.ExpressionAttributeValues[name] : `<unparsed ${c.input.KeyConditionExpression}>`];
      }
      if (c.command === 'BatchGetItemCommand')
        return Object.values(c.input.RequestItems as Record<string, { Keys: Array<{ pk: string }> }>).flatMap((r) =>
          r.Keys.map((k) => k.pk),
        );
      return [`<${c.command}>`];
    };
    // the file's own seeding writes go through the same client; the kpi role may not write at all
    const reads = ['GetItemCommand', 'QueryCommand', 'BatchGetItemCommand', 'ScanCommand'];
    const tableReads = everySent.filter((c) => reads.includes(c.command) && !c.input.IndexName);
    const pks = [...new Set(tableReads.flatMap(pkOf))];
    // Act
    const patterns = KPI_TABLE_PARTITIONS.map((p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`));
    const refused = pks.filter((pk) => !patterns.some((p) => p.test(pk)));
    // Assess: the check saw the API-key, channel, counter and zone reads, and all are allowed
    expect(pks.some((pk) => pk.startsWith('KEY#'))).toBe(true);
    expect(pks.some((pk) => pk.startsWith('KPI#'))).toBe(true);
    expect(pks).toContain('KPIZONE');
    expect(refused).toEqual([]);
  });
});
