import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { getBody } from '#shared/aws/body-store.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { keys } from '#shared/table/keys.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { freshTable } from '../../support/table.ts';
import { deliveryFor } from '#test/fixtures/payloads.ts';
import { fixedClock } from '../../support/clock.ts';
import { channelList } from '../../support/channels.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/payloads/amazon/${name}`, import.meta.url), 'utf8');

describe('normalize: Amazon SP-API notifications from the SP-API queue', () => {
  it('wraps a raw ORDER_CHANGE notification, keyed by its NotificationId, and applies it once', async () => {
    // Prepare
    const { table, drop } = await freshTable('spapi');
    const raw = fixture('order-change-unshipped.json');
    const n = JSON.parse(raw) as {
      NotificationMetadata: { NotificationId: string };
      Payload: { OrderChangeNotification: { AmazonOrderId: string } };
    };
    const deps = {
      table,
      adapt,
      channels: channelList(),
      loadBody: (d: Delivery) => getBody(d.body),
      now: fixedClock(),
      spapi: { connectionId: 'amazon-spapi', channel: 'amazon-eu' },
    };

    // Act
    const first = await normalizeMessage(raw, deps, { messageId: 'm-1', sentAt: Date.parse('2026-04-01T10:00:00Z') });
    const again = await normalizeMessage(raw, deps, { messageId: 'm-2' });

    // Assess
    expect(first).toMatchObject({ status: 'applied', deliveryId: 'spapi_m-1' });
    expect(again.status).toBe('noop');
    const order = await table.get(keys.order('amazon-eu', n.Payload.OrderChangeNotification.AmazonOrderId));
    expect(order?.state).toMatchObject({ status: 'processing' });
    await drop();
  });

  it('takes only Amazon notifications off the SP-API queue, and only for this seller', async () => {
    // Prepare: a message shaped like an ingest delivery, which anyone the queue policy lets send
    // could write there; and a notification for another seller
    const { table, drop } = await freshTable('spapi');
    const raw = fixture('order-change-unshipped.json');
    const seller = (JSON.parse(raw) as { Payload: { OrderChangeNotification: { SellerId: string } } }).Payload
      .OrderChangeNotification.SellerId;
    const forged = JSON.stringify(
      deliveryFor(
        'standard-webhooks',
        'stock.set',
        { type: 'stock.set', timestamp: '2026-03-02T09:30:00Z', data: { sku: 'MUG', location: 'WH-A', onHand: 0 } },
        { channel: 'wms' },
      ),
    );
    const deps = (sellerId: string) => ({
      table,
      adapt,
      channels: channelList(),
      loadBody: (d: Delivery) => getBody(d.body),
      now: fixedClock(),
      spapi: { connectionId: 'amazon-spapi', channel: 'amazon-eu', sellerId },
    });
    // Act
    const fromQueue = await normalizeMessage(forged, deps(seller), { messageId: 'm-3', fromSpapiQueue: true });
    const otherSeller = await normalizeMessage(raw, deps('A-DIFFERENT-SELLER'), {
      messageId: 'm-4',
      fromSpapiQueue: true,
    });
    const ours = await normalizeMessage(raw, deps(seller), { messageId: 'm-5', fromSpapiQueue: true });
    // Assess
    expect(fromQueue).toMatchObject({ status: 'quarantined', reason: 'forbidden-source' });
    expect(await table.get(keys.balance('MUG', 'WH-A'))).toBeUndefined();
    expect(otherSeller).toMatchObject({ status: 'quarantined', reason: 'forbidden-source' });
    expect(ours.status).toBe('applied');
    await drop();
  });

  it('quarantines an SP-API message when no SP-API source is configured, instead of guessing', async () => {
    const { table, drop } = await freshTable('spapi');
    const out = await normalizeMessage(fixture('order-change-unshipped.json'), {
      table,
      adapt,
      channels: channelList(),
      loadBody: (d) => getBody(d.body),
      now: fixedClock(),
    });
    expect(out).toMatchObject({ status: 'quarantined', reason: 'malformed-message' });
    await drop();
  });
});
