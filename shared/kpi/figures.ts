import { createHash } from 'node:crypto';
import type { ApiKeyRecord } from '#shared/aws/api-keys.ts';
import type { Clock } from '#shared/domain/clock.ts';
import { fromMinor, toMinor } from '#shared/domain/money.ts';
import { canSeeChannel, requireScope } from '#shared/http/auth.ts';
import { parseInput } from '#shared/http/api.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import { divRound, round6, type Sums } from '#shared/kpi/measures.ts';
import type { DateSpan } from '#shared/kpi/periods.ts';
import { COST_KINDS, FiguresBodySchema, type CostKind, type FigureEntry } from '#shared/kpi/figures-schema.ts';

export {
  COST_KINDS,
  FigureEntrySchema,
  FiguresBodySchema,
  MAX_ENTRIES_PER_REQUEST,
  type CostKind,
  type FigureEntry,
} from '#shared/kpi/figures-schema.ts';

/**
 * Partner-reported figures (POST /v1/channels/{channel}/figures): what a channel costs and how its
 * customers and pipeline stand, which orders cannot tell — marketing spend, partner acquisition
 * and onboarding/training costs, pipeline value, customer-satisfaction scores. Each entry is dated
 * and carries an idempotency key: a resend of the same entry changes nothing, a different entry
 * under the same key is a correction that replaces it, and every version is kept with who sent it
 * and when. The KPI answer joins them with the order counters (economicsOf).
 *
 * Entries are few (a partner reports spend monthly or weekly, not per order), so a channel's
 * entries are one Query whatever the order volume; they are summed per period here (pure).
 */

/** An entry as stored: the entry, who sent it and when. */
export interface StoredFigure {
  entry: FigureEntry;
  /** SHA-256 of the entry's canonical JSON: an identical resend is recognised without comparing fields */
  contentHash: string;
  version: number;
  receivedAt: string;
  /** the sending key's partner (null = a hub-wide key) and the first 12 hex digits of its hash */
  sentBy: { partner: string | null; keyId: string };
}

export type PutOutcome = 'created' | 'corrected' | 'unchanged';

export interface FiguresPort {
  /** the current entries of a channel (every key's latest version) */
  entries(channel: string): Promise<StoredFigure[]>;
  /**
   * Stores a version of an entry: unchanged when its hash equals the current one's; otherwise the
   * current entry is replaced and the version kept in the entry's history, atomically.
   */
  put(channel: string, figure: StoredFigure): Promise<PutOutcome>;
  /** every version of one entry, oldest first */
  history(channel: string, key: string): Promise<StoredFigure[]>;
}

export function contentHashOf(entry: FigureEntry): string {
  const sorted = Object.fromEntries(Object.entries(entry).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify(sorted), 'utf8').digest('hex');
}

export interface FiguresDeps {
  figures: FiguresPort;
  channels: ChannelPort;
  now: Clock;
}

export interface FiguresAnswer {
  channel: string;
  results: { key: string; outcome: PutOutcome }[];
}

/** POST /v1/channels/{channel}/figures */
export async function postFigures(
  deps: FiguresDeps,
  key: ApiKeyRecord,
  channel: string,
  body: unknown,
): Promise<FiguresAnswer> {
  requireScope(key, 'kpi:write');
  const config = (await deps.channels.list()).find((c) => c.channel === channel);
  // a partner key writes only its own channels (configured as its partner's, or named on the key)
  if (!canSeeChannel(key, { channel, partner: config?.partner ?? null }))
    throw new HttpError(403, 'forbidden', `this API key may not report figures for channel ${channel}`);
  const { entries } = parseInput(FiguresBodySchema, body, 'invalid_body');
  const receivedAt = deps.now().toISOString();
  const sentBy = { partner: key.partner, keyId: key.keyHash.slice(0, 12) };
  const results: FiguresAnswer['results'] = [];
  // one at a time, in the order sent: a request holds at most 100 entries
  for (const entry of entries) {
    const outcome = await deps.figures.put(channel, {
      entry,
      contentHash: contentHashOf(entry),
      version: 0,
      receivedAt,
      sentBy,
    });
    results.push({ key: entry.key, outcome });
  }
  return { channel, results };
}

// ---------------------------------------------------------------------------------------------
// sums and measures

/** Figures of one span, summed (money in minor units per currency). */
export interface FigureSums {
  cost: Record<CostKind, Record<string, number>>;
  /** per quarter, the latest report dated inside the span: value per currency and opportunities */
  pipeline: Record<string, { value: Record<string, number>; opportunities: number; date: string }>;
  satisfaction: { weightedScore: number; responses: number };
}

export function figureSumsOf(entries: readonly FigureEntry[], span: DateSpan): FigureSums {
  const out: FigureSums = {
    cost: { marketingSpend: {}, acquisitionCost: {}, onboardingCost: {} },
    pipeline: {},
    satisfaction: { weightedScore: 0, responses: 0 },
  };
  // pipeline: the latest report per (quarter, currency); a later date wins, then the larger key
  const latest = new Map<string, Extract<FigureEntry, { kind: 'pipeline' }>>();
  for (const e of entries) {
    if (e.date < span.from || e.date > span.to) continue;
    switch (e.kind) {
      case 'marketingSpend':
      case 'acquisitionCost':
      case 'onboardingCost': {
        const m = out.cost[e.kind];
        m[e.currency] = (m[e.currency] ?? 0) + toMinor(e.amount, e.currency);
        break;
      }
      case 'pipeline': {
        const k = `${e.quarter}|${e.currency}`;
        const prev = latest.get(k);
        if (!prev || e.date > prev.date || (e.date === prev.date && e.key > prev.key)) latest.set(k, e);
        break;
      }
      case 'satisfaction':
        out.satisfaction.weightedScore += e.score * e.responses;
        out.satisfaction.responses += e.responses;
        break;
    }
  }
  for (const e of [...latest.values()].sort((a, b) => (a.quarter < b.quarter ? -1 : a.quarter > b.quarter ? 1 : 0))) {
    const q = (out.pipeline[e.quarter] ??= { value: {}, opportunities: 0, date: e.date });
    q.value[e.currency] = toMinor(e.amount, e.currency);
    q.opportunities += e.opportunities;
    if (e.date > q.date) q.date = e.date;
  }
  return out;
}

/** Total channel spend per currency: marketing + acquisition + onboarding/training. */
export function spendOf(f: FigureSums): Record<string, number> {
  const out: Record<string, number> = {};
  for (const kind of COST_KINDS) for (const [c, v] of Object.entries(f.cost[kind])) out[c] = (out[c] ?? 0) + v;
  return out;
}

function money(m: Record<string, number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of Object.keys(m).sort()) out[c] = fromMinor(m[c]!, c);
  return out;
}

export interface Economics {
  /** partner-reported costs of the period, per currency */
  spend: {
    total: Record<string, string>;
    marketing: Record<string, string>;
    acquisition: Record<string, string>;
    onboarding: Record<string, string>;
  };
  /** gross revenue ÷ spend, per currency with spend (a currency with revenue but no spend is left out) */
  returnOnSpend: Record<string, number>;
  /** spend ÷ orders not cancelled, per currency with spend; null when there were no such orders */
  costPerOrder: Record<string, string | null>;
  /** mean score weighted by responses (0–100); null without responses */
  satisfaction: { score: number | null; responses: number };
  /** per quarter: the latest pipeline reported in the period */
  pipeline: { quarter: string; value: Record<string, string>; opportunities: number; reportedOn: string }[];
}

export function economicsOf(orders: Sums, f: FigureSums): Economics {
  const spend = spendOf(f);
  const kept = orders.orders - orders.cancelled;
  const returnOnSpend: Record<string, number> = {};
  const costPerOrder: Record<string, string | null> = {};
  for (const c of Object.keys(spend).sort()) {
    if (spend[c]! > 0) returnOnSpend[c] = round6((orders.revenue[c] ?? 0) / spend[c]!);
    costPerOrder[c] = kept > 0 ? fromMinor(divRound(spend[c]!, kept), c) : null;
  }
  const s = f.satisfaction;
  return {
    spend: {
      total: money(spend),
      marketing: money(f.cost.marketingSpend),
      acquisition: money(f.cost.acquisitionCost),
      onboarding: money(f.cost.onboardingCost),
    },
    returnOnSpend,
    costPerOrder,
    satisfaction: {
      score: s.responses > 0 ? Math.round((s.weightedScore / s.responses) * 100) / 100 : null,
      responses: s.responses,
    },
    pipeline: Object.entries(f.pipeline).map(([quarter, p]) => ({
      quarter,
      value: money(p.value),
      opportunities: p.opportunities,
      reportedOn: p.date,
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// partner retention

export interface Retention {
  /** partners with orders (on any of their channels in the answer) in the previous period */
  previous: number;
  /** of those, the partners with orders in this period too */
  retained: number;
  /** retained ÷ previous; null when no partner had orders in the previous period */
  rate: number | null;
}

/**
 * Partner retention from the channels' order counts: a partner is active in a period when any of
 * its channels has orders in it. Channels without a partner (the merchant's own) are left out.
 */
export function partnerRetentionOf(
  channels: readonly { partner: string | null; orders: number; previousOrders: number }[],
): Retention {
  const before = new Set<string>();
  const now = new Set<string>();
  for (const c of channels) {
    if (c.partner === null) continue;
    if (c.previousOrders > 0) before.add(c.partner);
    if (c.orders > 0) now.add(c.partner);
  }
  const retained = [...before].filter((p) => now.has(p)).length;
  return { previous: before.size, retained, rate: before.size > 0 ? round6(retained / before.size) : null };
}
