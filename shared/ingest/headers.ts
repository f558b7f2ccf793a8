import type { Source } from '#shared/domain/connection.ts';

/**
 * The headers kept with a delivery, per source (lower-cased): what the adapters need to route and
 * order events (topic, event id, timestamps, shop). Authentication headers are never kept: a
 * BigCommerce or Walmart-basic header *is* the secret.
 */
const COMMON = ['content-type'];

const PER_SOURCE: Record<Source, string[]> = {
  shopify: [
    'x-shopify-topic',
    'x-shopify-sub-topic',
    'x-shopify-shop-domain',
    'x-shopify-api-version',
    'x-shopify-webhook-id',
    'x-shopify-event-id',
    'x-shopify-triggered-at',
    'x-shopify-name',
    // "events" webhooks: same names without x-, plus action and resource id
    'shopify-topic',
    'shopify-sub-topic',
    'shopify-shop-domain',
    'shopify-api-version',
    'shopify-webhook-id',
    'shopify-event-id',
    'shopify-triggered-at',
    'shopify-name',
    'shopify-action',
    'shopify-resource-id',
  ],
  woocommerce: [
    'x-wc-webhook-source',
    'x-wc-webhook-topic',
    'x-wc-webhook-resource',
    'x-wc-webhook-event',
    'x-wc-webhook-id',
    'x-wc-webhook-delivery-id',
  ],
  square: ['square-environment', 'square-initial-delivery-timestamp', 'square-retry-number', 'square-retry-reason'],
  'standard-webhooks': ['webhook-id', 'webhook-timestamp', 'svix-id', 'svix-timestamp'],
  walmart: ['wm_sec.timestamp', 'wm_sec.key_id'],
  bigcommerce: [],
  ebay: [],
  amazon: [],
};

export function headersThatMatter(source: Source, headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of [...COMMON, ...PER_SOURCE[source]]) {
    const v = headers[name];
    // bounded: a header is metadata, not a second body
    if (v !== undefined) kept[name] = v.slice(0, 1024);
  }
  return kept;
}
