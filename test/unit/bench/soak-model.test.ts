import { describe, expect, it } from 'vitest';
import {
  effectVisible,
  expectedState,
  formatMajor,
  generateStream,
  minorUnits,
  type OrderUpsertedEvent,
  type SoakEvent,
  type TableView,
} from '../../../bench/soak-model.ts';

const T = (hhmm: string) => `2026-03-02T${hhmm}:00.000Z`;

const order = (over: Partial<OrderUpsertedEvent> = {}): OrderUpsertedEvent => ({
  kind: 'order.upserted',
  orderId: 'O1',
  version: 1,
  status: 'paid',
  createdAt: T('10:15'),
  updatedAt: T('10:15'),
  currency: 'EUR',
  location: 'WH-A',
  lines: [
    { lineId: '1', sku: 'A', qty: 2, unitPrice: '10.00' },
    { lineId: '2', sku: 'B', qty: 1, unitPrice: '5.50' },
  ],
  ...over,
});
const count = (sku: string, onHand: number, asOf: string): SoakEvent => ({
  kind: 'stock.set',
  counts: [{ sku, location: 'WH-A', onHand }],
  asOf,
});
const adjust = (sku: string, delta: number, at: string, key: string): SoakEvent => ({
  kind: 'stock.adjusted',
  sku,
  location: 'WH-A',
  delta,
  reason: 'manual',
  key,
  at,
});

describe('money', () => {
  it('converts decimal strings to minor units without floating point', () => {
    expect(minorUnits('12.90', 'EUR')).toBe(1290);
    expect(minorUnits('0.5', 'USD')).toBe(50);
    expect(minorUnits('1500', 'JPY')).toBe(1500);
    expect(minorUnits('-3.07', 'EUR')).toBe(-307);
    expect(formatMajor(1290, 'EUR')).toBe('12.90');
    expect(formatMajor(7, 'USD')).toBe('0.07');
    expect(formatMajor(1500, 'JPY')).toBe('1500');
  });
});

describe('expectedState: stock', () => {
  it('a count is the truth from its asOf; later movements add to it, earlier ones do not', () => {
    const s = expectedState([
      count('A', 100, T('00:00')),
      adjust('A', 5, T('01:00'), 'k1'), // before the recount: inside it
      count('A', 50, T('01:30')),
      adjust('A', -3, T('02:00'), 'k2'), // after: 50 - 3
    ]);
    expect(s.balances.get('A|WH-A')).toEqual({ onHand: 47, reserved: 0, available: 47 });
  });

  it('the newest count wins whatever the order of arrival', () => {
    const a = expectedState([count('A', 50, T('01:30')), count('A', 100, T('00:00')), adjust('A', 2, T('03:00'), 'k')]);
    expect(a.balances.get('A|WH-A')?.onHand).toBe(52);
  });

  it('an open order reserves its lines; available = onHand - reserved', () => {
    const s = expectedState([count('A', 10, T('00:00')), count('B', 4, T('00:00')), order()]);
    expect(s.balances.get('A|WH-A')).toEqual({ onHand: 10, reserved: 2, available: 8 });
    expect(s.balances.get('B|WH-A')).toEqual({ onHand: 4, reserved: 1, available: 3 });
  });

  it('a fulfilled order moves its lines off hand at the fulfilment time and reserves nothing', () => {
    const s = expectedState([
      count('A', 10, T('00:00')),
      order(),
      order({ version: 3, status: 'fulfilled', updatedAt: T('12:00') }),
      order({ version: 2, status: 'processing', updatedAt: T('11:00') }), // stale, arrives last
    ]);
    expect(s.balances.get('A|WH-A')).toEqual({ onHand: 8, reserved: 0, available: 8 });
    expect(s.balances.get('B|WH-A')).toEqual({ onHand: -1, reserved: 0, available: -1 });
  });

  it('a shipment before a recount is inside the recount', () => {
    const s = expectedState([
      count('A', 10, T('00:00')),
      order({ version: 3, status: 'fulfilled', updatedAt: T('12:00'), fulfilledAt: T('11:45') }),
      count('A', 30, T('12:30')),
    ]);
    expect(s.balances.get('A|WH-A')?.onHand).toBe(30);
  });

  it('a cancelled order reserves nothing; a cancelled line is not reserved', () => {
    const whole = expectedState([order(), { kind: 'order.cancelled', orderId: 'O1', cancelledAt: T('10:30') }]);
    expect(whole.balances.get('A|WH-A') ?? { onHand: 0, reserved: 0, available: 0 }).toEqual({
      onHand: 0,
      reserved: 0,
      available: 0,
    });
    const line = expectedState([
      order(),
      { kind: 'order.cancelled', orderId: 'O1', cancelledAt: T('10:30'), lineIds: ['1'] },
    ]);
    expect(line.balances.get('A|WH-A')?.reserved ?? 0).toBe(0);
    expect(line.balances.get('B|WH-A')?.reserved).toBe(1);
  });

  it('a restocking refund moves units back on hand at the refund time', () => {
    const s = expectedState([
      count('A', 10, T('00:00')),
      order({ version: 3, status: 'fulfilled', updatedAt: T('12:00') }),
      {
        kind: 'refund.recorded',
        orderId: 'O1',
        refundId: 'R1',
        amount: '10.00',
        currency: 'EUR',
        processedAt: T('13:00'),
        lines: [{ lineId: '1', sku: 'A', qty: 1, restock: true, location: 'WH-A' }],
      },
      {
        kind: 'refund.recorded',
        orderId: 'O1',
        refundId: 'R2',
        amount: '5.50',
        currency: 'EUR',
        processedAt: T('13:10'),
        lines: [{ lineId: '2', sku: 'B', qty: 1, restock: false, location: 'WH-A' }],
      },
    ]);
    expect(s.balances.get('A|WH-A')?.onHand).toBe(10 - 2 + 1);
    expect(s.balances.get('B|WH-A')?.onHand).toBe(-1);
  });
});

describe('expectedState: KPIs per UTC hour of creation', () => {
  it('an open order: orders, units, multiSku, revenue from the total', () => {
    const s = expectedState([order({ total: '25.00' })]);
    expect(s.kpis.get('2026-03-02T10')).toEqual({ orders: 1, units: 3, multiSku: 1, revenue_EUR: 2500 });
  });

  it('without a total, revenue is the sum of the lines', () => {
    const s = expectedState([order()]);
    expect(s.kpis.get('2026-03-02T10')?.revenue_EUR).toBe(2 * 1000 + 550);
  });

  it('a partly cancelled order: units and revenue of the active lines, even with a total', () => {
    const s = expectedState([
      order({ total: '25.50' }),
      { kind: 'order.cancelled', orderId: 'O1', cancelledAt: T('10:30'), lineIds: ['1'] },
    ]);
    expect(s.kpis.get('2026-03-02T10')).toEqual({ orders: 1, units: 1, revenue_EUR: 550 });
  });

  it('a wholly cancelled order counts as placed and cancelled, with no units or revenue', () => {
    const byEvent = expectedState([order(), { kind: 'order.cancelled', orderId: 'O1', cancelledAt: T('10:30') }]);
    expect(byEvent.kpis.get('2026-03-02T10')).toEqual({ orders: 1, cancelled: 1 });
    const byStatus = expectedState([
      order(),
      order({ version: 2, status: 'cancelled', updatedAt: T('10:40'), cancelledAt: T('10:40') }),
    ]);
    expect(byStatus.kpis.get('2026-03-02T10')).toEqual({ orders: 1, cancelled: 1 });
  });

  it('fulfilment and refunds; repeats count once', () => {
    const f = order({
      version: 3,
      status: 'fulfilled',
      updatedAt: T('12:15'),
      currency: 'USD',
      lines: [{ lineId: '1', sku: 'A', qty: 2, unitPrice: '3.00' }],
    });
    const refund: SoakEvent = {
      kind: 'refund.recorded',
      orderId: 'O1',
      refundId: 'R1',
      amount: '3.00',
      currency: 'USD',
      processedAt: T('13:00'),
      lines: [],
    };
    const s = expectedState([f, f, refund, refund]);
    expect(s.kpis.get('2026-03-02T10')).toEqual({
      orders: 1,
      units: 2,
      revenue_USD: 600,
      fulfilled: 1,
      fulfilSeconds: 2 * 3600,
      refunds: 1,
      refundAmount_USD: 300,
    });
    expect(s.orders.get('O1')).toEqual({
      version: 3,
      status: 'fulfilled',
      cancelledWhole: false,
      cancelledLines: [],
      refundIds: ['R1'],
    });
  });

  it('malformed deliveries change nothing', () => {
    const s = expectedState([{ kind: 'malformed', variant: 'not-json' }]);
    expect(s.balances.size).toBe(0);
    expect(s.kpis.size).toBe(0);
  });
});

describe('generateStream', () => {
  const opts = {
    seed: 9,
    skus: 10,
    locations: 2,
    orders: 60,
    adjustments: 30,
    recounts: 5,
    malformedRate: 0.02,
    duplicateRate: 0.1,
    shuffleWindow: 20,
  };

  it('is a pure function of its options', () => {
    expect(generateStream(opts)).toEqual(generateStream(opts));
    expect(generateStream({ ...opts, seed: 10 })).not.toEqual(generateStream(opts));
  });

  it('sends every delivery at least once, some more than once, with unique webhook ids', () => {
    const { deliveries, sends } = generateStream(opts);
    expect(new Set(sends).size).toBe(deliveries.length);
    expect(sends.length).toBeGreaterThan(deliveries.length);
    expect(new Set(deliveries.map((d) => d.webhookId)).size).toBe(deliveries.length);
    const malformed = deliveries.filter((d) => d.event.kind === 'malformed').length;
    expect(malformed).toBeGreaterThanOrEqual(1);
    expect(malformed / deliveries.length).toBeLessThan(0.05);
  });

  it('shuffles: some order updates are sent before the order is created', () => {
    const { deliveries, sends } = generateStream({ ...opts, orders: 200 });
    const firstSend = new Map<string, number>();
    sends.forEach((i, pos) => {
      const e = deliveries[i]!.event;
      const k = e.kind === 'order.upserted' ? `${e.orderId}#${e.version}` : undefined;
      if (k && !firstSend.has(k)) firstSend.set(k, pos);
    });
    const early = [...firstSend].filter(
      ([k, pos]) => k.endsWith('#2') && pos < (firstSend.get(k.replace('#2', '#1')) ?? -1),
    );
    expect(early.length).toBeGreaterThan(0);
  });

  it('bodies are the hub format', () => {
    const { deliveries } = generateStream(opts);
    const adj = deliveries.find((d) => d.event.kind === 'stock.adjusted')!;
    const body = JSON.parse(adj.body);
    expect(body).toMatchObject({
      type: 'stock.adjusted',
      data: { idempotencyKey: expect.any(String), delta: expect.any(Number) },
    });
    const up = deliveries.find((d) => d.event.kind === 'order.upserted')!;
    expect(JSON.parse(up.body)).toMatchObject({
      type: 'order.upserted',
      data: {
        version: 1,
        lines: expect.arrayContaining([
          expect.objectContaining({ quantity: expect.any(Number), unitPrice: expect.any(String) }),
        ]),
      },
    });
  });
});

describe('effectVisible', () => {
  const view: TableView = {
    countAsOf: new Map([['SKU#A|LOC#WH-A', T('01:30')]]),
    ledger: new Set([`SKU#A|MOVE#WH-A#${T('02:00')}#adj:ch:k2`]),
    orders: new Map([['O1', { seq: 2, cancelWhole: false, cancelLines: ['1'], refundIds: ['R1'] }]]),
  };
  it('reads each kind of effect', () => {
    expect(effectVisible(count('A', 1, T('01:30')), view, 'ch')).toBe(true);
    expect(effectVisible(count('A', 1, T('00:00')), view, 'ch')).toBe(true); // superseded by a newer count
    expect(effectVisible(count('A', 1, T('03:00')), view, 'ch')).toBe(false);
    expect(effectVisible(adjust('A', -3, T('02:00'), 'k2'), view, 'ch')).toBe(true);
    expect(effectVisible(adjust('A', -3, T('02:00'), 'k3'), view, 'ch')).toBe(false);
    expect(effectVisible(order({ version: 1 }), view, 'ch')).toBe(true);
    expect(effectVisible(order({ version: 3 }), view, 'ch')).toBe(false);
    expect(
      effectVisible({ kind: 'order.cancelled', orderId: 'O1', cancelledAt: T('10:30'), lineIds: ['1'] }, view, 'ch'),
    ).toBe(true);
    expect(effectVisible({ kind: 'order.cancelled', orderId: 'O1', cancelledAt: T('10:30') }, view, 'ch')).toBe(false);
    expect(
      effectVisible(
        {
          kind: 'refund.recorded',
          orderId: 'O1',
          refundId: 'R1',
          amount: '1.00',
          currency: 'EUR',
          processedAt: T('13:00'),
          lines: [],
        },
        view,
        'ch',
      ),
    ).toBe(true);
    expect(effectVisible({ kind: 'malformed', variant: 'x' }, view, 'ch')).toBe(false);
  });
});
