import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { FoldStreamEvent } from '#shared/stream/fold-event.ts';
import type { CountedBalance, StreamChange } from '#shared/stream/watermarks.ts';
import { COUNTED_BY } from '#shared/inventory/balance.ts';
import { changeRowOf } from '#shared/inventory/change-pages.ts';
import type { Item } from '#shared/table/port.ts';

/**
 * The adapter edge of the fold: DynamoDB stream records (attribute-value maps) become plain
 * items, so the stream module (shared/stream/) never sees the SDK's marshalling.
 */
function image(v: Record<string, unknown> | undefined): Item | undefined {
  return v ? unmarshall(v as Record<string, AttributeValue>) : undefined;
}

/**
 * The balances normalize wrote (counts, adjustments) in a batch, by the writer stamp the fold's
 * stream filter lets through (shared/inventory/balance.ts): the fold derives their stock-change
 * events as it does for the balances its orders move.
 */
export function countedOf(event: Pick<FoldStreamEvent, 'Records'>): CountedBalance[] {
  const out: CountedBalance[] = [];
  for (const r of event.Records) {
    const d = r.dynamodb;
    if (!d?.SequenceNumber || !d.Keys?.pk?.S?.startsWith('SKU#')) continue;
    const img = image(d.NewImage as Record<string, unknown> | undefined);
    if (!img || img.type !== 'balance' || img[COUNTED_BY.attribute] !== COUNTED_BY.value) continue;
    if (typeof img.sku !== 'string' || typeof img.location !== 'string') continue;
    const row = changeRowOf(img);
    out.push({ sku: img.sku, location: img.location, seq: d.SequenceNumber, ...(row ? { row } : {}) });
  }
  return out;
}

/** The stream records of order items in a batch, as changes (other items are not the fold's). */
export function changesOf(event: Pick<FoldStreamEvent, 'Records'>): StreamChange[] {
  const out: StreamChange[] = [];
  for (const r of event.Records) {
    const d = r.dynamodb;
    if (!d?.SequenceNumber || !d.Keys?.pk?.S?.startsWith('ORDER#')) continue;
    const c: StreamChange = { seq: d.SequenceNumber };
    const oldImage = image(d.OldImage as Record<string, unknown> | undefined);
    const newImage = image(d.NewImage as Record<string, unknown> | undefined);
    if (oldImage) c.oldImage = oldImage;
    if (newImage) c.newImage = newImage;
    out.push(c);
  }
  return out;
}
