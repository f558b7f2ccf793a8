import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adapt } from '#shared/adapters/index.ts';
import { getBody } from '#shared/aws/body-store.ts';
import { normalizeMessage } from '#shared/normalize/normalize.ts';
import { keys } from '#shared/normalize/keys.ts';
import type { Delivery } from '#shared/domain/delivery.ts';
import { freshTable } from '../../support/table.ts';
import { fixedClock } from '../../support/clock.ts';
import { channelList } from '../../support/channels.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/payloads/amazon/${name}`, import.meta.url), 'utf8');

describe('normalize: Amazon SP-API notifications from the SP-API queue', () => {
  it('wraps a raw ORDER_CHANGE notification, keyed by its NotificationId, and applies it once', async () => {
    // Prepare
    const { table, drop } = await freshTable('spapi');
    const raw = fixture('order-change-unshipped.json');
    const n = JSON.parse(raw) as { NotificationMetadata: { NotificationId: string }; Payload: { OrderChangeNotification: { AmazonOrderId: string } } };
    const deps = { table, adapt, channels: channelList(), loadBody: (d: Delivery) => getBody(d.body), now: fixedClock(), spapi: { connectionId: 'amazon-spapi', channel: 'amazon-eu' } };

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

  it('quarantines an SP-API message when no SP-API source is configured, instead of guessing', async () => {
    const { table, drop } = await freshTable('spapi');
    const out = await normalizeMessage(fixture('order-change-unshipped.json'), { table, adapt, channels: channelList(), loadBody: (d) => getBody(d.body), now: fixedClock() });
    expect(out).toMatchObject({ status: 'quarantined', reason: 'malformed-message' });
    await drop();
  });
});
