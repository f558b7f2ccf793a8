import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { inputFor, payload } from '#test/fixtures/payloads.ts';
import { expectFailure, failure, mapped, only } from './support.ts';

const S = 'standard-webhooks' as const;

describe('hub format adapter', () => {
  it('maps stock.set to an on-hand count with the base fields', () => {
    // Prepare
    const input = inputFor(S, 'stock.set', payload(S, 'stock-set'));
    // Act
    const events = adapt(input);
    // Assess
    expect(events).toEqual([
      {
        type: 'StockLevelSet',
        channel: input.delivery.channel,
        source: S,
        deliveryId: input.delivery.deliveryId,
        occurredAt: '2026-03-02T09:30:00Z',
        sku: 'MUG-BLUE-350',
        locationId: 'WH-BERLIN',
        quantity: 120,
        bucket: 'on_hand',
        asOf: '2026-03-02T09:29:41Z',
      },
    ]);
  });

  it('dates a count without asOf by the envelope timestamp', () => {
    const body = payload(S, 'stock-set');
    delete body.data.asOf;
    expect(only(mapped(S, 'stock.set', body), 'StockLevelSet').asOf).toBe('2026-03-02T09:30:00Z');
  });

  it('maps bulk stock.set to one event per count, asOf per count then outer', () => {
    const events = mapped(S, 'stock.set', payload(S, 'stock-set-bulk'));
    expect(events.map((e) => e.type === 'StockLevelSet' && [e.sku, e.locationId, e.quantity, e.asOf])).toEqual([
      ['MUG-BLUE-350', 'WH-BERLIN', 118, '2026-03-02T05:58:00Z'],
      ['MUG-RED-350', 'WH-BERLIN', 0, '2026-03-02T05:58:00Z'],
      ['TOWEL-LIN-NAT', 'WH-LODZ', 310, '2026-03-02T05:40:00Z'],
    ]);
  });

  it('names the bad count in a bulk stock.set', () => {
    const body = payload(S, 'stock-set-bulk');
    body.data.counts[2].onHand = 3.5;
    expectFailure(failure(S, 'stock.set', body), 'schema', /data\.counts\[2\]\.onHand/);
    expectFailure(failure(S, 'stock.set', { ...body, data: { counts: [] } }), 'schema', /data\.counts/);
  });

  it('maps stock.adjusted to a movement with its idempotency key', () => {
    const a = only(mapped(S, 'stock.adjusted', payload(S, 'stock-adjusted')), 'StockAdjusted');
    expect(a).toMatchObject({
      sku: 'MUG-BLUE-350',
      locationId: 'WH-BERLIN',
      delta: -2,
      reason: 'damage',
      idempotencyKey: 'wms-adj-000981',
      at: '2026-03-02T10:04:12Z',
    });
  });

  it('refuses a movement without an idempotency key or with an unknown reason', () => {
    const noKey = payload(S, 'stock-adjusted');
    delete noKey.data.idempotencyKey;
    const badReason = payload(S, 'stock-adjusted');
    badReason.data.reason = 'theft';
    expectFailure(failure(S, 'stock.adjusted', noKey), 'schema', /data\.idempotencyKey: required field is missing/);
    expectFailure(failure(S, 'stock.adjusted', badReason), 'schema', /data\.reason/);
  });

  it('maps order.upserted with version as seq and money in the order currency', () => {
    const o = only(mapped(S, 'order.upserted', payload(S, 'order-upserted')), 'OrderUpserted');
    expect(o).toMatchObject({
      orderId: 'P-10042',
      orderNumber: '10042',
      status: 'paid',
      rawStatus: { status: 'paid' },
      createdAt: '2026-03-02T10:58:00Z',
      version: { at: '2026-03-02T11:00:00Z', seq: 2 },
      total: { amount: '41.80', currency: 'EUR' },
      shipToCountry: 'DE',
      lines: [
        { lineId: '1', sku: 'MUG-BLUE-350', quantity: 2, unitPrice: { amount: '12.90', currency: 'EUR' } },
        { lineId: '2', sku: 'MUG-RED-350', quantity: 1, unitPrice: { amount: '16.00', currency: 'EUR' } },
      ],
    });
  });

  it('carries the optional order fields and omits the seq when no version is sent', () => {
    const body = payload(S, 'order-upserted');
    delete body.data.version;
    delete body.data.total;
    Object.assign(body.data, { status: 'fulfilled', fulfilledAt: '2026-03-03T08:00:00Z', locationId: 'WH-BERLIN' });
    const o = only(mapped(S, 'order.upserted', body), 'OrderUpserted');
    expect(o.version).toEqual({ at: '2026-03-02T11:00:00Z' });
    expect(o).not.toHaveProperty('total');
    expect(o).toMatchObject({ status: 'fulfilled', fulfilledAt: '2026-03-03T08:00:00Z', locationId: 'WH-BERLIN' });
  });

  it('carries the customer id (to be hashed) and the quote time, and none when absent', () => {
    // Prepare
    const body = payload(S, 'order-upserted');
    Object.assign(body.data, { customerId: 'C-0042', quotedAt: '2026-02-20T09:00:00Z' });
    // Act
    const o = only(mapped(S, 'order.upserted', body), 'OrderUpserted');
    const bare = only(mapped(S, 'order.upserted', payload(S, 'order-upserted')), 'OrderUpserted');
    // Assess
    expect(o).toMatchObject({ customerRef: 'id:C-0042', quotedAt: '2026-02-20T09:00:00Z' });
    expect(bare).not.toHaveProperty('customerRef');
    expect(bare).not.toHaveProperty('quotedAt');
  });

  it("carries a line's product id (upsell rate), and none when absent", () => {
    // Prepare
    const body = payload(S, 'order-upserted');
    body.data.lines[0].productId = 'MUG-STONEWARE';
    // Act
    const o = only(mapped(S, 'order.upserted', body), 'OrderUpserted');
    // Assess
    expect(o.lines[0]).toMatchObject({ productId: 'MUG-STONEWARE' });
    expect(o.lines.slice(1).filter((l) => 'productId' in l)).toEqual([]);
  });

  it('maps a line named by listingId to the listing it waits for, and shipped units per line', () => {
    // Prepare + Act
    const o = only(mapped(S, 'order.upserted', payload(S, 'order-upserted-partial')), 'OrderUpserted');
    // Assess
    expect(o).toMatchObject({
      orderId: 'P-10043',
      status: 'partially_fulfilled',
      version: { at: '2026-03-02T15:00:00Z', seq: 3 },
    });
    expect(o.lines).toEqual([
      {
        lineId: '1',
        sku: 'MUG-BLUE-350',
        quantity: 3,
        unitPrice: { amount: '12.90', currency: 'EUR' },
        shippedQuantity: 2,
        shippedAt: '2026-03-02T14:40:00Z',
      },
      {
        lineId: '2',
        externalItemId: 'partner-item-5531',
        quantity: 1,
        unitPrice: { amount: '16.00', currency: 'EUR' },
      },
    ]);
  });

  it('refuses a line with neither sku nor listingId, and more units shipped than ordered', () => {
    const neither = payload(S, 'order-upserted-partial');
    delete neither.data.lines[1].listingId;
    const overShipped = payload(S, 'order-upserted-partial');
    overShipped.data.lines[0].shipped = 4;
    expectFailure(failure(S, 'order.upserted', neither), 'schema', /data\.lines\[1\]\.sku: .*listingId/);
    expectFailure(failure(S, 'order.upserted', overShipped), 'schema', /data\.lines\[0\]\.shipped: more units/);
  });

  it('maps fulfillment.recorded to a shipment of its lines, versioned by the envelope time', () => {
    const f = only(mapped(S, 'fulfillment.recorded', payload(S, 'fulfillment-recorded')), 'FulfillmentRecorded');
    expect(f).toMatchObject({
      orderId: 'P-10043',
      fulfillmentId: 'SHP-551',
      shipped: true,
      at: '2026-03-02T14:40:00Z',
      version: { at: '2026-03-02T14:40:00Z' },
      lines: [{ lineId: '1', quantity: 2 }],
    });
    const cancelled = payload(S, 'fulfillment-recorded');
    Object.assign(cancelled.data, { status: 'cancelled', version: 2, updatedAt: '2026-03-02T16:00:00Z' });
    expect(only(mapped(S, 'fulfillment.recorded', cancelled), 'FulfillmentRecorded')).toMatchObject({
      shipped: false,
      version: { at: '2026-03-02T16:00:00Z', seq: 2 },
    });
    const noLines = payload(S, 'fulfillment-recorded');
    noLines.data.lines = [];
    expectFailure(failure(S, 'fulfillment.recorded', noLines), 'schema', /data\.lines/);
  });

  it('refuses a non-canonical status, a float price and a missing line SKU', () => {
    const badStatus = payload(S, 'order-upserted');
    badStatus.data.status = 'shipped';
    const floatPrice = payload(S, 'order-upserted');
    floatPrice.data.lines[0].unitPrice = 12.9;
    const noSku = payload(S, 'order-upserted');
    delete noSku.data.lines[1].sku;
    expectFailure(failure(S, 'order.upserted', badStatus), 'schema', /data\.status/);
    expectFailure(failure(S, 'order.upserted', floatPrice), 'schema', /data\.lines\[0\]\.unitPrice/);
    expectFailure(
      failure(S, 'order.upserted', noSku),
      'schema',
      /data\.lines\[1\]\.sku: a line names its sku or its listingId/,
    );
  });

  it('maps order.cancelled with its line ids', () => {
    const c = only(mapped(S, 'order.cancelled', payload(S, 'order-cancelled')), 'OrderCancelled');
    expect(c).toMatchObject({
      orderId: 'P-10042',
      cancelledAt: '2026-03-02T11:59:30Z',
      reason: 'customer',
      lineIds: ['2'],
    });
  });

  it('maps refund.recorded, defaulting lines to none and restock to false', () => {
    const r = only(mapped(S, 'refund.recorded', payload(S, 'refund-recorded')), 'RefundRecorded');
    expect(r).toMatchObject({
      orderId: 'P-10042',
      refundId: 'R-77',
      amount: { amount: '12.90', currency: 'EUR' },
      processedAt: '2026-03-05T07:59:00Z',
      lines: [{ lineId: '1', sku: 'MUG-BLUE-350', quantity: 1, restock: true, locationId: 'WH-BERLIN' }],
    });
    const bare = payload(S, 'refund-recorded');
    delete bare.data.lines;
    expect(only(mapped(S, 'refund.recorded', bare), 'RefundRecorded').lines).toEqual([]);
    const noRestock = payload(S, 'refund-recorded');
    delete noRestock.data.lines[0].restock;
    expect(only(mapped(S, 'refund.recorded', noRestock), 'RefundRecorded').lines[0]?.restock).toBe(false);
  });

  it('maps listing.mapped, dated by the envelope', () => {
    const m = only(mapped(S, 'listing.mapped', payload(S, 'listing-mapped')), 'ListingMapped');
    expect(m).toMatchObject({ externalId: 'partner-item-5531', sku: 'MUG-BLUE-350', at: '2026-03-01T00:00:00Z' });
  });

  it('refuses unknown types, a missing type or timestamp, and non-JSON bodies', () => {
    expectFailure(failure(S, 'order.deleted', payload(S, 'order-cancelled')), 'unknown-event', /order\.deleted/);
    const noType = payload(S, 'stock-set');
    expectFailure(
      failure(S, 'stock.set', JSON.stringify({ ...noType, type: undefined })),
      'schema',
      /type: required field is missing/,
    );
    expectFailure(failure(S, 'stock.set', { ...noType, timestamp: '2026-03-02 09:30' }), 'schema', /timestamp/);
    expectFailure(failure(S, 'stock.set', { ...noType, data: [] }), 'schema', /data/);
    expectFailure(failure(S, 'stock.set', 'stock.set sku=1'), 'malformed');
  });
});
