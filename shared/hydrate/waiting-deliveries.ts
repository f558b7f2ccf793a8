import type { Clock } from '#shared/domain/clock.ts';
import { and, eq, updateExpression, type Condition } from '#shared/table/expression.ts';
import { keys } from '#shared/table/keys.ts';
import { WriteConflictError, type Item, type TablePort } from '#shared/table/port.ts';

/**
 * The deliveries quarantined as `unmapped-listing` that wait for one listing (docs/hydration.md,
 * "Listings resolved through the catalog"): found by the quarantine's day partitions, as
 * `listings map` finds them (shared/aws/quarantine.ts), but through the table port, with strongly
 * consistent reads, so a delivery quarantined just before the listing was mapped is not missed.
 */
export interface Listing {
  channel: string;
  externalId: string;
}

/** Where replayed deliveries go: the ingest queue, the exact message that was quarantined. */
export interface IngestQueue {
  sendRaw(messageBody: string): Promise<void>;
}

/** How far back the quarantine is searched: as far as `listings map` looks by default. */
export const WAITING_DAYS = 14;

/** The reason the normalizer gives a stock webhook whose listing has no SKU yet. */
export const UNMAPPED_LISTING = 'unmapped-listing';

function days(back: number, now: Date): string[] {
  return Array.from({ length: back }, (_, i) => new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10));
}

/** Quarantined (not yet replayed) `unmapped-listing` deliveries of this listing. */
export async function waitingDeliveries(
  table: TablePort,
  listing: Listing,
  now: Clock,
  back = WAITING_DAYS,
): Promise<Item[]> {
  const out: Item[] = [];
  for (const day of days(back, now())) {
    // sort keys are `<receivedAt>#<deliveryId>`: every one lies between a space and '~'
    const items = await table.queryBetween(keys.quarantine(day, '', '').pk, ' ', '~');
    for (const it of items)
      if (
        it.status === 'quarantined' &&
        it.reason === UNMAPPED_LISTING &&
        it.channel === listing.channel &&
        it.externalId === listing.externalId &&
        typeof it.message_body === 'string'
      )
        out.push(it);
  }
  return out;
}

/**
 * Sends each waiting delivery back to the ingest queue and marks it replayed (after the send: a
 * crash between the two replays it once more, which changes nothing, every effect being
 * exactly-once). Returns the replayed delivery ids.
 */
export async function replayWaitingDeliveries(
  deps: { table: TablePort; ingest: IngestQueue; now: Clock },
  listing: Listing,
): Promise<string[]> {
  const replayed: string[] = [];
  for (const q of await waitingDeliveries(deps.table, listing, deps.now)) {
    await deps.ingest.sendRaw(String(q.message_body));
    await unlessChanged(
      deps.table.write([
        {
          kind: 'update',
          key: { pk: String(q.pk), sk: String(q.sk) },
          ...updateExpression({ set: { status: 'replayed', replayedAt: deps.now().toISOString() } }, stillWaiting(q)),
          billedSize: 1024,
        },
      ]),
    );
    replayed.push(String(q.deliveryId));
  }
  return replayed;
}

/**
 * The condition that the quarantine item is still the one read: the replayed delivery may already
 * have been normalized and quarantined again, for another listing (one item per delivery), and
 * that newer entry must stay `quarantined` so its own lookup (or `listings map`) replays it.
 */
function stillWaiting(q: Item): Condition {
  return and(eq('status', 'quarantined'), eq('externalId', q.externalId), eq('quarantinedAt', q.quarantinedAt));
}

/** A failed condition means the item moved on (see stillWaiting): nothing to mark. */
async function unlessChanged(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!(err instanceof WriteConflictError)) throw err;
  }
}

/**
 * The catalog could not name the listing's SKU (the object is deleted, or carries no SKU): each
 * waiting delivery stays quarantined as `unmapped-listing` (a mapping by hand still replays it),
 * its message saying what the catalog answered. Returns how many were noted.
 */
export async function noteUnresolved(
  deps: { table: TablePort; now: Clock },
  listing: Listing,
  reason: string,
): Promise<number> {
  const waiting = await waitingDeliveries(deps.table, listing, deps.now);
  for (const q of waiting) {
    const base = String(q.message).replace(/ \(catalog lookup: .*\)$/, '');
    await unlessChanged(
      deps.table.write([
        {
          kind: 'update',
          key: { pk: String(q.pk), sk: String(q.sk) },
          ...updateExpression(
            {
              set: {
                message: `${base} (catalog lookup: ${reason})`,
                catalogLookup: reason,
                catalogLookupAt: deps.now().toISOString(),
              },
            },
            stillWaiting(q),
          ),
          billedSize: 1024,
        },
      ]),
    );
  }
  return waiting.length;
}
