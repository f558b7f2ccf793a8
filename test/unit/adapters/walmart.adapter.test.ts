import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

describe('walmart adapter: purchase orders', () => {
  it('maps a legacy PO_CREATED to a processing order without prices', () => {
    // Prepare
    const input = inputFor('walmart', 'PO_CREATED', payload('walmart', 'po-created'));
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'OrderUpserted',
        channel: input.delivery.channel,
        source: 'walmart',
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T18:40:11.512Z',
        orderId: '1796277083022',
        orderNumber: '5291998012345',
        status: 'processing',
        rawStatus: { event: 'PO_CREATED' },
        createdAt: '2026-03-02T18:39:58.000Z',
        version: { at: '2026-03-02T18:40:11.512Z' },
        lines: [
          { lineId: '1', sku: 'MUG-BLUE-350', quantity: 2, locationId: '722819301' },
          { lineId: '2', sku: 'TOWEL-LIN-NAT', quantity: 1, locationId: '722819301' },
        ],
      },
    ]);
  });

  it('maps ORDER_UPDATES/PO_CREATED (payload.order) to the same order as the legacy event', () => {
    const strip = ({ deliveryId: _d, ...rest }: Record<string, unknown>) => rest;
    const legacy = mapped('walmart', 'PO_CREATED', payload('walmart', 'po-created')).map(strip);
    const updates = mapped('walmart', 'ORDER_UPDATES', payload('walmart', 'order-updates-po-created')).map(strip);
    expect(updates).toEqual(legacy);
  });

  it('finds the subEventType under payload.meta when payload.subEventType is absent', () => {
    const body = payload('walmart', 'order-updates-po-created');
    delete body.payload.subEventType;
    expect(mapped('walmart', 'ORDER_UPDATES', body).map((e) => e.type)).toEqual(['OrderUpserted']);
  });

  it('accepts epoch-millisecond order dates, numeric quantities and the Orders API line nesting', () => {
    const body = payload('walmart', 'po-created');
    body.payload.orderDate = 1772476798000;
    body.payload.orderLines[0].quantity.measurementValue = 3;
    body.payload.orderLines[1].shipNode = { shipNodeType: 'WFSFulfilled' };
    body.payload.orderLines = { orderLine: body.payload.orderLines };
    const o = only(mapped('walmart', 'PO_CREATED', body), 'OrderUpserted');
    expect(o.createdAt).toBe('2026-03-02T18:39:58.000Z');
    expect(o.lines).toEqual([
      { lineId: '1', sku: 'MUG-BLUE-350', quantity: 3, locationId: '722819301' },
      { lineId: '2', sku: 'TOWEL-LIN-NAT', quantity: 1 },
    ]);
  });

  it('names the field of a bad line', () => {
    const body = payload('walmart', 'order-updates-po-created');
    body.payload.order.orderLines[1].quantity.measurementValue = '1.5';
    const noId = payload('walmart', 'po-created');
    delete noId.payload.purchaseOrderId;
    expectFailure(
      failure('walmart', 'ORDER_UPDATES', body),
      'schema',
      /payload\.order\.orderLines\[1\]\.quantity\.measurementValue/,
    );
    expectFailure(
      failure('walmart', 'PO_CREATED', noId),
      'schema',
      /payload\.purchaseOrderId: required field is missing/,
    );
  });
});

describe('walmart adapter: line cancellations and shipping', () => {
  it('PO_LINE_AUTOCANCELLED cancels the lines whose status reads Cancelled', () => {
    const c = only(
      mapped('walmart', 'ORDER_UPDATES', payload('walmart', 'order-updates-autocancelled')),
      'OrderCancelled',
    );
    expect(c).toMatchObject({
      orderId: '1796277083022',
      cancelledAt: '2026-03-11T04:00:03.090Z',
      reason: 'PO_LINE_AUTOCANCELLED',
      lineIds: ['2'],
    });
  });

  it.each(['INTENT_TO_CANCEL', 'FRAUD_CANCEL'])('%s before any status change cancels every listed line', (sub) => {
    const body = payload('walmart', 'order-updates-intent-to-cancel');
    body.payload.subEventType = sub;
    body.payload.meta.subEventType = sub;
    const c = only(mapped('walmart', 'ORDER_UPDATES', body), 'OrderCancelled');
    expect(c).toMatchObject({ reason: sub, lineIds: ['1', '2'], cancelledAt: '2026-03-02T19:30:45.000Z' });
  });

  it('the legacy standalone PO_LINE_AUTOCANCELLED event is read from payload', () => {
    const body = payload('walmart', 'order-updates-autocancelled');
    const legacy = { source: { ...body.source }, payload: body.payload.order };
    const c = only(mapped('walmart', 'PO_LINE_AUTOCANCELLED', legacy), 'OrderCancelled');
    expect(c.lineIds).toEqual(['2']);
  });

  it('PO_LINE_SHIPPED with every line shipped → fulfilled at the latest line status date', () => {
    const o = only(mapped('walmart', 'ORDER_UPDATES', payload('walmart', 'order-updates-shipped')), 'OrderUpserted');
    expect(o).toMatchObject({
      status: 'fulfilled',
      fulfilledAt: '2026-03-04T14:05:00.000Z',
      rawStatus: { event: 'PO_LINE_SHIPPED' },
    });
    expect(o.lines.map((l) => l.lineId)).toEqual(['1', '2']);
  });

  it('PO_LINE_SHIPPED with some lines shipped → partially_fulfilled, no fulfilment time', () => {
    const body = payload('walmart', 'order-updates-shipped');
    body.payload.order.orderLines[1].status = 'ACKNOWLEDGED';
    const o = only(mapped('walmart', 'ORDER_UPDATES', body), 'OrderUpserted');
    expect(o.status).toBe('partially_fulfilled');
    expect(o).not.toHaveProperty('fulfilledAt');
  });

  it('refuses sub-events the hub does not handle and a missing subEventType', () => {
    const other = payload('walmart', 'order-updates-po-created');
    other.payload.subEventType = 'PO_LINE_ACKNOWLEDGED';
    other.payload.meta.subEventType = 'PO_LINE_ACKNOWLEDGED';
    const none = payload('walmart', 'order-updates-po-created');
    delete none.payload.subEventType;
    delete none.payload.meta;
    expectFailure(failure('walmart', 'ORDER_UPDATES', other), 'unknown-event', /PO_LINE_ACKNOWLEDGED/);
    expectFailure(failure('walmart', 'ORDER_UPDATES', none), 'unknown-event', /no subEventType/);
  });
});

describe('walmart adapter: INVENTORY_OOS and refusals', () => {
  it('maps each ship node to an available count at that node', () => {
    const events = mapped('walmart', 'INVENTORY_OOS', payload('walmart', 'inventory-oos'));
    expect(events).toEqual([
      expect.objectContaining({
        type: 'StockLevelSet',
        sku: 'MUG-RED-350',
        locationId: '722819301',
        quantity: 0,
        bucket: 'available',
        asOf: '2026-03-02T21:15:40.000Z',
      }),
      expect.objectContaining({
        type: 'StockLevelSet',
        sku: 'MUG-RED-350',
        locationId: '722819355',
        quantity: 0,
        bucket: 'available',
      }),
    ]);
  });

  it('names a missing availToSellQty', () => {
    const body = payload('walmart', 'inventory-oos');
    delete body.payload.shipNodes[0].availToSellQty;
    expectFailure(
      failure('walmart', 'INVENTORY_OOS', body),
      'schema',
      /payload\.shipNodes\[0\]\.availToSellQty: required field is missing/,
    );
  });

  it('reads an eventTime without a zone as UTC', () => {
    const body = payload('walmart', 'inventory-oos');
    body.source.eventTime = '2026-03-02T21:15:40.000';
    expect(mapped('walmart', 'INVENTORY_OOS', body)[0]).toMatchObject({ asOf: '2026-03-02T21:15:40.000Z' });
  });

  it('refuses other event types, a missing envelope and non-JSON', () => {
    expectFailure(
      failure('walmart', 'REPORT_STATUS', payload('walmart', 'inventory-oos')),
      'unknown-event',
      /REPORT_STATUS/,
    );
    expectFailure(failure('walmart', 'x', '{"payload":{}}'), 'schema', /source: required field is missing/);
    expectFailure(failure('walmart', 'x', ''), 'malformed');
  });
});
