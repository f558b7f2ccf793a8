import type { CanonicalEvent } from '#shared/domain/events.ts';

/**
 * The one rule for every value the hub puts inside a table key (SKUs, locations, channels, order
 * ids, listing ids, refund ids, idempotency keys), whoever sends it: a webhook payload, the HTTP
 * API or a connection's configuration (docs/limits.md).
 *
 * Keys are built by joining parts with `#` (`ORDER#<channel>#<orderId>`, `SKU#<sku>` /
 * `LOC#<location>`), so a part holding `#` could name another item: a location `WH-1#2099…` would
 * read as a ledger row of `WH-1`, channels `mkt` and `mkt#eu` would share orders. `|` is refused
 * for the same reason in the strings older rows were written with, and control characters because
 * they are never meant and make keys unreadable in logs and consoles.
 *
 * Order ids follow the rule too: the values some senders show with a `#` (Shopify's order name
 * `#1001`) travel as `orderNumber`, which is not a key part; the ids orders are keyed by (numeric
 * ids, Amazon's and eBay's dashed ids, Walmart's purchase order numbers) have none of these
 * characters. A delivery whose key part breaks the rule is quarantined (reason `invalid-key`).
 *
 * The rule is plain code here and a zod schema in key-part-schema.ts (KeyPartSchema, built from
 * the same constants), so code that must stay small (the ingest bundle uses zod/mini) can check a
 * value without pulling in full zod.
 */

/**
 * Longest key part, in UTF-8 bytes (128 ASCII characters; fewer for other scripts). With every
 * part at most this, the longest key the hub writes is a ledger sort key
 * (`MOVE#<location>#<time>#adj:<channel>:<idempotencyKey>`, about 420 bytes): far under DynamoDB's
 * 2,048-byte partition key and 1,024-byte sort key limits.
 */
export const KEY_PART_MAX_BYTES = 128;

/** `#` joins key parts, `|` joined older internal strings; C0 and C1 control characters. */
export const KEY_PART_FORBIDDEN = /[#|\u0000-\u001f\u007f-\u009f]/;
/** The same characters as a whole-value pattern (the HTTP API's OpenAPI description shows it). */
export const KEY_PART_PATTERN = /^[^#|\u0000-\u001f\u007f-\u009f]+$/;

const utf8 = new TextEncoder();

/** The length of a value as a key counts it: UTF-8 bytes. */
/**
 * The location of reservations whose order named none (shared/inventory/locations.ts): no sender
 * may name a location so.
 */
export const UNASSIGNED_LOCATION = '*';

export function keyPartBytes(value: string): number {
  return utf8.encode(value).length;
}

/** Why `value` may not be a key part, or undefined when it may. */
export function keyPartProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  const bytes = keyPartBytes(value);
  if (bytes > KEY_PART_MAX_BYTES) return `must be at most ${KEY_PART_MAX_BYTES} bytes (UTF-8), got ${bytes}`;
  if (KEY_PART_FORBIDDEN.test(value)) return 'must not contain "#", "|" or control characters';
  if (value === UNASSIGNED_LOCATION)
    return `must not be "${UNASSIGNED_LOCATION}" (it stands for reservations that name no location)`;
  return undefined;
}

/** A key part of an event that breaks the rule: which field, and why. */
export interface KeyPartViolation {
  field: string;
  problem: string;
}

/**
 * Every value of a canonical event that ends up in a key, with its path in the event. Kept beside
 * the rule so a new event field used in a key is checked by adding it here.
 */
export function eventKeyParts(e: CanonicalEvent): [field: string, value: string | undefined][] {
  const parts: [string, string | undefined][] = [['channel', e.channel]];
  switch (e.type) {
    case 'OrderUpserted':
      parts.push(['orderId', e.orderId], ['locationId', e.locationId]);
      e.lines.forEach((l, i) =>
        parts.push(
          [`lines[${i}].sku`, l.sku],
          [`lines[${i}].externalItemId`, l.externalItemId],
          [`lines[${i}].locationId`, l.locationId],
        ),
      );
      break;
    case 'OrderCancelled':
      parts.push(['orderId', e.orderId]);
      break;
    case 'RefundRecorded':
      parts.push(['orderId', e.orderId], ['refundId', e.refundId]);
      e.lines.forEach((l, i) => parts.push([`lines[${i}].sku`, l.sku], [`lines[${i}].locationId`, l.locationId]));
      break;
    case 'StockLevelSet':
      parts.push(['sku', e.sku], ['inventoryItemId', e.inventoryItemId], ['locationId', e.locationId]);
      break;
    case 'StockAdjusted':
      parts.push(
        ['sku', e.sku],
        ['inventoryItemId', e.inventoryItemId],
        ['locationId', e.locationId],
        ['idempotencyKey', e.idempotencyKey],
      );
      break;
    case 'ListingMapped':
      parts.push(['externalId', e.externalId], ['sku', e.sku]);
      break;
    case 'HydrationPending':
      parts.push(['externalId', e.externalId]);
      break;
    case 'FulfillmentRecorded':
      parts.push(['orderId', e.orderId], ['fulfillmentId', e.fulfillmentId]);
      break;
    case 'ListedQuantityReported':
      parts.push(['sku', e.sku]);
      break;
    case 'SalesCycleRecorded':
      parts.push(['draftId', e.draftId]);
      break;
  }
  return parts;
}

/** The first key part of the event that breaks the rule, if any. */
export function keyPartViolation(e: CanonicalEvent): KeyPartViolation | undefined {
  for (const [field, value] of eventKeyParts(e)) {
    if (value === undefined) continue;
    const problem = keyPartProblem(value);
    if (problem) return { field, problem };
  }
  return undefined;
}
