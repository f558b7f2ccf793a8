import type { ApiKeyRecord } from '#shared/aws/api-keys.ts';
import { canSeeChannel } from '#shared/http/auth.ts';
import { HttpError } from '#shared/http/errors.ts';
import type { ChannelConfig } from '#shared/inventory/channel-config.ts';
import { figures, mapLimit, plan, type ChannelFigures } from '#shared/kpi/counters-read.ts';
import {
  economicsOf,
  figureSumsOf,
  partnerRetentionOf,
  type Economics,
  type FigureEntry,
  type Retention,
} from '#shared/kpi/figures.ts';
import {
  addInto,
  emptySums,
  growthOf,
  measuresOf,
  revenueShareOf,
  type Growth,
  type Measures,
  type Sums,
} from '#shared/kpi/measures.ts';
import { isTimeZone, type DateSpan, type Granularity } from '#shared/kpi/periods.ts';
import type { KpiDeps } from '#shared/kpi/ports.ts';
import { checkSize, parseKpiQuery } from '#shared/kpi/query.ts';
import { evaluateStandards, type StandardsResult } from '#shared/kpi/standards.ts';

/**
 * The KPI API's answers: channel KPIs per calendar period (GET /v1/kpis/channels) and one
 * channel's time series (GET /v1/kpis/channels/{channel}), shaped from the counter sums that
 * shared/kpi/counters-read.ts reads.
 */

export interface PeriodAnswer extends Measures {
  label?: string;
  from: string;
  to: string;
  complete?: boolean;
  /** share of the period's revenue across the channels in the answer (multi-channel answer only) */
  revenueShare?: Record<string, number>;
  growth: Growth & { previous: DateSpan };
  /** the period's orders joined with the partner-reported figures dated in it (shared/kpi/figures.ts) */
  economics: Economics;
}

export interface ChannelAnswer {
  channel: string;
  partner: string | null;
  total: PeriodAnswer;
  periods: PeriodAnswer[];
  /** null when the channel has no standards configured */
  standards: StandardsResult | null;
}

function answerOf(
  span: DateSpan,
  sums: Sums,
  previous: Sums,
  previousSpan: DateSpan,
  entries: readonly FigureEntry[],
  extra: Partial<PeriodAnswer> = {},
): PeriodAnswer {
  return {
    ...extra,
    from: span.from,
    to: span.to,
    ...measuresOf(sums),
    growth: { previous: previousSpan, ...growthOf(sums, previous) },
    economics: economicsOf(sums, figureSumsOf(entries, span)),
  };
}

function standardsOf(f: ChannelFigures, entries: readonly FigureEntry[], range: DateSpan): StandardsResult | null {
  return (
    evaluateStandards(f.channel.standards, {
      total: f.total,
      months: f.months,
      figures: figureSumsOf(entries, range),
    }) ?? null
  );
}

/**
 * The partner-reported entries of each channel: one Query per channel, whatever the order volume
 * (entries are dated, and summed per period in memory). None when the deps have no figures port.
 */
async function reportedEntries(deps: KpiDeps, channels: string[]): Promise<Map<string, FigureEntry[]>> {
  const port = deps.figures;
  if (!port) return new Map(channels.map((c) => [c, []]));
  const lists = await mapLimit(channels, deps.concurrency ?? 16, (c) => port.entries(c));
  return new Map(channels.map((c, i) => [c, lists[i]!.map((s) => s.entry)]));
}

export interface ChannelsKpiAnswer {
  from: string;
  to: string;
  granularity: Granularity;
  timeZone: string;
  channels: ChannelAnswer[];
  /**
   * Partners (of the channels in this answer) with orders in the previous span who also have
   * orders in this one: over the whole range (against the equally long span before it) and per period
   */
  partnerRetention: { total: Retention; periods: Retention[] };
}

/**
 * The channels a key may see: those the channel port lists (configured or connected) that the key
 * may see, plus any its key names explicitly.
 */
async function visibleChannels(deps: KpiDeps, key: ApiKeyRecord): Promise<ChannelConfig[]> {
  const configured = (await deps.channels.list()).filter((c) =>
    canSeeChannel(key, { channel: c.channel, partner: c.partner ?? null }),
  );
  const names = new Set(configured.map((c) => c.channel));
  // a key may name a channel no config item exists for yet: its counters are still readable
  for (const c of key.channels ?? [])
    if (!names.has(c)) configured.push({ channel: c, allocation: {} } as ChannelConfig);
  return configured.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
}

/** GET /v1/kpis/channels */
export async function readChannelsKpis(
  deps: KpiDeps,
  key: ApiKeyRecord,
  raw: Record<string, string | undefined>,
): Promise<ChannelsKpiAnswer> {
  const q = parseKpiQuery(raw);
  // one zone for every channel, so their periods line up and shares add up to 1
  const timeZone = q.tz ?? deps.merchantTimeZone ?? 'UTC';
  let channels = await visibleChannels(deps, key);
  if (q.channels) {
    const byName = new Map(channels.map((c) => [c.channel, c]));
    // a hub-wide key may read any channel by name, also one with counters but no connection or
    // configuration left (its figures are still the merchant's)
    if (key.partner === null && !key.channels)
      for (const c of q.channels) if (!byName.has(c)) byName.set(c, { channel: c, allocation: {} } as ChannelConfig);
    const hidden = q.channels.filter((c) => !byName.has(c));
    if (hidden.length > 0)
      throw new HttpError(403, 'forbidden', `this API key may not read channel(s) ${hidden.join(', ')}`);
    channels = q.channels.map((c) => byName.get(c)!);
  }
  const p = plan(q, timeZone);
  checkSize(p.periods.length + 1, Math.max(1, channels.length));
  const figs = await figures(deps, p, channels);
  const reported = await reportedEntries(
    deps,
    channels.map((c) => c.channel),
  );

  // shares are across the channels in this answer: a partner key sees its own channels' split,
  // never a total that would reveal other partners' revenue
  const allTotal = figs.reduce((s, f) => addInto(s, f.total), emptySums());
  const allPeriods = p.periods.map((_, i) => figs.reduce((s, f) => addInto(s, f.periods[i]!.sums), emptySums()));

  return {
    from: p.range.from,
    to: p.range.to,
    granularity: p.granularity,
    timeZone,
    channels: figs.map((f) => ({
      channel: f.channel.channel,
      partner: f.channel.partner ?? null,
      total: answerOf(p.range, f.total, f.previousTotal, p.previousRange, reported.get(f.channel.channel)!, {
        revenueShare: revenueShareOf(f.total, allTotal),
      }),
      periods: f.periods.map((x, i) =>
        answerOf(x.period, x.sums, x.previous, x.period.previous, reported.get(f.channel.channel)!, {
          label: x.period.label,
          complete: x.period.complete,
          revenueShare: revenueShareOf(x.sums, allPeriods[i]!),
        }),
      ),
      standards: standardsOf(f, reported.get(f.channel.channel)!, p.range),
    })),
    partnerRetention: {
      total: partnerRetentionOf(
        figs.map((f) => ({
          partner: f.channel.partner ?? null,
          orders: f.total.orders,
          previousOrders: f.previousTotal.orders,
        })),
      ),
      periods: p.periods.map((_, i) =>
        partnerRetentionOf(
          figs.map((f) => ({
            partner: f.channel.partner ?? null,
            orders: f.periods[i]!.sums.orders,
            previousOrders: f.periods[i]!.previous.orders,
          })),
        ),
      ),
    },
  };
}

export interface ChannelSeriesAnswer extends ChannelAnswer {
  from: string;
  to: string;
  granularity: Granularity;
  timeZone: string;
}

/**
 * GET /v1/kpis/channels/{channel}: the same measures as a time series for one channel. Its zone
 * is `tz`, else the channel's configured `timeZone`, else the merchant's. No revenue share: that
 * would need every other channel read too.
 */
export async function readChannelSeries(
  deps: KpiDeps,
  key: ApiKeyRecord,
  channelName: string,
  raw: Record<string, string | undefined>,
): Promise<ChannelSeriesAnswer> {
  const q = parseKpiQuery(raw);
  if (q.channels) throw new HttpError(400, 'invalid_query', 'channels= applies to /v1/kpis/channels only');
  const config = (await deps.channels.list()).find((c) => c.channel === channelName);
  const channel: ChannelConfig = config ?? ({ channel: channelName, allocation: {} } as ChannelConfig);
  if (!canSeeChannel(key, { channel: channelName, partner: config?.partner ?? null })) {
    throw new HttpError(403, 'forbidden', `this API key may not read channel ${channelName}`);
  }
  const channelZone = config?.timeZone && isTimeZone(config.timeZone) ? config.timeZone : undefined;
  const timeZone = q.tz ?? channelZone ?? deps.merchantTimeZone ?? 'UTC';
  const p = plan(q, timeZone);
  checkSize(p.periods.length, 1);
  const [f] = await figures(deps, p, [channel]);
  const entries = (await reportedEntries(deps, [channelName])).get(channelName)!;
  return {
    channel: channelName,
    partner: channel.partner ?? null,
    from: p.range.from,
    to: p.range.to,
    granularity: p.granularity,
    timeZone,
    total: answerOf(p.range, f!.total, f!.previousTotal, p.previousRange, entries),
    periods: f!.periods.map((x) =>
      answerOf(x.period, x.sums, x.previous, x.period.previous, entries, {
        label: x.period.label,
        complete: x.period.complete,
      }),
    ),
    standards: standardsOf(f!, entries, p.range),
  };
}
