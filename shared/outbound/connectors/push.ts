import type { MsClock } from '#shared/domain/clock.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import type { PushRecord } from '#shared/outbound/connectors/echo.ts';
import { CONNECTORS } from '#shared/outbound/connectors/registry.ts';
import type { ListedQuantity } from '#shared/outbound/connectors/types.ts';

/**
 * Pushes one channel's available-to-sell for a SKU to the channel itself. The version is claimed
 * per `(channel, sku)` before the call, so a value older than one already pushed never goes out;
 * what the channel confirmed is recorded (value, version, listing, location, time) and serves the
 * echo check of loop safety.
 */
/** Connection sources the hub has a connector for (a channel pushed through another is not pushed). */
export const PUSHED_SOURCES: ReadonlySet<string> = new Set(Object.keys(CONNECTORS));

export interface PushTarget {
  connectionId: string;
  /** the channel's id of what is listed, as its adapter records it (`inventory_item:<id>` for Shopify) */
  listing: string;
  /** the channel's own location id the quantity is set at */
  location: string;
}

export interface PushRecords {
  /** false when a newer version was already pushed or this one confirmed (an unconfirmed one may go again) */
  claim(channel: string, sku: string, version: number): Promise<boolean>;
  confirm(channel: string, sku: string, version: number, pushed: PushRecord): Promise<void>;
}

export interface ChannelPushDeps {
  /** where the SKU is listed on the channel; empty when the channel is not pushed to */
  targets(channel: string, sku: string): Promise<PushTarget[]>;
  records: PushRecords;
  /** sets the quantities through the connection's connector; `event` names the push at the channel */
  setAvailable(connectionId: string, quantities: ListedQuantity[], event: { id: string; at: string }): Promise<void>;
  now: MsClock;
}

export type PushOutcome = 'pushed' | 'superseded' | 'not-pushed';

export async function pushAvailable(event: StockAvailableChanged, deps: ChannelPushDeps): Promise<PushOutcome> {
  const { channel, sku, version } = event.data;
  const targets = await deps.targets(channel, sku);
  if (targets.length === 0) return 'not-pushed';
  if (!(await deps.records.claim(channel, sku, version))) return 'superseded';
  // a channel never lists a negative quantity: an oversold SKU is listed at 0
  const quantity = Math.max(0, event.data.availableToSell);
  const byConnection = new Map<string, PushTarget[]>();
  for (const t of targets) byConnection.set(t.connectionId, [...(byConnection.get(t.connectionId) ?? []), t]);
  for (const [connectionId, ts] of byConnection)
    await deps.setAvailable(
      connectionId,
      ts.map((t) => ({ listing: t.listing, location: t.location, quantity })),
      { id: event.id, at: event.at },
    );
  const at = deps.now();
  for (const t of targets)
    await deps.records.confirm(channel, sku, version, {
      channel,
      listing: t.listing,
      location: t.location,
      quantity,
      at,
    });
  return 'pushed';
}
