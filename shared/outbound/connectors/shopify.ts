import { z } from 'zod';
import type { MsClock } from '#shared/domain/clock.ts';
import { ChannelRateLimited, ChannelRefused } from '#shared/outbound/connectors/errors.ts';

/**
 * Sets a channel's listed quantity on Shopify: GraphQL Admin `inventorySetQuantities` (API
 * 2025-01), `name: "available"`, absolute quantities per (inventory item, location), up to 250 per
 * call. The hub's value is authoritative, so the compare-and-set check is skipped
 * (`ignoreCompareQuantity: true`); staleness is guarded by the hub's own per-(channel, SKU) version
 * instead (a push never goes out below the version already confirmed). `referenceDocumentUri`
 * names the stock-change event, which shows in the merchant's inventory history.
 *
 * Rate limits: Shopify's GraphQL Admin API answers a throttled call with 200 and an error whose
 * `extensions.code` is `THROTTLED`, reporting `throttleStatus` (currently available points and
 * restore rate) in `extensions.cost`; an overloaded shop answers 429 with Retry-After. Both become
 * `ChannelRateLimited` with the seconds to wait, for the queue to delay the push by.
 */
export const SHOPIFY_API_VERSION = '2025-01';
export const SHOPIFY_MAX_QUANTITIES = 250;

export const SET_QUANTITIES_MUTATION = `mutation inventorySetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}`;

export { ChannelRateLimited, ChannelRefused };

export interface ShopifyQuantity {
  /** the numeric inventory item id, as text (never parsed to a number) */
  inventoryItemId: string;
  /** the numeric location id, as text */
  locationId: string;
  quantity: number;
}

const ThrottleStatus = z.object({
  maximumAvailable: z.number(),
  currentlyAvailable: z.number(),
  restoreRate: z.number().positive(),
});
const ResponseSchema = z.object({
  data: z
    .object({
      inventorySetQuantities: z
        .object({
          userErrors: z.array(
            z.object({ code: z.string().nullish(), field: z.array(z.string()).nullish(), message: z.string() }),
          ),
        })
        .nullish(),
    })
    .nullish(),
  errors: z
    .array(z.object({ message: z.string(), extensions: z.object({ code: z.string().optional() }).optional() }))
    .optional(),
  extensions: z
    .object({
      cost: z
        .object({ requestedQueryCost: z.number().optional(), throttleStatus: ThrottleStatus.optional() })
        .optional(),
    })
    .optional(),
});

const gid = (kind: 'InventoryItem' | 'Location', id: string) =>
  id.startsWith('gid://') ? id : `gid://shopify/${kind}/${id}`;

export function shopifyInventoryClient(opts: {
  fetch: typeof fetch;
  credentials: { accessToken: string; baseUrl?: string | undefined };
  /** the shop's admin base, e.g. https://example.myshopify.com (credentials' baseUrl) */
  now?: MsClock;
}) {
  const base = opts.credentials.baseUrl?.replace(/\/$/, '');
  if (!base) throw new ChannelRefused('Shopify credentials need --base-url https://<shop>.myshopify.com');
  const url = `${base}/admin/api/${SHOPIFY_API_VERSION}/graphql.json`;
  return {
    /** Sets `available` to each quantity; `reference` names why (the event), shown in Shopify's history. */
    async setAvailable(quantities: readonly ShopifyQuantity[], reference: string): Promise<void> {
      for (let i = 0; i < quantities.length; i += SHOPIFY_MAX_QUANTITIES) {
        const part = quantities.slice(i, i + SHOPIFY_MAX_QUANTITIES);
        const res = await opts.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-shopify-access-token': opts.credentials.accessToken },
          body: JSON.stringify({
            query: SET_QUANTITIES_MUTATION,
            variables: {
              input: {
                name: 'available',
                reason: 'correction',
                referenceDocumentUri: reference,
                ignoreCompareQuantity: true,
                quantities: part.map((q) => ({
                  inventoryItemId: gid('InventoryItem', q.inventoryItemId),
                  locationId: gid('Location', q.locationId),
                  quantity: q.quantity,
                })),
              },
            },
          }),
        });
        if (res.status === 429) {
          const after = Number(res.headers.get('retry-after'));
          throw new ChannelRateLimited(
            'Shopify answered 429',
            Number.isFinite(after) && after > 0 ? Math.ceil(after) : 2,
          );
        }
        if (res.status === 401 || res.status === 403 || res.status === 404)
          throw new ChannelRefused(`Shopify refused the push: HTTP ${res.status}`);
        if (!res.ok) throw new Error(`Shopify answered HTTP ${res.status}`);
        const body = ResponseSchema.parse(await res.json());
        if (body.errors?.some((e) => e.extensions?.code === 'THROTTLED')) {
          const t = body.extensions?.cost?.throttleStatus;
          const cost = body.extensions?.cost?.requestedQueryCost ?? 10;
          // wait until the bucket has restored enough points for this call
          const wait = t ? Math.max(1, Math.ceil((cost - t.currentlyAvailable) / t.restoreRate)) : 1;
          throw new ChannelRateLimited('Shopify throttled the call (GraphQL cost)', wait);
        }
        if (body.errors?.length)
          throw new Error(`Shopify GraphQL errors: ${body.errors.map((e) => e.message).join('; ')}`);
        const userErrors = body.data?.inventorySetQuantities?.userErrors ?? [];
        if (userErrors.length > 0)
          throw new ChannelRefused(
            `Shopify userErrors: ${userErrors.map((e) => `${e.code ?? ''} ${e.message}`).join('; ')}`,
          );
      }
    },
  };
}
