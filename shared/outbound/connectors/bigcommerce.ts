import type { MsClock } from '#shared/domain/clock.ts';
import { BIGCOMMERCE_API } from '#shared/hydrate/bigcommerce-client.ts';
import {
  ChannelRateLimited,
  ChannelRefused,
  channelWaitSeconds,
  numericId,
  snippet,
} from '#shared/outbound/connectors/errors.ts';
import type { ListedQuantity, PushRequest } from '#shared/outbound/connectors/types.ts';

/**
 * Sets a channel's listed quantity on BigCommerce: Inventory API absolute adjustments
 * (`PUT /stores/{store_hash}/v3/inventory/adjustments/absolute`, `X-Auth-Token`), items of
 * `{location_id, variant_id | product_id, quantity}`, at most 2,000 items per call (BigCommerce's
 * payload limit).
 *
 * Chosen over the catalog's variant batch (`PUT /v3/catalog/variants`, `inventory_level`):
 * BigCommerce documents absolute adjustments as the default way to write inventory (the catalog
 * endpoints now call the Inventory API underneath), they take products and variants in one batch
 * of 2,000 (the variant batch takes 50, and products without variants need the product batch of
 * 10), and they name the location.
 *
 * Listing ids are the adapter's: `variant:<id>` or `product:<id>` (a product without variants).
 * BigCommerce's inventory webhooks name no location (the adapter records `default`), so the
 * channel's location `default` is BigCommerce's default location, id 1; a numeric location is
 * used as it is.
 *
 * Rate limits: a 429 waits `X-Rate-Limit-Time-Reset-Ms` (or `Retry-After`); a call that leaves
 * `X-Rate-Limit-Requests-Left: 0` with parts still to send waits the reset before the next part
 * (the whole push goes again later: absolute quantities set twice are the same). 401/403 and
 * 404/422 (unknown id, invalid item) are refusals.
 */
export const BIGCOMMERCE_MAX_ITEMS = 2000;
export const BIGCOMMERCE_DEFAULT_LOCATION_ID = 1;

function item(q: ListedQuantity): Record<string, number> {
  const location_id = q.location === 'default' ? BIGCOMMERCE_DEFAULT_LOCATION_ID : numericId(q.location, 'location');
  const m = /^(variant|product):(.+)$/.exec(q.listing);
  if (!m) throw new ChannelRefused(`BigCommerce listing ${q.listing} is neither variant:<id> nor product:<id>`);
  const id = numericId(m[2]!, m[1]!);
  return m[1] === 'variant'
    ? { location_id, variant_id: id, quantity: q.quantity }
    : { location_id, product_id: id, quantity: q.quantity };
}

export function bigcommerceInventoryClient(opts: {
  fetch: typeof fetch;
  credentials: { accessToken?: string | undefined; baseUrl?: string | undefined; storeHash?: string | undefined };
  now: MsClock;
}) {
  const { accessToken, storeHash } = opts.credentials;
  if (!accessToken) throw new ChannelRefused("the BigCommerce connection's API credentials name no access token");
  if (!storeHash) throw new ChannelRefused("the BigCommerce connection's API credentials name no store hash");
  const base = (opts.credentials.baseUrl ?? BIGCOMMERCE_API).replace(/\/+$/, '');
  const url = `${base}/stores/${encodeURIComponent(storeHash)}/v3/inventory/adjustments/absolute`;
  return {
    async setAvailable(req: PushRequest): Promise<void> {
      const items = req.quantities.map(item);
      for (let i = 0; i < items.length; i += BIGCOMMERCE_MAX_ITEMS) {
        const res = await opts.fetch(url, {
          method: 'PUT',
          headers: { 'x-auth-token': accessToken, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({
            reason: `inventory hub: ${req.reference}`.slice(0, 255),
            items: items.slice(i, i + BIGCOMMERCE_MAX_ITEMS),
          }),
        });
        if (res.status === 429)
          throw new ChannelRateLimited('BigCommerce answered 429', channelWaitSeconds(res, opts.now()));
        if ([401, 403, 404, 422].includes(res.status))
          throw new ChannelRefused(`BigCommerce refused the push: HTTP ${res.status} ${await snippet(res)}`);
        if (!res.ok) throw new Error(`BigCommerce answered HTTP ${res.status}: ${await snippet(res)}`);
        await res.body?.cancel();
        const more = i + BIGCOMMERCE_MAX_ITEMS < items.length;
        if (more && res.headers.get('x-rate-limit-requests-left') === '0')
          throw new ChannelRateLimited(
            'BigCommerce quota used up for this window',
            channelWaitSeconds(res, opts.now()),
          );
      }
    },
  };
}
