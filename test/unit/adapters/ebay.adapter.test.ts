import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped } from './support.ts';

describe('ebay adapter', () => {
  it('maps ORDER_CONFIRMATION (thin, per line item) to HydrationPending for the order', () => {
    // Prepare
    const input = inputFor('ebay', 'ORDER_CONFIRMATION', payload('ebay', 'order-confirmation'));
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'HydrationPending',
        channel: input.delivery.channel,
        source: 'ebay',
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T17:44:21.000Z',
        entity: 'order',
        externalId: '12-11223-44556',
        version: { at: '2026-03-02T17:44:21.000Z' },
        detail: { topic: 'ORDER_CONFIRMATION', lineItemId: '10064332887921' },
      },
    ]);
  });

  it('MARKETPLACE_ACCOUNT_DELETION is a data-deletion duty: no events, no error', () => {
    expect(mapped('ebay', 'MARKETPLACE_ACCOUNT_DELETION', payload('ebay', 'marketplace-account-deletion'))).toEqual([]);
  });

  it('names a missing order id', () => {
    const body = payload('ebay', 'order-confirmation');
    delete body.notification.data.orderId;
    expectFailure(
      failure('ebay', 'ORDER_CONFIRMATION', body),
      'schema',
      /notification\.data\.orderId: required field is missing/,
    );
  });

  it('refuses other topics and non-JSON', () => {
    expectFailure(
      failure('ebay', 'ITEM_PRICE_REVISION', payload('ebay', 'order-confirmation')),
      'unknown-event',
      /ITEM_PRICE_REVISION/,
    );
    expectFailure(failure('ebay', 'ORDER_CONFIRMATION', 'challenge_code=abc'), 'malformed');
  });
});
