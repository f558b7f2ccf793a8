import { ChannelRefused } from '#shared/outbound/connectors/errors.ts';
import { bigcommerceInventoryClient } from '#shared/outbound/connectors/bigcommerce.ts';
import { shopifyInventoryClient } from '#shared/outbound/connectors/shopify.ts';
import { squareInventoryClient } from '#shared/outbound/connectors/square.ts';
import type { ChannelConnector } from '#shared/outbound/connectors/types.ts';
import { woocommerceInventoryClient } from '#shared/outbound/connectors/woocommerce.ts';

/**
 * The channel connectors, by the source of the connection a channel pushes through. Each accepts
 * the listing ids its sender's adapter records (docs/senders.md: listing ids and SKUs).
 */
export const CONNECTORS: Readonly<Record<string, ChannelConnector>> = {
  shopify: {
    sets: (listing) => listing.startsWith('inventory_item:'),
    async setAvailable(ctx, req) {
      const { accessToken, baseUrl } = ctx.credentials;
      if (!accessToken) throw new ChannelRefused("the Shopify connection's API credentials name no access token");
      const client = shopifyInventoryClient({ fetch: ctx.fetch, credentials: { accessToken, baseUrl } });
      await client.setAvailable(
        req.quantities.map((q) => ({
          inventoryItemId: q.listing.replace(/^inventory_item:/, ''),
          locationId: q.location,
          quantity: q.quantity,
        })),
        `gid://inventory-hub/StockChange/${encodeURIComponent(req.reference)}`,
      );
    },
  },
  square: {
    // a catalog ITEM_VARIATION id as Square's webhooks and orders name it (no prefix)
    sets: (listing) => /^[A-Za-z0-9_-]+$/.test(listing),
    setAvailable: (ctx, req) => squareInventoryClient(ctx).setAvailable(req),
  },
  bigcommerce: {
    sets: (listing) => /^(variant|product):\d+$/.test(listing),
    setAvailable: (ctx, req) => bigcommerceInventoryClient(ctx).setAvailable(req),
  },
  woocommerce: {
    sets: (listing) => /^(product|variation):\d+$/.test(listing),
    setAvailable: (ctx, req) => woocommerceInventoryClient(ctx).setAvailable(req),
  },
};
