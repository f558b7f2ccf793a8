/**
 * Kept apart from listings.ts, which applies events: the normalizer's apply step words its
 * quarantine message with this, and must not import the use cases built on it.
 */

/**
 * What a merchant does about a stock event whose listing has no SKU yet, per sender: the senders
 * that deliver their own mappings say which delivery does it; every sender can be mapped by hand.
 */
export function mappingHint(source: string, channel: string, externalId: string): string {
  const byHand = `npm run hub -- listings map ${channel} ${externalId} <sku>`;
  const bySender: Record<string, string> = {
    shopify: 'a Shopify products/update webhook maps it (subscribe to that topic), or map it by hand',
    woocommerce: 'a WooCommerce product.updated webhook maps it, or map it by hand',
    'standard-webhooks': 'a listing.mapped event from the sender maps it, or map it by hand',
    square: 'Square sends no SKU with inventory counts: map the catalog variation id by hand',
    bigcommerce: 'BigCommerce sends no SKU with inventory changes: map the product or variant id by hand',
  };
  const how = bySender[source] ?? 'map it by hand';
  return `${how}: \`${byHand}\` (or many at once: \`npm run hub -- listings import <file.csv>\`); the deliveries waiting for it are replayed when it is mapped`;
}
