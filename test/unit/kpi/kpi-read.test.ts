import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import { applyKpiFold } from '#shared/stream/fold-apply.ts';
import { hourCountersBetween } from '#shared/kpi/fold.ts';
import type { StreamChange } from '#shared/stream/watermarks.ts';
import { readChannelSeries, readChannelsKpis } from '#shared/kpi/answer.ts';
import { monthSlices } from '#shared/kpi/counters-read.ts';
import type { KpiCounterQuery, KpiDeps } from '#shared/kpi/ports.ts';
import { readStockAlerts, type StockAlertRow } from '#shared/inventory/stock-alerts.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { TEST_NOW } from '../../support/clock.ts';

const hubKey: ApiKeyRecord = { keyHash: 'h', scopes: ['kpi:read'], partner: null, createdAt: '2026-01-01T00:00:00Z' };
const acmeKey: ApiKeyRecord = { ...hubKey, partner: 'acme' };
// stock alerts list balances, which only stock:read may read
const alertsKey: ApiKeyRecord = { ...hubKey, scopes: ['kpi:read', 'stock:read'] };

const channels: ChannelConfig[] = [
  { channel: 'web', allocation: {} },
  { channel: 'acme-shop', partner: 'acme', allocation: {}, standards: { maxCancellationRate: 0.1 } },
];

/** In-memory counters: items keyed like the table, answering the port's range queries. */
function deps(
  items: Record<string, unknown>[] = [],
  balances: StockAlertRow[] = [],
): KpiDeps & { queries: KpiCounterQuery[] } {
  const queries: KpiCounterQuery[] = [];
  return {
    queries,
    kpi: {
      shards: 4,
      async counters(q) {
        queries.push(q);
        return items.filter(
          (it) =>
            it.channel === q.channel &&
            it.shard === q.shard &&
            String(it.hour) >= q.fromHour &&
            String(it.hour) <= q.toHour,
        );
      },
    },
    channels: { list: async () => channels },
    stockAlerts: {
      lowBalances: async ({ threshold }) => ({
        rows: balances.filter((b) => b.available <= threshold),
        truncated: false,
      }),
      balancesOf: async (sku) => balances.filter((b) => b.sku === sku),
    },
  };
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return err instanceof HttpError ? err.statusCode : 500;
  }
}

describe('KPI query validation', () => {
  it.each([
    ['from after to', { from: '2026-02-01', to: '2026-01-31' }],
    ['unknown granularity', { from: '2026-01-01', to: '2026-01-31', granularity: 'fortnight' }],
    ['more than 5 years', { from: '2021-01-01', to: '2026-01-01' }],
    ['a bad time zone', { from: '2026-01-01', to: '2026-01-31', tz: 'Mars/Olympus' }],
    ['a bad date', { from: '2026-02-30', to: '2026-03-31' }],
    ['a missing date', { to: '2026-03-31' }],
  ])('answers 400 for %s', async (_name, query) => {
    expect(await status(readChannelsKpis(deps(), hubKey, query))).toBe(400);
  });

  it.each([
    ['from=1970-01-01 (its growth period lies before 1970)', { from: '1970-01-01', to: '1970-12-31' }],
    ['to=2199-12-31 (the period after it lies past 2199)', { from: '2199-01-01', to: '2199-12-31' }],
    ['from=1999-12-31', { from: '1999-12-31', to: '2000-01-31', granularity: 'day' }],
    ['to=2100-01-01', { from: '2099-12-01', to: '2100-01-01', granularity: 'day' }],
  ])('answers 400 invalid_query naming the supported range for %s, on both KPI routes', async (_name, query) => {
    // Act
    const all = await readChannelsKpis(deps(), hubKey, { granularity: 'year', ...query }).catch((e: unknown) => e);
    const one = await readChannelSeries(deps(), hubKey, 'web', { granularity: 'year', ...query }).catch(
      (e: unknown) => e,
    );
    // Assess
    for (const err of [all, one]) {
      expect(err).toBeInstanceOf(HttpError);
      expect(err).toMatchObject({ statusCode: 400, code: 'invalid_query' });
      expect(JSON.stringify((err as HttpError).details ?? '') + (err as HttpError).message).toContain('2000-01-01');
    }
  });

  it('accepts the first and last supported dates, with every granularity', async () => {
    for (const granularity of ['day', 'week', 'month', 'quarter', 'year']) {
      expect(
        await status(readChannelsKpis(deps(), hubKey, { from: '2000-01-01', to: '2000-03-31', granularity })),
        granularity,
      ).toBe(200);
      expect(
        await status(readChannelsKpis(deps(), hubKey, { from: '2099-10-01', to: '2099-12-31', granularity })),
        granularity,
      ).toBe(200);
    }
  });

  it('accepts exactly 5 years', async () => {
    expect(
      await status(readChannelsKpis(deps(), hubKey, { from: '2021-01-01', to: '2025-12-31', granularity: 'year' })),
    ).toBe(200);
  });

  it('refuses an answer too large for Lambda (5 years of days for several channels)', async () => {
    const d = deps();
    d.channels = { list: async () => Array.from({ length: 5 }, (_, i) => ({ channel: `c${i}`, allocation: {} })) };
    expect(
      await status(readChannelsKpis(d, hubKey, { from: '2021-01-01', to: '2025-12-31', granularity: 'day' })),
    ).toBe(400);
  });
});

describe('KPI reads', () => {
  it('reads a 365-day range with one query per (UTC month, shard) of the range and the year before it, whatever the volume', async () => {
    // Prepare
    const d = deps();

    // Act
    await readChannelSeries(d, hubKey, 'web', { from: '2026-01-01', to: '2026-12-31', granularity: 'month' });

    // Assess: 2025-01-01 .. 2026-12-31 in UTC = 24 months × 4 shards
    expect(d.queries).toHaveLength(96);
    expect(new Set(d.queries.map((q) => `${q.month}#${q.shard}`)).size).toBe(96);
  });

  it('clips the first and last month partitions to the hours needed', () => {
    expect(monthSlices(Date.parse('2026-01-31T05:00:00Z'), Date.parse('2026-03-01T05:00:00Z'))).toEqual([
      { month: '2026-01', fromHour: '2026-01-31T05', toHour: '2026-01-31T23' },
      { month: '2026-02', fromHour: '2026-02-01T00', toHour: '2026-02-28T23' },
      { month: '2026-03', fromHour: '2026-03-01T00', toHour: '2026-03-01T04' },
    ]);
  });

  it('shows a partner key its own channels only, and refuses others by name', async () => {
    const d = deps();
    const answer = await readChannelsKpis(d, acmeKey, { from: '2026-01-01', to: '2026-01-31' });
    expect(answer.channels.map((c) => c.channel)).toEqual(['acme-shop']);
    expect(answer.channels[0]!.standards).toEqual({
      status: 'meets',
      failing: [],
      notEvaluated: ['maxCancellationRate'],
    });
    expect(await status(readChannelSeries(d, acmeKey, 'web', { from: '2026-01-01', to: '2026-01-31' }))).toBe(403);
    expect(await status(readChannelsKpis(d, acmeKey, { from: '2026-01-01', to: '2026-01-31', channels: 'web' }))).toBe(
      403,
    );
  });

  it('answers a hub-wide key for a channel it names that has counters but no configuration', async () => {
    // Prepare: "pos" has an order counted, and neither a configuration nor a connection listed
    const d = deps([{ channel: 'pos', shard: 0, hour: '2026-01-05T10', orders: 1, revenue_USD: 1500 }]);

    // Act
    const answer = await readChannelsKpis(d, hubKey, { from: '2026-01-01', to: '2026-01-31', channels: 'pos,web' });

    // Assess
    expect(answer.channels.map((c) => c.channel)).toEqual(['pos', 'web']);
    expect(answer.channels[0]).toMatchObject({
      channel: 'pos',
      partner: null,
      total: { orders: 1, grossRevenue: { USD: '15.00' } },
    });
    expect(await status(readChannelsKpis(d, acmeKey, { from: '2026-01-01', to: '2026-01-31', channels: 'pos' }))).toBe(
      403,
    );
  });

  it('sums every shard of an hour into its period and compares with the previous one', async () => {
    // Prepare
    const d = deps([
      { channel: 'web', shard: 0, hour: '2026-02-03T10', orders: 2, revenue_USD: 3000, priced_USD: 2 },
      { channel: 'web', shard: 3, hour: '2026-02-03T10', orders: 1, revenue_USD: 1000, priced_USD: 1 },
      { channel: 'web', shard: 1, hour: '2026-01-10T00', orders: 1, revenue_USD: 2000, priced_USD: 1 },
    ]);

    // Act
    const a = await readChannelSeries(d, hubKey, 'web', { from: '2026-02-01', to: '2026-02-28', granularity: 'month' });

    // Assess
    expect(a.periods).toHaveLength(1);
    expect(a.periods[0]).toMatchObject({
      label: '2026-02',
      orders: 3,
      grossRevenue: { USD: '40.00' },
      averageOrderValue: { USD: '13.33' },
    });
    expect(a.periods[0]!.growth).toEqual({
      previous: { from: '2026-01-01', to: '2026-01-31' },
      orders: 2,
      unitsSold: null,
      grossRevenue: { USD: 1 },
    });
  });

  it("compares a quarter's total with the quarter before, not with the 90 days before it", async () => {
    // Prepare: 2 October is in Q4 but more than 90 days before 1 January
    const d = deps([
      { channel: 'web', shard: 0, hour: '2026-02-03T10', orders: 4, revenue_USD: 4000 },
      { channel: 'web', shard: 0, hour: '2025-10-02T10', orders: 1, revenue_USD: 1000 },
      { channel: 'web', shard: 0, hour: '2025-12-20T10', orders: 1, revenue_USD: 1000 },
    ]);

    // Act
    const a = await readChannelSeries(d, hubKey, 'web', { from: '2026-01-01', to: '2026-03-31', granularity: 'month' });

    // Assess
    expect(a.total.growth).toEqual({
      previous: { from: '2025-10-01', to: '2025-12-31' },
      orders: 1,
      unitsSold: null,
      grossRevenue: { USD: 1 },
    });
  });
});

describe('KPI reads from rollups', () => {
  /** Orders spread over two years, folded by the fold's own code into hour counters and UTC rollups. */
  async function folded(): Promise<MemoryTable> {
    const t = new MemoryTable();
    const changes: StreamChange[] = [];
    for (let i = 0; i < 400; i++) {
      const createdAt = new Date(Date.UTC(2025, 0, 1) + i * 129_600_000 + (i % 7) * 3_600_000).toISOString();
      const channel = i % 3 === 0 ? 'acme-shop' : 'web';
      changes.push({
        seq: String(i + 1),
        newImage: {
          pk: `ORDER#${channel}#o${i}`,
          sk: 'META',
          type: 'order',
          channel,
          orderId: `o${i}`,
          refunds: {},
          ...(i % 11 === 0 ? { cancel: { at: createdAt } } : {}),
          state: {
            status: i % 4 === 0 ? 'fulfilled' : 'paid',
            rawStatus: {},
            createdAt,
            version: { at: createdAt },
            currency: i % 5 === 0 ? 'EUR' : 'USD',
            lines: [{ lineId: 'l', sku: 'A', qty: 1 + (i % 3), unitMinor: 250 + i, location: 'WH1' }],
          },
        },
      });
    }
    await applyKpiFold(t, 'shardId-00000001763900000000-00000001', changes, 'UTC', Date.parse(TEST_NOW));
    return t;
  }

  function portOn(t: MemoryTable, zone: string | undefined): KpiDeps & { pks: string[] } {
    const pks: string[] = [];
    const between = (pk: string, a: string, b: string) => {
      pks.push(pk);
      return t.items().filter((it) => it.pk === pk && String(it.sk) >= a && String(it.sk) <= b);
    };
    return {
      pks,
      kpi: {
        shards: 1,
        counters: async (q) =>
          hourCountersBetween(
            between(
              `KPI#${q.channel}#${q.month}#${q.shard}`,
              `H#${q.fromHour.slice(0, 10)}`,
              `H#${q.toHour.slice(0, 10)}~`,
            ),
            q.fromHour,
            q.toHour,
          ),
        rollupZone: async () => zone,
        days: async (q) =>
          between(`KPID#${q.channel}#${q.zone}#${q.fromDay.slice(0, 4)}`, `D#${q.fromDay}`, `D#${q.toDay}`),
        months: async (q) => between(`KPIM#${q.channel}#${q.zone}`, `M#${q.fromMonth}`, `M#${q.toMonth}`),
      },
      channels: { list: async () => channels },
      stockAlerts: { lowBalances: async () => ({ rows: [], truncated: false }), balancesOf: async () => [] },
    };
  }

  for (const [granularity, from, to] of [
    ['month', '2026-01-01', '2026-12-31'],
    ['week', '2025-03-12', '2025-06-02'],
    ['quarter', '2025-02-14', '2026-08-20'],
    ['day', '2025-12-25', '2026-01-05'],
    // a span that ends on the first day of a month after whole months: one loose day at its end
    ['year', '2025-04-01', '2025-07-01'],
  ] as const) {
    it(`answers ${granularity}s ${from}..${to} from rollups exactly as from hour counters`, async () => {
      // Prepare
      const t = await folded();
      const rollups = portOn(t, 'UTC');
      const hours = portOn(t, undefined);

      // Act
      const a = await readChannelsKpis(rollups, hubKey, { from, to, granularity, tz: 'UTC' });
      const b = await readChannelsKpis(hours, hubKey, { from, to, granularity, tz: 'UTC' });

      // Assess
      expect(a.channels.reduce((n, c) => n + c.total.orders, 0)).toBeGreaterThan(0);
      expect(a).toEqual(b);
      expect(rollups.pks.every((pk) => pk.startsWith('KPIM#') || pk.startsWith('KPID#'))).toBe(true);
      expect(hours.pks.every((pk) => pk.startsWith('KPI#'))).toBe(true);
      expect(rollups.pks.length).toBeLessThanOrEqual(hours.pks.length);
    });
  }

  it('reads hour counters for a zone other than the rollup zone', async () => {
    const d = portOn(await folded(), 'UTC');
    await readChannelsKpis(d, hubKey, {
      from: '2026-01-01',
      to: '2026-03-31',
      granularity: 'month',
      tz: 'Europe/Berlin',
    });
    expect(d.pks.every((pk) => pk.startsWith('KPI#'))).toBe(true);
  });
});

describe('stock alerts', () => {
  it('lists oversold balances first (most oversold first), then low stock', async () => {
    const row = (sku: string, available: number): StockAlertRow => ({
      sku,
      location: 'WH',
      onHand: available,
      reserved: 0,
      available,
      updatedAt: '',
    });
    const d = deps([], [row('A', 3), row('B', -2), row('C', -5), row('D', 0), row('E', 9)]);
    const a = await readStockAlerts(d, alertsKey, {});
    expect(a.oversold.map((r) => r.sku)).toEqual(['C', 'B']);
    expect(a.lowStock.map((r) => r.sku)).toEqual(['D', 'A']);
    expect(await status(readStockAlerts(d, alertsKey, { threshold: '-1' }))).toBe(400);
  });

  it('refuses a key without stock:read (403) before reading any balance, as GET /v1/stock does', async () => {
    // Prepare
    let reads = 0;
    const d = deps();
    d.stockAlerts = {
      lowBalances: async () => {
        reads += 1;
        return {
          rows: [{ sku: 'A', location: 'WH', onHand: 7, reserved: 0, available: 7, updatedAt: '' }],
          truncated: false,
        };
      },
      balancesOf: async () => {
        reads += 1;
        return [];
      },
    };
    // Act
    const kpiOnly = await readStockAlerts(d, hubKey, { threshold: '1000000' }).catch((e: unknown) => e);
    const admin = await readStockAlerts(d, { ...hubKey, scopes: ['admin'] }, { threshold: '1000000' });
    // Assess
    expect(kpiOnly).toBeInstanceOf(HttpError);
    expect(kpiOnly).toMatchObject({ statusCode: 403, code: 'forbidden' });
    expect((kpiOnly as HttpError).message).toMatch(/stock:read/);
    expect(admin.lowStock.map((r) => r.sku)).toEqual(['A']);
    expect(reads).toBe(1);
  });

  it('never lists unassigned reservations as a location: a lone location carries them, else the SKU as a whole', async () => {
    // Prepare: LONE is stocked at one location (10) with 12 reserved unassigned; MULTI at two
    // (WH-A 3, WH-B 4) with 5 unassigned; PLENTY at two (50, 50) with 5 unassigned
    const row = (sku: string, location: string, onHand: number, reserved: number): StockAlertRow => ({
      sku,
      location,
      onHand,
      reserved,
      available: onHand - reserved,
      updatedAt: '2026-03-01T00:00:00.000Z',
    });
    const d = deps(
      [],
      [
        row('LONE', 'WH-A', 10, 0),
        row('LONE', '*', 0, 12),
        row('MULTI', 'WH-A', 3, 0),
        row('MULTI', 'WH-B', 4, 0),
        row('MULTI', '*', 0, 5),
        row('PLENTY', 'WH-A', 50, 0),
        row('PLENTY', 'WH-B', 50, 0),
        row('PLENTY', '*', 0, 5),
      ],
    );
    // Act
    const a = await readStockAlerts(d, alertsKey, { threshold: '5' });
    // Assess
    expect(a.oversold).toEqual([
      { sku: 'LONE', location: 'WH-A', onHand: 10, reserved: 12, available: -2, updatedAt: '2026-03-01T00:00:00.000Z' },
    ]);
    expect(a.lowStock.map((r) => [r.sku, r.location, r.available])).toEqual([
      ['MULTI', '*', 2],
      ['MULTI', 'WH-A', 3],
      ['MULTI', 'WH-B', 4],
    ]);
  });
});
