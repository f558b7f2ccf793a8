/**
 * Kept apart from listings.ts, which applies events: the normalizer's apply step words its
 * quarantine message with this, and must not import the use cases built on it.
 */

/**
 * What a merchant does about a stock event whose listing has no SKU yet, per sender: the senders
 * that deliver their own mappings say which delivery does it; every sender can be mapped by hand.
 */
export function mappingHint(source: string, channel: string, externalId: string): string {
  // the command first: list views and log lines cut long messages short
  const command = `\`npm run hub -- listings map ${channel} ${externalId} <sku>\``;
  const bySender: Record<string, string> = {
    shopify: 'or let a Shopify products/update webhook map it: subscribe to that topic',
    woocommerce: 'or let a WooCommerce product.updated webhook map it',
    'standard-webhooks': 'or send a listing.mapped event for it',
    square: 'Square sends no SKU with inventory counts: its catalog variation ids are mapped by hand',
    bigcommerce: 'BigCommerce sends no SKU with inventory changes: its product and variant ids are mapped by hand',
  };
  const why = bySender[source];
  const many = 'many at once: `npm run hub -- listings import <file.csv>`';
  return `map it: ${command} (${why ? `${why}; ` : ''}${many}); the deliveries waiting for it are replayed once it is mapped`;
}
