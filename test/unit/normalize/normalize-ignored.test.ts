import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { normalizeMessage, type NormalizeDeps } from '#shared/normalize/normalize.ts';
import { deliveryFor } from '#test/fixtures/payloads.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock } from '../../support/clock.ts';
import { channelList } from '../../support/channels.ts';

function depsWith(table: MemoryTable): NormalizeDeps {
  return {
    table,
    loadBody: async (d: Delivery) => Buffer.from(d.body.kind === 'inline' ? d.body.data : '', 'utf8'),
    adapt,
    channels: channelList(),
    now: fixedClock(),
  };
}

describe('normalizeMessage: ignored topics', () => {
  it('acknowledges a topic the hub has no use for as ignored, with its topic, and writes nothing', async () => {
    // Prepare
    const table = new MemoryTable();
    const delivery = deliveryFor(
      'shopify',
      'customers/update',
      '{"id": 706405506930370084, "email": "bob@biller.com"}',
    );
    // Act
    const outcome = await normalizeMessage(JSON.stringify(delivery), depsWith(table));
    // Assess
    expect(outcome).toEqual({
      status: 'ignored',
      deliveryId: delivery.deliveryId,
      source: 'shopify',
      topic: 'customers/update',
    });
    expect(table.items()).toEqual([]);
  });

  it('still quarantines a topic it does not know', async () => {
    // Prepare
    const table = new MemoryTable();
    const delivery = deliveryFor('shopify', 'inventory_items/update', '{"id": 271878346596884015}');
    // Act
    const outcome = await normalizeMessage(JSON.stringify(delivery), depsWith(table));
    // Assess
    expect(outcome).toMatchObject({ status: 'quarantined', reason: 'unknown-event' });
    expect(table.items().map((i) => [i.type, i.reason])).toEqual([['quarantine', 'unknown-event']]);
  });
});
