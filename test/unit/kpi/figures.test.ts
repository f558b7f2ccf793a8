import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord } from '#shared/aws/api-keys.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import {
  contentHashOf,
  economicsOf,
  figureSumsOf,
  partnerRetentionOf,
  postFigures,
  type FigureEntry,
  type FiguresPort,
  type PutOutcome,
  type StoredFigure,
} from '#shared/kpi/figures.ts';
import { emptySums, type Sums } from '#shared/kpi/measures.ts';
import { evaluateStandards } from '#shared/kpi/standards.ts';
import { Rng } from '../../../bench/prng.ts';
import { fixedClock } from '../../support/clock.ts';

/** Formats integer cents in the test's own way (two decimals), independent of shared/domain/money.ts. */
const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

/** An in-memory figures port with the repository's rules: unchanged, corrected, history kept. */
function memoryFigures(): FiguresPort & { versions: Map<string, StoredFigure[]> } {
  const current = new Map<string, StoredFigure>();
  const versions = new Map<string, StoredFigure[]>();
  return {
    versions,
    async entries(channel) {
      return [...current.entries()].filter(([k]) => k.startsWith(`${channel}|`)).map(([, v]) => v);
    },
    async history(channel, key) {
      return versions.get(`${channel}|${key}`) ?? [];
    },
    async put(channel, figure): Promise<PutOutcome> {
      const k = `${channel}|${figure.entry.key}`;
      const cur = current.get(k);
      if (cur?.contentHash === figure.contentHash) return 'unchanged';
      const stored = { ...figure, version: (cur?.version ?? 0) + 1 };
      current.set(k, stored);
      versions.set(k, [...(versions.get(k) ?? []), stored]);
      return cur ? 'corrected' : 'created';
    },
  };
}

const channels: ChannelConfig[] = [
  { channel: 'web', allocation: {} },
  { channel: 'acme-shop', partner: 'acme', allocation: {} },
];
const hubWriter: ApiKeyRecord = {
  keyHash: 'a'.repeat(64),
  scopes: ['kpi:write'],
  partner: null,
  createdAt: '2026-01-01T00:00:00Z',
};
const acmeWriter: ApiKeyRecord = { ...hubWriter, keyHash: 'b'.repeat(64), partner: 'acme' };
const reader: ApiKeyRecord = { ...hubWriter, scopes: ['kpi:read'] };

describe('POST /v1/channels/{channel}/figures', () => {
  const deps = () => ({ figures: memoryFigures(), channels: { list: async () => channels }, now: fixedClock() });
  const spend = (key: string, amount: string): FigureEntry => ({
    key,
    date: '2026-03-01',
    kind: 'marketingSpend',
    currency: 'USD',
    amount,
  });

  it('stores an entry once, replaces it on correction, and keeps every version with who and when', async () => {
    // Prepare
    const d = deps();
    // Act
    const first = await postFigures(d, acmeWriter, 'acme-shop', { entries: [spend('m-2026-03', '100.00')] });
    const again = await postFigures(d, acmeWriter, 'acme-shop', { entries: [spend('m-2026-03', '100.00')] });
    const fixed = await postFigures(d, acmeWriter, 'acme-shop', { entries: [spend('m-2026-03', '120.00')] });
    // Assess
    expect([first, again, fixed].map((r) => r.results[0]!.outcome)).toEqual(['created', 'unchanged', 'corrected']);
    const now = await d.figures.entries('acme-shop');
    expect(now.map((s) => s.entry)).toEqual([spend('m-2026-03', '120.00')]);
    const history = await d.figures.history('acme-shop', 'm-2026-03');
    expect(history.map((h) => [h.version, (h.entry as { amount: string }).amount, h.sentBy, h.receivedAt])).toEqual([
      [1, '100.00', { partner: 'acme', keyId: 'bbbbbbbbbbbb' }, '2026-09-15T12:00:00.000Z'],
      [2, '120.00', { partner: 'acme', keyId: 'bbbbbbbbbbbb' }, '2026-09-15T12:00:00.000Z'],
    ]);
  });

  it('lets a partner key report only its own channels, and needs kpi:write', async () => {
    const d = deps();
    const body = { entries: [spend('k', '1.00')] };
    await expect(postFigures(d, acmeWriter, 'web', body)).rejects.toMatchObject({ statusCode: 403 });
    await expect(postFigures(d, reader, 'acme-shop', body)).rejects.toMatchObject({ statusCode: 403 });
    await expect(postFigures(d, hubWriter, 'web', body)).resolves.toMatchObject({ channel: 'web' });
  });

  it.each([
    ['a number amount (money is a decimal string)', { entries: [{ ...spend('k', '1'), amount: 1 }] }],
    ['an unknown kind', { entries: [{ ...spend('k', '1'), kind: 'bribes' }] }],
    ['a date that is not a calendar date', { entries: [{ ...spend('k', '1'), date: '2026-02-30' }] }],
    ['a key with a separator', { entries: [spend('a#b', '1')] }],
    ['one key twice', { entries: [spend('k', '1'), spend('k', '2')] }],
    [
      'a satisfaction score above 100',
      { entries: [{ key: 's', date: '2026-03-01', kind: 'satisfaction', score: 101, responses: 3 }] },
    ],
    ['no entries', { entries: [] }],
  ])('answers 400 for %s', async (_, body) => {
    const err = await postFigures(deps(), hubWriter, 'web', body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).statusCode).toBe(400);
  });

  it('hashes entries independently of field order', () => {
    const a = spend('k', '1.00');
    const b = { amount: '1.00', currency: 'USD', kind: 'marketingSpend', date: '2026-03-01', key: 'k' } as FigureEntry;
    expect(contentHashOf(a)).toBe(contentHashOf(b));
  });
});

describe('channel economics against an independent computation', () => {
  it('matches spend, return on spend, cost per order, satisfaction and pipeline over random entries', () => {
    const rng = new Rng(20261202);
    for (let round = 0; round < 50; round++) {
      // Prepare: random entries in March and April, random orders for the span
      const entries: FigureEntry[] = [];
      const spendCents: Record<string, number> = {};
      let weighted = 0;
      let responses = 0;
      const pipe = new Map<string, { date: string; key: string; cents: number; opp: number }>();
      const span = { from: '2026-03-01', to: '2026-03-31' };
      for (let i = 0; i < rng.int(0, 12); i++) {
        const date = `2026-0${rng.int(3, 4)}-${String(rng.int(1, 28)).padStart(2, '0')}`;
        const inSpan = date <= span.to;
        const key = `e${i}`;
        const r = rng.int(0, 4);
        if (r <= 2) {
          const kind = (['marketingSpend', 'acquisitionCost', 'onboardingCost'] as const)[r]!;
          const currency = rng.int(0, 1) ? 'USD' : 'EUR';
          const c = rng.int(0, 500_000);
          entries.push({ key, date, kind, currency, amount: cents(c) });
          if (inSpan) spendCents[currency] = (spendCents[currency] ?? 0) + c;
        } else if (r === 3) {
          const score = rng.int(0, 100);
          const n = rng.int(1, 50);
          entries.push({ key, date, kind: 'satisfaction', score, responses: n });
          if (inSpan) {
            weighted += score * n;
            responses += n;
          }
        } else {
          const quarter = `2026-Q${rng.int(2, 3)}`;
          const c = rng.int(0, 9_000_000);
          const opp = rng.int(0, 40);
          entries.push({ key, date, kind: 'pipeline', quarter, currency: 'USD', amount: cents(c), opportunities: opp });
          const prev = pipe.get(quarter);
          if (inSpan && (!prev || date > prev.date || (date === prev.date && key > prev.key)))
            pipe.set(quarter, { date, key, cents: c, opp });
        }
      }
      const orders: Sums = {
        ...emptySums(),
        orders: rng.int(0, 300),
        revenue: { USD: rng.int(0, 10_000_000), EUR: rng.int(0, 1_000_000) },
      };
      orders.cancelled = rng.int(0, orders.orders);
      const kept = orders.orders - orders.cancelled;

      // Act
      const e = economicsOf(orders, figureSumsOf(entries, span));

      // Assess
      for (const cur of Object.keys(spendCents)) {
        expect(e.spend.total[cur]).toBe(cents(spendCents[cur]!));
        if (spendCents[cur]! > 0) expect(e.returnOnSpend[cur]).toBeCloseTo(orders.revenue[cur]! / spendCents[cur]!, 5);
        else expect(e.returnOnSpend[cur]).toBeUndefined();
        expect(e.costPerOrder[cur]).toBe(kept > 0 ? cents(Math.round(spendCents[cur]! / kept)) : null);
      }
      expect(Object.keys(e.spend.total).sort()).toEqual(Object.keys(spendCents).sort());
      expect(e.satisfaction).toEqual({
        score: responses > 0 ? Math.round((weighted / responses) * 100) / 100 : null,
        responses,
      });
      expect(e.pipeline).toEqual(
        [...pipe.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([quarter, p]) => ({
            quarter,
            value: { USD: cents(p.cents) },
            opportunities: p.opp,
            reportedOn: p.date,
          })),
      );
    }
  });

  it('counts partner retention by partner, across its channels, leaving the merchant’s own out', () => {
    const rng = new Rng(7);
    for (let round = 0; round < 50; round++) {
      const rows = Array.from({ length: rng.int(0, 10) }, () => ({
        partner: rng.int(0, 4) === 0 ? null : `p${rng.int(0, 4)}`,
        orders: rng.int(0, 2),
        previousOrders: rng.int(0, 2),
      }));
      // independent: per partner, any channel active before / now
      const partners = [...new Set(rows.map((r) => r.partner).filter((p): p is string => p !== null))];
      const was = partners.filter((p) => rows.some((r) => r.partner === p && r.previousOrders > 0));
      const kept = was.filter((p) => rows.some((r) => r.partner === p && r.orders > 0));
      expect(partnerRetentionOf(rows)).toEqual({
        previous: was.length,
        retained: kept.length,
        rate: was.length ? Math.round((kept.length / was.length) * 1e6) / 1e6 : null,
      });
    }
  });
});

describe('standards on the new measures', () => {
  const month = (label: string, orders: number) => ({ label, sums: { ...emptySums(), orders } });
  const entries: FigureEntry[] = [
    { key: 'm', date: '2026-03-02', kind: 'marketingSpend', currency: 'USD', amount: '1000.00' },
    { key: 's', date: '2026-03-02', kind: 'satisfaction', score: 70, responses: 10 },
    { key: 's2', date: '2026-03-03', kind: 'satisfaction', score: 90, responses: 30 },
  ];
  const figures = figureSumsOf(entries, { from: '2026-03-01', to: '2026-03-31' });

  it('meets return on spend and satisfaction exactly at the threshold', () => {
    const total = { ...emptySums(), orders: 5, revenue: { USD: 400_000 } };
    const r = evaluateStandards({ minReturnOnSpend: 4, minSatisfaction: 85 }, { total, months: [], figures });
    expect(r).toEqual({ status: 'meets', failing: [], notEvaluated: [] });
  });

  it('fails return on spend per currency, satisfaction, and month-over-month partner retention', () => {
    const total = { ...emptySums(), orders: 5, revenue: { USD: 399_999 } };
    const months = [month('2026-01', 3), month('2026-02', 0), month('2026-03', 2), month('2026-04', 1)];
    const r = evaluateStandards(
      { minReturnOnSpend: 4, minSatisfaction: 86, minPartnerRetention: 0.9 },
      { total, months, figures },
    );
    expect(r).toEqual({
      status: 'below',
      notEvaluated: [],
      failing: [
        { measure: 'minReturnOnSpend', threshold: 4, actual: 3.99999, currency: 'USD' },
        { measure: 'minSatisfaction', threshold: 86, actual: 85 },
        // months after a month with orders: Feb (lost), Apr (kept) → 1 of 2
        { measure: 'minPartnerRetention', threshold: 0.9, actual: 0.5 },
      ],
    });
  });

  it('does not evaluate them without spend, responses or a month with orders before another', () => {
    const r = evaluateStandards(
      { minReturnOnSpend: 1, minSatisfaction: 1, minPartnerRetention: 1 },
      { total: emptySums(), months: [month('2026-01', 0), month('2026-02', 4)] },
    );
    expect(r).toEqual({
      status: 'meets',
      failing: [],
      notEvaluated: ['minReturnOnSpend', 'minSatisfaction', 'minPartnerRetention'],
    });
  });
});
