import { createHash } from 'node:crypto';
import type { Source } from '#shared/domain/connection.ts';
import { parseLossless } from '#shared/domain/json-text.ts';

/**
 * The sender's idempotency key for a delivery (docs/webhook-sources.md), or sha256 of the body when
 * the sender gives none. Retries of one event must map to one key; distinct events must not share
 * one.
 */
export function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

type Json = Record<string, unknown>;

function parseObject(body: Buffer): Json | undefined {
  try {
    // an id above 2^53 keeps its digits: rounded, two events could share a key and one be dropped
    const v: unknown = parseLossless(body.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** a usable id: a non-empty string or a finite number, bounded so a hostile body cannot bloat the message */
function idText(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '' && v.length <= 256) return v.trim();
  return undefined;
}

function at(obj: Json | undefined, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[p];
  }
  return cur;
}

function senderKey(source: Source, headers: Record<string, string>, body: Buffer): string | undefined {
  switch (source) {
    case 'shopify':
      // shopify.dev ignore-duplicates names X-Shopify-Event-Id; Webhook-Id is the fallback the
      // Remix docs call the idempotency key. "Events" webhooks drop the x- prefix.
      return (
        idText(headers['x-shopify-event-id']) ??
        idText(headers['shopify-event-id']) ??
        idText(headers['x-shopify-webhook-id']) ??
        idText(headers['shopify-webhook-id'])
      );
    case 'woocommerce': {
      // X-WC-Webhook-Delivery-ID is new on every delivery (wp_hash(id + time)), so the only stable
      // identity is the resource and its modification time. The resource name keeps an order and a
      // product with the same numeric id apart (HPOS orders have their own id sequence).
      const json = parseObject(body);
      const id = idText(at(json, 'id'));
      const modified = idText(at(json, 'date_modified_gmt'));
      if (!id || !modified) return undefined;
      const resource = idText(headers['x-wc-webhook-resource']);
      return `${resource ? `${resource}:` : ''}${id}@${modified}`;
    }
    case 'square':
      return idText(at(parseObject(body), 'event_id'));
    case 'standard-webhooks':
      return idText(headers['webhook-id']) ?? idText(headers['svix-id']);
    case 'walmart':
      return idText(at(parseObject(body), 'source', 'eventId'));
    case 'bigcommerce':
      // `hash` is BigCommerce's own payload hash and its documented dedup value
      return idText(at(parseObject(body), 'hash'));
    case 'ebay':
      return idText(at(parseObject(body), 'notification', 'notificationId'));
    case 'amazon':
      return idText(at(parseObject(body), 'NotificationMetadata', 'NotificationId'));
  }
}

export function dedupKey(source: Source, headers: Record<string, string>, body: Buffer): string {
  return senderKey(source, headers, body) ?? sha256Hex(body);
}
