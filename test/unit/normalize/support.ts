import { adapt } from '#shared/adapters/index.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '#shared/ingest/ingest.ts';
import type { Source } from '#shared/domain/connection.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { normalizeMessage, type NormalizeOutcome } from '#shared/normalize/normalize.ts';
import { foldMemory } from '../../../bench/memory-fold.ts';
import type { MemoryTable } from '#shared/table/memory-table.ts';
import { deliveryFor } from '#test/fixtures/payloads.ts';
import { fixedClock, TEST_NOW } from '#test/support/clock.ts';
import { channelList } from '../../support/channels.ts';

let n = 0;
/** bodies too big for a queue message, as ingest keeps them (claim check), by key */
const claimed = new Map<string, string>();

/**
 * The queued message of a delivery from `source` on `channel` (received at TEST_NOW). A body over
 * ingest's inline limit goes to the claim-check store, as ingest puts it, so the message stays
 * the size a queue takes.
 */
export function queued(source: Source, topic: string, body: unknown, channel = 'shop'): string {
  const d: Delivery = deliveryFor(source, topic, body, { channel, receivedAt: TEST_NOW, deliveryId: `dlv-${++n}` });
  if (d.body.kind === 'inline' && Buffer.byteLength(d.body.data) > DEFAULT_MAX_MESSAGE_BYTES / 2) {
    claimed.set(d.deliveryId, d.body.data);
    d.body = { kind: 's3', bucket: 'bodies', key: d.deliveryId, size: Buffer.byteLength(d.body.data) };
  }
  return JSON.stringify(d);
}

/** Runs one queued message through adapt and the normalizer on the memory table. */
export function normalizeOn(table: MemoryTable, message: string): Promise<NormalizeOutcome> {
  return normalizeMessage(message, {
    table,
    adapt,
    channels: channelList(),
    now: fixedClock(),
    loadBody: async (d) => Buffer.from(d.body.kind === 'inline' ? d.body.data : (claimed.get(d.body.key) ?? '')),
  });
}

/** Folds everything on the table's stream so far (stock and KPIs), from `position`. */
export function foldAll(table: MemoryTable, position = 0): Promise<number> {
  return foldMemory(table, { position, nowMs: Date.parse(TEST_NOW) });
}

/** A hub-format envelope at `timestamp`. */
export function hub(type: string, data: unknown, timestamp = '2026-09-15T10:00:00Z') {
  return { type, timestamp, data };
}

/** A hub-format order with these lines (sku, quantity, location). */
export function hubOrder(
  orderId: string,
  lines: { sku: string; quantity: number; locationId?: string }[],
  over: Record<string, unknown> = {},
) {
  return hub('order.upserted', {
    orderId,
    status: 'paid',
    createdAt: '2026-09-15T09:00:00Z',
    updatedAt: '2026-09-15T09:00:00Z',
    currency: 'USD',
    lines: lines.map((l) => ({ ...l, unitPrice: '1.00' })),
    ...over,
  });
}
