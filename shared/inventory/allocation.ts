import type { AllocationRule } from '#shared/inventory/channel-config.ts';

/**
 * Per-channel available-to-sell, applied on read (nothing is stored per channel, so a rule change
 * takes effect on the next read). Pure integer arithmetic, in this order:
 *
 *  1. pool      = Σ max(0, available) over the locations that feed the channel (all, unless the
 *                 rule lists some). An oversold location (available < 0) counts as 0: its deficit
 *                 belongs to orders already taken there and must not hide stock elsewhere.
 *  2. shared    = floor(pool × share). Rounding is always down: listing a fraction rounded up
 *                 would promise a unit that is not there. `share` is taken in basis points, so
 *                 the product is an exact integer before the division (no float drift).
 *  3. buffered  = shared − buffer (the channel's safety stock).
 *  4. listed    = min(buffered, maxListed), and never below 0.
 *
 * Example: WH-A available 40, WH-B 25, WH-C −3; rule { share: 0.5, buffer: 5, maxListed: 100 }:
 * pool 65 → floor(32.5) = 32 → 27 → 27.
 */
export interface LocationAvailability {
  location: string;
  available: number;
}

export function shareBasisPoints(share: number | undefined): number {
  return Math.round((share ?? 1) * 10_000);
}

export function availableToSell(
  balances: readonly LocationAvailability[],
  rule: AllocationRule = {},
  unassignedReserved = 0,
): number {
  const feeds = rule.locations ? new Set(rule.locations) : undefined;
  let pool = 0;
  for (const b of balances) if (!feeds || feeds.has(b.location)) pool += Math.max(0, Math.trunc(b.available));
  // orders that named no location will be shipped from somewhere: every channel lists fewer
  pool = Math.max(0, pool - unassignedReserved);
  // pool × bp stays an exact integer below 2^53 for any pool under ~9e11 units
  let units = Math.floor((pool * shareBasisPoints(rule.share)) / 10_000);
  units -= rule.buffer ?? 0;
  if (rule.maxListed !== undefined) units = Math.min(units, rule.maxListed);
  return Math.max(0, units);
}
