import { z } from 'zod';
import type { Clock } from '#shared/domain/clock.ts';
import { BIGCOMMERCE_API } from '#shared/hydrate/bigcommerce-client.ts';
import {
  clampDelay,
  DEFAULT_RETRY_AFTER_SECONDS,
  MissingCredentialsError,
  retryAfterSeconds,
  SenderUnavailableError,
} from '#shared/hydrate/errors.ts';
import { SQUARE_API, SQUARE_VERSION } from '#shared/hydrate/square-client.ts';
import type { ClientOptions } from '#shared/hydrate/types.ts';
import { mapListings } from '#shared/listings/listings.ts';
import type { ApplyResult } from '#shared/normalize/apply.ts';
import type { TablePort } from '#shared/table/port.ts';
import { readAnswer, send } from '#shared/hydrate/answer.ts';

/**
 * A listing id the inventory webhooks name, resolved to the seller's SKU through the sender's
 * catalog (docs/hydration.md):
 *  - Square `inventory.count.updated` names a catalog ITEM_VARIATION id:
 *    `GET /v2/catalog/object/{id}` → `object.item_variation_data.sku`;
 *  - BigCommerce `store/sku/inventory/updated` names `variant:<id>`: `GET /v3/catalog/variants?id:in=<id>`
 *    → `data[0].sku` (the variant list filtered by id needs no product id, which the adapter's
 *    listing id does not keep); `store/product/inventory/updated` names `product:<id>`:
 *    `GET /v3/catalog/products/{id}` → `data.sku`.
 * A 404, an unknown id or an empty SKU is `unresolved` (a mapping by hand is still needed); 429,
 * 401/403 and 5xx throw as the order fetches do (shared/hydrate/errors.ts).
 */
export type CatalogResult = { kind: 'sku'; sku: string } | { kind: 'unresolved'; reason: string };

const squareObjectSchema = z.looseObject({
  object: z.looseObject({
    type: z.string(),
    id: z.string(),
    item_variation_data: z.looseObject({ sku: z.string().optional() }).optional(),
  }),
});
const bcVariantsSchema = z.looseObject({
  data: z.array(z.looseObject({ id: z.number(), sku: z.string().optional() })),
});
const bcProductSchema = z.looseObject({ data: z.looseObject({ id: z.number(), sku: z.string().optional() }) });

async function call(
  sender: 'square' | 'bigcommerce',
  opts: ClientOptions,
  url: string,
  headers: Record<string, string>,
): Promise<{ status: 404 } | { status: 200; json: unknown }> {
  const res = await send(sender, opts.fetch, url, {
    method: 'GET',
    headers: { ...headers, accept: 'application/json' },
  });
  const answer = await readAnswer(sender, res, (r) => {
    const after = retryAfterSeconds(r.headers.get('retry-after'), opts.now());
    const resetMs = Number(r.headers.get('x-rate-limit-time-reset-ms'));
    if (after !== undefined) return after;
    return Number.isFinite(resetMs) && resetMs > 0
      ? clampDelay(Math.ceil(resetMs / 1000))
      : DEFAULT_RETRY_AFTER_SECONDS;
  });
  return 'json' in answer ? { status: 200, json: answer.json } : { status: 404 };
}

/** The senders whose catalog the hub can look a listing up in (resolveCatalogSku). */
export const CATALOG_SOURCES: ReadonlySet<string> = new Set(['square', 'bigcommerce']);

export async function resolveCatalogSku(
  source: string,
  listingId: string,
  opts: ClientOptions,
): Promise<CatalogResult> {
  const token = opts.credentials.accessToken;
  if (!token) throw new MissingCredentialsError("the connection's API credentials name no access token (--token)");
  if (source === 'square') {
    const base = (opts.credentials.baseUrl ?? SQUARE_API).replace(/\/+$/, '');
    const r = await call('square', opts, `${base}/v2/catalog/object/${encodeURIComponent(listingId)}`, {
      authorization: `Bearer ${token}`,
      'square-version': SQUARE_VERSION,
    });
    if (r.status === 404) return { kind: 'unresolved', reason: `square has no catalog object ${listingId}` };
    const parsed = squareObjectSchema.safeParse(r.json);
    if (!parsed.success) throw new SenderUnavailableError('square', 200, 'unreadable catalog object');
    const sku = parsed.data.object.item_variation_data?.sku?.trim();
    if (parsed.data.object.type !== 'ITEM_VARIATION' || !sku)
      return { kind: 'unresolved', reason: `square catalog object ${listingId} is no ITEM_VARIATION with a SKU` };
    return { kind: 'sku', sku };
  }
  if (source === 'bigcommerce') {
    const hash = opts.credentials.storeHash;
    if (!hash) throw new SenderUnavailableError('bigcommerce', undefined, 'no store hash (--store-hash)');
    const base = `${(opts.credentials.baseUrl ?? BIGCOMMERCE_API).replace(/\/+$/, '')}/stores/${encodeURIComponent(hash)}`;
    const m = /^(variant|product):(\d+)$/.exec(listingId);
    if (!m) return { kind: 'unresolved', reason: `${listingId} is not a BigCommerce variant:<id> or product:<id>` };
    const headers = { 'x-auth-token': token };
    if (m[1] === 'variant') {
      const r = await call('bigcommerce', opts, `${base}/v3/catalog/variants?id:in=${m[2]}`, headers);
      const parsed = r.status === 200 ? bcVariantsSchema.safeParse(r.json) : undefined;
      if (parsed && !parsed.success) throw new SenderUnavailableError('bigcommerce', 200, 'unreadable variant list');
      const sku = parsed?.data?.data.find((v) => String(v.id) === m[2])?.sku?.trim();
      return sku ? { kind: 'sku', sku } : { kind: 'unresolved', reason: `bigcommerce variant ${m[2]} has no SKU` };
    }
    const r = await call('bigcommerce', opts, `${base}/v3/catalog/products/${m[2]}`, headers);
    const parsed = r.status === 200 ? bcProductSchema.safeParse(r.json) : undefined;
    if (parsed && !parsed.success) throw new SenderUnavailableError('bigcommerce', 200, 'unreadable product');
    const sku = parsed?.data?.data.sku?.trim();
    return sku ? { kind: 'sku', sku } : { kind: 'unresolved', reason: `bigcommerce product ${m[2]} has no SKU` };
  }
  return { kind: 'unresolved', reason: `no catalog lookup for source ${source}` };
}

/**
 * Resolves a listing through the catalog and writes the answer to the listing map through the
 * same path as `listings map` (a ListingMapped event), so the next webhook for it costs no call.
 */
export async function resolveAndMapListing(
  deps: { table: TablePort; now: Clock; client: ClientOptions },
  req: { source: string; channel: string; listingId: string },
): Promise<CatalogResult & { mapped?: ApplyResult }> {
  const result = await resolveCatalogSku(req.source, req.listingId, deps.client);
  if (result.kind !== 'sku') return result;
  const [applied] = await mapListings(
    deps.table,
    [{ channel: req.channel, externalId: req.listingId, sku: result.sku }],
    deps.now,
  );
  return { ...result, mapped: applied!.result };
}
