/**
 * Loop safety. A quantity the hub pushes to a channel comes back as that channel's inventory
 * webhook (Shopify `inventory_levels/update`, Square `inventory.count.updated`). Each confirmed
 * push is recorded as (channel, listing, location, quantity, time); a reported level that equals
 * the last pushed quantity for the same listing and location within the window is the echo of
 * that push, not a new count, and is acknowledged without being applied.
 */
export interface PushRecord {
  channel: string;
  /** the channel's id of the thing pushed (`inventory_item:<id>` on Shopify, a catalog object id on Square) */
  listing: string;
  /** the channel's own location id */
  location: string;
  quantity: number;
  /** epoch ms the channel confirmed the push */
  at: number;
}

export interface ReportedLevel {
  channel: string;
  listing: string;
  location: string;
  quantity: number;
  /** epoch ms the channel says the level changed (its updated_at / occurred_at) */
  at: number;
}

/** How long after a push its webhook is still recognised as the echo (Shopify and Square deliver within seconds, retry for hours). */
export const ECHO_WINDOW_MS = 6 * 60 * 60 * 1000;
/** a channel's clock may run a little behind the hub's */
const CLOCK_SKEW_MS = 60_000;

export function isEcho(last: PushRecord | undefined, report: ReportedLevel): boolean {
  if (!last) return false;
  if (last.channel !== report.channel || last.listing !== report.listing || last.location !== report.location)
    return false;
  if (last.quantity !== report.quantity) return false;
  return report.at >= last.at - CLOCK_SKEW_MS && report.at <= last.at + ECHO_WINDOW_MS;
}
