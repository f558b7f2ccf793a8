import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

const epoch = (s: number) => new Date(s * 1000).toISOString();

describe('bigcommerce adapter', () => {
  it('maps an absolute product inventory change to an on-hand count', () => {
    // Prepare
    const body = payload('bigcommerce', 'product-inventory-absolute');
    const input = inputFor('bigcommerce', 'store/product/inventory/updated', body);
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'StockLevelSet',
        channel: input.delivery.channel,
        source: 'bigcommerce',
        deliveryId: input.delivery.deliveryId,
        occurredAt: epoch(body.created_at),
        inventoryItemId: 'product:179',
        locationId: 'default',
        quantity: 64,
        bucket: 'on_hand',
        asOf: epoch(body.created_at),
      },
    ]);
  });

  it('maps a relative variant change to a movement keyed by the payload hash', () => {
    const body = payload('bigcommerce', 'sku-inventory-relative');
    const a = only(mapped('bigcommerce', 'store/sku/inventory/updated', body), 'StockAdjusted');
    expect(a).toMatchObject({
      inventoryItemId: 'variant:509',
      locationId: 'default',
      delta: -2,
      reason: 'order',
      idempotencyKey: '3b9f0e1c7a5d2f4b6e8c0a1d3f5b7e9c1a3d5f70',
      at: epoch(body.created_at),
    });
  });

  it.each(['store/product/inventory/order/updated', 'store/sku/inventory/order/updated'])(
    '%s is an inventory scope too',
    (scope) => {
      const events = mapped('bigcommerce', scope, payload('bigcommerce', 'sku-inventory-relative'));
      expect(events.map((e) => e.type)).toEqual(['StockAdjusted']);
    },
  );

  it('refuses a relative change without a hash rather than risk applying it twice', () => {
    const body = payload('bigcommerce', 'sku-inventory-relative');
    delete body.hash;
    expectFailure(
      failure('bigcommerce', 'store/sku/inventory/updated', body),
      'schema',
      /hash: required field is missing/,
    );
  });

  it('names a bad method or value', () => {
    const method = payload('bigcommerce', 'product-inventory-absolute');
    method.data.inventory.method = 'set';
    const value = payload('bigcommerce', 'product-inventory-absolute');
    value.data.inventory.value = '64';
    expectFailure(
      failure('bigcommerce', 'store/product/inventory/updated', method),
      'schema',
      /data\.inventory\.method/,
    );
    expectFailure(failure('bigcommerce', 'store/product/inventory/updated', value), 'schema', /data\.inventory\.value/);
  });

  it.each([
    ['store/order/created', 'order-created', { scope: 'store/order/created' }],
    [
      'store/order/statusUpdated',
      'order-status-updated',
      { scope: 'store/order/statusUpdated', previousStatusId: '11', newStatusId: '5' },
    ],
  ])('%s → HydrationPending for the order', (scope, fixture, detail) => {
    const body = payload('bigcommerce', fixture);
    const h = only(mapped('bigcommerce', scope, body), 'HydrationPending');
    expect(h).toMatchObject({ entity: 'order', externalId: '250', version: { at: epoch(body.created_at) }, detail });
  });

  it('refuses other scopes, a created_at that is not epoch seconds, and non-JSON', () => {
    expectFailure(
      failure('bigcommerce', 'store/product/updated', payload('bigcommerce', 'order-created')),
      'unknown-event',
      /store\/product\/updated/,
    );
    expectFailure(
      failure('bigcommerce', 'store/cart/created', payload('bigcommerce', 'order-created')),
      'unknown-event',
    );
    const iso = { ...payload('bigcommerce', 'order-created'), created_at: '2026-03-02T17:00:00Z' };
    expectFailure(failure('bigcommerce', 'store/order/created', iso), 'schema', /created_at/);
    expectFailure(failure('bigcommerce', 'store/order/created', 'hash=abc'), 'malformed');
  });
});
