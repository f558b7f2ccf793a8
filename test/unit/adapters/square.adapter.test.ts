import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

const counts = () => payload('square', 'inventory-count-updated');

describe('square adapter: inventory.count.updated', () => {
  it('maps each IN_STOCK count to an available count and skips the other states', () => {
    // Prepare
    const input = inputFor('square', 'inventory.count.updated', counts());
    // Act
    const events = adapt(input);
    // Assess: SOLD and WASTE (even fractional) are other buckets, not stock on sale
    expect(events).toEqual([
      {
        type: 'StockLevelSet',
        channel: input.delivery.channel,
        source: 'square',
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T15:22:08.123Z',
        inventoryItemId: 'FKPYM47ZBWJD3RQK7XEBN2QH',
        locationId: 'L8GWV4NH3TQ2J',
        quantity: 17,
        bucket: 'available',
        asOf: '2026-03-02T15:22:07.412Z',
      },
      expect.objectContaining({
        inventoryItemId: 'W62UWFY35CWMYGVWK6TWJDNI',
        locationId: 'LR0J2B6CEXJ1Q',
        quantity: 0,
        asOf: '2026-03-02T15:21:59.004Z',
      }),
    ]);
  });

  it.each([
    ['5', 5],
    ['5.0', 5],
    ['-2', -2],
    ['0', 0],
  ])('quantity "%s" → %i', (quantity, expected) => {
    const body = counts();
    body.data.object.inventory_counts[0].quantity = quantity;
    expect(mapped('square', 'inventory.count.updated', body)[0]).toMatchObject({ quantity: expected });
  });

  it('refuses a fractional or numeric IN_STOCK quantity, naming the count', () => {
    const fractional = counts();
    fractional.data.object.inventory_counts[2].quantity = '2.5';
    const numeric = counts();
    numeric.data.object.inventory_counts[0].quantity = 17;
    expectFailure(
      failure('square', 'inventory.count.updated', fractional),
      'schema',
      /data\.object\.inventory_counts\[2\]\.quantity: expected a whole number/,
    );
    expectFailure(failure('square', 'inventory.count.updated', numeric), 'schema', /inventory_counts\[0\]\.quantity/);
  });

  it('names a missing location or calculation time', () => {
    const body = counts();
    delete body.data.object.inventory_counts[1].location_id;
    expectFailure(
      failure('square', 'inventory.count.updated', body),
      'schema',
      /inventory_counts\[1\]\.location_id: required field is missing/,
    );
  });
});

describe('square adapter: orders', () => {
  it.each([
    ['order.created', 'order-created', { at: '2026-03-02T15:58:10.000Z', seq: 1 }, 'OPEN'],
    ['order.updated', 'order-updated', { at: '2026-03-02T16:01:44.512Z', seq: 3 }, 'OPEN'],
    ['order.fulfillment.updated', 'order-fulfillment-updated', { at: '2026-03-03T09:11:59.870Z', seq: 6 }, 'COMPLETED'],
  ])('%s → HydrationPending with the order version as seq', (type, fixture, version, state) => {
    const h = only(mapped('square', type, payload('square', fixture)), 'HydrationPending');
    expect(h).toMatchObject({
      entity: 'order',
      externalId: 'eA3vssLHKJrv9H0IdJCM3gNqfdcZY',
      version,
      detail: { state, locationId: 'L8GWV4NH3TQ2J' },
    });
  });

  it('a CANCELED order is still only HydrationPending (the order is not known yet)', () => {
    const body = payload('square', 'order-updated');
    body.data.object.order_updated.state = 'CANCELED';
    expect(mapped('square', 'order.updated', body).map((e) => e.type)).toEqual(['HydrationPending']);
  });

  it('dates a version without times by the event', () => {
    const body = payload('square', 'order-updated');
    delete body.data.object.order_updated.updated_at;
    delete body.data.object.order_updated.created_at;
    expect(only(mapped('square', 'order.updated', body), 'HydrationPending').version?.at).toBe(
      '2026-03-02T16:01:44.900Z',
    );
  });

  it('names a missing version under the event-specific object', () => {
    const body = payload('square', 'order-updated');
    delete body.data.object.order_updated.version;
    expectFailure(
      failure('square', 'order.updated', body),
      'schema',
      /data\.object\.order_updated\.version: required field is missing/,
    );
  });

  it('refuses other event types and bodies that are not JSON', () => {
    expectFailure(
      failure('square', 'payment.updated', payload('square', 'order-updated')),
      'unknown-event',
      /payment\.updated/,
    );
    expectFailure(failure('square', 'catalog.version.updated', counts()), 'unknown-event');
    expectFailure(failure('square', 'order.updated', '<html>'), 'malformed');
  });
});
