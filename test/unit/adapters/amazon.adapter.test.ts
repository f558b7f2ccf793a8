import { describe, expect, it } from 'vitest';
import { amazonOrderStatus } from '#shared/adapters/amazon.adapter.ts';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

const orderChange = () => payload('amazon', 'order-change-unshipped');

describe('amazon adapter: ORDER_CHANGE', () => {
  it('maps the order partially: id, status, dates and SKU lines, no money', () => {
    // Prepare
    const input = inputFor('amazon', 'ORDER_CHANGE', orderChange());
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'OrderUpserted',
        channel: input.delivery.channel,
        source: 'amazon',
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T20:11:05.341Z',
        orderId: '113-4471902-5583465',
        status: 'processing',
        rawStatus: { OrderStatus: 'Unshipped', OrderChangeType: 'OrderStatusChange', FulfillmentType: 'MFN' },
        createdAt: '2026-03-02T19:52:31.000Z',
        version: { at: '2026-03-02T20:10:58.102Z' },
        lines: [
          { lineId: '62511473289243', sku: 'MUG-BLUE-350', quantity: 2 },
          { lineId: '62511473289255', sku: 'TOWEL-LIN-NAT', quantity: 1 },
        ],
      },
    ]);
  });

  it.each([
    ['Pending', 'pending_payment'],
    ['PendingAvailability', 'pending_payment'],
    ['Unshipped', 'processing'],
    ['PartiallyShipped', 'partially_fulfilled'],
    ['Shipped', 'fulfilled'],
    ['InvoiceUnconfirmed', 'fulfilled'],
    ['Canceled', 'cancelled'],
    ['Unfulfillable', 'failed'],
    ['SomethingNew', 'unknown'],
  ])('OrderStatus %s → %s', (status, expected) => {
    const body = orderChange();
    body.Payload.OrderChangeNotification.Summary.OrderStatus = status;
    expect(only(mapped('amazon', 'ORDER_CHANGE', body), 'OrderUpserted').status).toBe(expected);
    expect(amazonOrderStatus(status)).toBe(expected);
  });

  it('dates a shipped order by the time of the change', () => {
    const body = orderChange();
    body.Payload.OrderChangeNotification.Summary.OrderStatus = 'Shipped';
    expect(only(mapped('amazon', 'ORDER_CHANGE', body), 'OrderUpserted').fulfilledAt).toBe('2026-03-02T20:10:58.102Z');
  });

  it('Canceled also emits OrderCancelled with the change reason', () => {
    // Prepare
    const body = orderChange();
    const n = body.Payload.OrderChangeNotification;
    n.Summary.OrderStatus = 'Canceled';
    n.OrderChangeTrigger.ChangeReason = 'Buyer Requested Cancel';
    // Act
    const events = mapped('amazon', 'ORDER_CHANGE', body);
    // Assess
    expect(only(events, 'OrderUpserted').cancelledAt).toBe('2026-03-02T20:10:58.102Z');
    expect(only(events, 'OrderCancelled')).toMatchObject({
      orderId: '113-4471902-5583465',
      cancelledAt: '2026-03-02T20:10:58.102Z',
      reason: 'Buyer Requested Cancel',
    });
  });

  it('falls back to EventTime when TimeOfOrderChange and PurchaseDate are null (the schema allows it)', () => {
    const body = orderChange();
    body.Payload.OrderChangeNotification.OrderChangeTrigger.TimeOfOrderChange = null;
    body.Payload.OrderChangeNotification.Summary.PurchaseDate = null;
    const o = only(mapped('amazon', 'ORDER_CHANGE', body), 'OrderUpserted');
    expect(o.version.at).toBe('2026-03-02T20:11:05.341Z');
    expect(o.createdAt).toBe('2026-03-02T20:11:05.341Z');
  });

  it('names a missing order id and a bad quantity', () => {
    const noId = orderChange();
    delete noId.Payload.OrderChangeNotification.AmazonOrderId;
    const badQty = orderChange();
    badQty.Payload.OrderChangeNotification.Summary.OrderItems[1].Quantity = '1';
    expectFailure(
      failure('amazon', 'ORDER_CHANGE', noId),
      'schema',
      /Payload\.OrderChangeNotification\.AmazonOrderId: required field is missing/,
    );
    expectFailure(failure('amazon', 'ORDER_CHANGE', badQty), 'schema', /Summary\.OrderItems\[1\]\.Quantity/);
  });
});

describe('amazon adapter: inventory and other notifications', () => {
  it('maps FBA availability to a fulfillable count per marketplace', () => {
    const events = mapped(
      'amazon',
      'FBA_INVENTORY_AVAILABILITY_CHANGES',
      payload('amazon', 'fba-inventory-availability'),
    );
    expect(events).toEqual([
      expect.objectContaining({
        type: 'StockLevelSet',
        sku: 'MUG-BLUE-350',
        locationId: 'AFN:ATVPDKIKX0DER',
        quantity: 88,
        bucket: 'fulfillable',
        asOf: '2026-03-02T22:45:19.880Z',
      }),
      expect.objectContaining({
        type: 'StockLevelSet',
        sku: 'MUG-BLUE-350',
        locationId: 'AFN:A2EUQ1WTGCTBG2',
        quantity: 12,
        bucket: 'fulfillable',
      }),
    ]);
  });

  it('maps an MFN quantity change to the quantity listed on the channel, never to a stock count', () => {
    // Prepare: the fixture mirrors the example in the SP-API notification schema
    // ListingsItemMfnQuantityChange.json (amzn/selling-partner-api-models), with its own SKU and quantity
    const body = payload('amazon', 'listings-item-mfn-quantity-change');
    // Act
    const events = mapped('amazon', 'LISTINGS_ITEM_MFN_QUANTITY_CHANGE', body);
    // Assess
    expect(events).toEqual([
      expect.objectContaining({
        type: 'ListedQuantityReported',
        sku: 'TOWEL-LIN-NAT',
        quantity: 41,
        fulfillmentChannel: 'DEFAULT',
        asOf: '2026-03-02T23:02:41.117Z',
      }),
    ]);
  });

  it('unwraps an EventBridge event, with the notification or the bare payload in detail', () => {
    // Prepare
    const notification = payload('amazon', 'listings-item-mfn-quantity-change');
    const wrapped = {
      version: '0',
      id: 'e1',
      'detail-type': 'LISTINGS_ITEM_MFN_QUANTITY_CHANGE',
      source: 'aws.partner/sellingpartnerapi.amazon.com',
      time: '2026-03-02T23:02:41Z',
      detail: notification,
    };
    const bare = { ...wrapped, detail: notification.Payload };
    // Act
    const fromWrapped = adapt(inputFor('amazon', 'x', JSON.stringify(wrapped)));
    const fromBare = adapt(inputFor('amazon', 'x', JSON.stringify(bare)));
    // Assess
    expect(fromWrapped[0]).toMatchObject({ sku: 'TOWEL-LIN-NAT', quantity: 41, asOf: '2026-03-02T23:02:41.117Z' });
    expect(fromBare[0]).toMatchObject({ sku: 'TOWEL-LIN-NAT', quantity: 41, asOf: '2026-03-02T23:02:41Z' });
  });

  it('ANY_OFFER_CHANGED is competitor pricing: no events and no error', () => {
    expect(mapped('amazon', 'ANY_OFFER_CHANGED', payload('amazon', 'any-offer-changed'))).toEqual([]);
  });

  it('refuses other notification types, a missing EventTime and non-JSON', () => {
    expectFailure(
      failure('amazon', 'REPORT_PROCESSING_FINISHED', payload('amazon', 'any-offer-changed')),
      'unknown-event',
      /REPORT_PROCESSING_FINISHED/,
    );
    const noTime = payload('amazon', 'fba-inventory-availability');
    delete noTime.EventTime;
    expectFailure(
      failure('amazon', 'FBA_INVENTORY_AVAILABILITY_CHANGES', noTime),
      'schema',
      /EventTime: required field is missing/,
    );
    expectFailure(failure('amazon', 'ORDER_CHANGE', '{'), 'malformed');
  });
});
