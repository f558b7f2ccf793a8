import { describe, expect, it } from 'vitest';
import { deliveryFor } from '#test/fixtures/payloads.ts';
import { TEST_NOW } from '#test/support/clock.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { normalizeOn } from './support.ts';

/** A hub-format delivery from a partner connection that may write only at WH-P. */
function fromPartner(body: { type: string }): string {
  const d = deliveryFor('standard-webhooks', body.type, body, {
    channel: 'dealer',
    receivedAt: TEST_NOW,
    deliveryId: `p-${Math.random()}`,
  });
  return JSON.stringify({ ...d, partner: 'acme', locations: ['WH-P'] });
}

const count = (location: string, onHand: number) => ({
  type: 'stock.set',
  timestamp: '2026-03-02T09:30:00Z',
  data: { sku: 'MUG', location, onHand },
});

describe('a connection limited to its locations', () => {
  it('counts at its own location and is refused anywhere else, with the reason', async () => {
    // Prepare
    const t = new MemoryTable();
    // Act
    const own = await normalizeOn(t, fromPartner(count('WH-P', 7)));
    const hq = await normalizeOn(t, fromPartner(count('WH-HQ', 0)));
    // Assess
    expect(own.status).toBe('applied');
    expect(hq).toMatchObject({ status: 'quarantined', reason: 'forbidden-location' });
    expect(hq.status === 'quarantined' && hq.message).toContain('WH-HQ');
    expect((await t.get(keys.balance('MUG', 'WH-P')))?.onHand).toBe(7);
    expect(await t.get(keys.balance('MUG', 'WH-HQ'))).toBeUndefined();
  });

  it('refuses an order line at another location', async () => {
    // Prepare
    const t = new MemoryTable();
    const order = {
      type: 'order.upserted',
      timestamp: '2026-03-02T09:30:00Z',
      data: {
        orderId: 'o1',
        status: 'paid',
        createdAt: '2026-03-02T09:00:00Z',
        updatedAt: '2026-03-02T09:00:00Z',
        currency: 'EUR',
        lines: [{ lineId: '1', sku: 'MUG', quantity: 1, unitPrice: '12.90', locationId: 'WH-HQ' }],
      },
    };
    // Act
    const out = await normalizeOn(t, fromPartner(order));
    // Assess
    expect(out).toMatchObject({ status: 'quarantined', reason: 'forbidden-location' });
    expect(await t.get(keys.order('dealer', 'o1'))).toBeUndefined();
  });
});
