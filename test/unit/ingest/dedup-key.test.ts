import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupKey } from '#shared/ingest/dedup-key.ts';

const b = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');

describe('dedup key per sender (docs/webhook-sources.md)', () => {
  it('Shopify: X-Shopify-Event-Id, else the webhook id, else the body hash', () => {
    // Act / Assess
    expect(dedupKey('shopify', { 'x-shopify-event-id': 'ev1', 'x-shopify-webhook-id': 'wh1' }, b('{}'))).toBe('ev1');
    expect(dedupKey('shopify', { 'x-shopify-webhook-id': 'wh1' }, b('{}'))).toBe('wh1');
    expect(dedupKey('shopify', { 'shopify-event-id': 'ev2' }, b('{}'))).toBe('ev2');
    expect(dedupKey('shopify', {}, b('{}'))).toBe(sha(b('{}')));
  });

  it('WooCommerce: resource, id and date_modified_gmt; the delivery id is never used', () => {
    // Prepare
    const body = b({ id: 42, date_modified_gmt: '2026-05-01T10:00:00' });
    // Act / Assess
    expect(dedupKey('woocommerce', { 'x-wc-webhook-resource': 'order', 'x-wc-webhook-delivery-id': 'd1' }, body)).toBe(
      'order:42@2026-05-01T10:00:00',
    );
    expect(dedupKey('woocommerce', {}, body)).toBe('42@2026-05-01T10:00:00');
    expect(dedupKey('woocommerce', { 'x-wc-webhook-delivery-id': 'd1' }, b({ id: 42 }))).toBe(sha(b({ id: 42 })));
  });

  it('keeps every digit of an id above 2^53, so two resources that would round alike keep distinct keys', () => {
    // Prepare
    const first = b('{"id": 9007199254740993, "date_modified_gmt": "2026-05-01T10:00:00"}');
    const second = b('{"id": 9007199254740992, "date_modified_gmt": "2026-05-01T10:00:00"}');
    // Act
    const keys = [dedupKey('woocommerce', {}, first), dedupKey('woocommerce', {}, second)];
    // Assess
    expect(keys).toEqual(['9007199254740993@2026-05-01T10:00:00', '9007199254740992@2026-05-01T10:00:00']);
  });

  it('Square event_id, Walmart source.eventId, BigCommerce hash, eBay notificationId', () => {
    // Act / Assess
    expect(dedupKey('square', {}, b({ event_id: 'sq1' }))).toBe('sq1');
    expect(dedupKey('walmart', {}, b({ source: { eventId: 'wm1' } }))).toBe('wm1');
    expect(dedupKey('bigcommerce', {}, b({ hash: 'abc' }))).toBe('abc');
    expect(dedupKey('ebay', {}, b({ notification: { notificationId: 'n1' } }))).toBe('n1');
  });

  it('Standard Webhooks: webhook-id or svix-id', () => {
    // Act / Assess
    expect(dedupKey('standard-webhooks', { 'webhook-id': 'msg_1' }, b('{}'))).toBe('msg_1');
    expect(dedupKey('standard-webhooks', { 'svix-id': 'msg_2' }, b('{}'))).toBe('msg_2');
  });

  it('falls back to sha256 of the body for missing, empty, non-string or oversized ids and non-JSON', () => {
    // Prepare
    const bodies = [
      b({ event_id: '' }),
      b({ event_id: { nested: 1 } }),
      b({ event_id: 'x'.repeat(300) }),
      b('not json'),
      b('[1]'),
    ];
    // Act
    const keys = bodies.map((body) => dedupKey('square', {}, body));
    // Assess
    expect(keys).toEqual(bodies.map(sha));
  });
});
