import type { ChannelPort } from '#shared/inventory/ports.ts';
import type { FiguresPort } from '#shared/kpi/figures.ts';
import type { StockAlertsPort } from '#shared/inventory/stock-alerts.ts';

/** What the KPI API reads: counter items (never orders), channels, and balances for stock alerts. */

export interface KpiCounterQuery {
  channel: string;
  /** UTC month of the partition, `YYYY-MM` */
  month: string;
  shard: number;
  /** first and last hour bucket, inclusive, `YYYY-MM-DDTHH` (UTC) */
  fromHour: string;
  toHour: string;
}

export interface KpiReadPort {
  readonly shards: number;
  /** the counter items of one partition between two hours */
  counters(q: KpiCounterQuery): Promise<Record<string, unknown>[]>;
  /** the zone the fold cuts day and month rollups in; undefined before the first fold */
  rollupZone?(): Promise<string | undefined>;
  /** day rollups of one channel and year, `fromDay`..`toDay` inclusive (same year) */
  days?(q: { channel: string; zone: string; fromDay: string; toDay: string }): Promise<Record<string, unknown>[]>;
  /** month rollups of one channel, `fromMonth`..`toMonth` inclusive (`YYYY-MM`) */
  months?(q: { channel: string; zone: string; fromMonth: string; toMonth: string }): Promise<Record<string, unknown>[]>;
}

export interface KpiDeps {
  kpi: KpiReadPort;
  channels: ChannelPort;
  stockAlerts: StockAlertsPort;
  /** partner-reported figures joined into the answer; without it every period's economics is empty */
  figures?: Pick<FiguresPort, 'entries'>;
  /** the merchant's default zone (HUB_MERCHANT_TIME_ZONE); UTC when unset */
  merchantTimeZone?: string;
  /** queries in flight at once (default 16): parallel enough to be quick, few enough not to throttle */
  concurrency?: number;
}
