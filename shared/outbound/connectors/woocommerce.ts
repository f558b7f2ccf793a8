import { z } from 'zod';
import type { MsClock } from '#shared/domain/clock.ts';
import {
  ChannelRateLimited,
  ChannelRefused,
  channelWaitSeconds,
  numericId,
  snippet,
} from '#shared/outbound/connectors/errors.ts';
import type { PushRequest } from '#shared/outbound/connectors/types.ts';

/**
 * Sets a channel's listed quantity on WooCommerce: REST API v3 batch updates, HTTP Basic auth with
 * the REST API consumer key and secret (over HTTPS):
 *
 * - `product:<id>` (a simple product) → `POST /wp-json/wc/v3/products/batch`
 *   `{update: [{id, manage_stock: true, stock_quantity}]}`;
 * - `variation:<id>` → `POST /wp-json/wc/v3/products/<parent>/variations/batch`, the parent read
 *   once per variation from `GET /wp-json/wc/v3/products/<id>` (`parent_id`; kept in memory: a
 *   variation never changes parent), because the listing id the adapter records carries none;
 * - the adapter maps a variation both as `product:<id>` and `variation:<id>`: the variation wins.
 *
 * At most 100 objects per batch (WooCommerce's default limit; more is a 413). Core WooCommerce
 * keeps one stock figure per product, so the location is ignored (the channel's `default`).
 * A 429 (hosts and security plugins rate-limit the REST API) waits for `Retry-After`; 401/403,
 * 400/404 and an item's own `error` in the batch answer are refusals; 5xx is retried.
 */
export const WOOCOMMERCE_MAX_BATCH = 100;

const ItemResult = z.looseObject({
  id: z.union([z.number(), z.string()]).optional(),
  error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
});
const BatchAnswer = z.looseObject({ update: z.array(ItemResult).optional() });
const ProductAnswer = z.looseObject({ id: z.number(), parent_id: z.number().optional() });

/** variation id → parent product id, per store (a variation never moves to another product) */
const parents = new Map<string, string>();

export function woocommerceInventoryClient(opts: {
  fetch: typeof fetch;
  credentials: { clientId?: string | undefined; clientSecret?: string | undefined; baseUrl?: string | undefined };
  now: MsClock;
}) {
  const { clientId, clientSecret } = opts.credentials;
  if (!clientId || !clientSecret)
    throw new ChannelRefused('WooCommerce credentials need the REST API --consumer-key and --consumer-secret');
  const base = opts.credentials.baseUrl?.replace(/\/+$/, '');
  if (!base) throw new ChannelRefused('WooCommerce credentials need --base-url https://<store>');
  const headers = {
    authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await opts.fetch(`${base}/wp-json/wc/v3${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status === 429)
      throw new ChannelRateLimited('WooCommerce answered 429', channelWaitSeconds(res, opts.now()));
    if ([400, 401, 403, 404, 413].includes(res.status))
      throw new ChannelRefused(`WooCommerce refused ${method} ${path}: HTTP ${res.status} ${await snippet(res)}`);
    if (!res.ok) throw new Error(`WooCommerce answered HTTP ${res.status}: ${await snippet(res)}`);
    return res.json();
  }

  async function parentOf(variationId: string): Promise<string> {
    const key = `${base}\u0000${variationId}`;
    const hit = parents.get(key);
    if (hit) return hit;
    const p = ProductAnswer.parse(await call('GET', `/products/${numericId(variationId, 'variation')}`));
    if (!p.parent_id) throw new ChannelRefused(`WooCommerce product ${variationId} is not a variation`);
    if (parents.size >= 10_000) parents.clear(); // bounded: a warm container serving many stores
    parents.set(key, String(p.parent_id));
    return String(p.parent_id);
  }

  async function batch(path: string, updates: Array<{ id: number; manage_stock: true; stock_quantity: number }>) {
    for (let i = 0; i < updates.length; i += WOOCOMMERCE_MAX_BATCH) {
      const answer = BatchAnswer.parse(
        await call('POST', path, { update: updates.slice(i, i + WOOCOMMERCE_MAX_BATCH) }),
      );
      const failed = (answer.update ?? []).filter((u) => u.error);
      if (failed.length > 0)
        throw new ChannelRefused(
          `WooCommerce refused: ${failed.map((u) => `${u.id ?? '?'} ${u.error!.code}: ${u.error!.message}`).join('; ')}`,
        );
    }
  }

  return {
    async setAvailable(req: PushRequest): Promise<void> {
      const variations = new Set(
        req.quantities.filter((q) => q.listing.startsWith('variation:')).map((q) => q.listing.slice(10)),
      );
      const products: Array<{ id: number; manage_stock: true; stock_quantity: number }> = [];
      const byParent = new Map<string, Array<{ id: number; manage_stock: true; stock_quantity: number }>>();
      for (const q of req.quantities) {
        const m = /^(product|variation):(.+)$/.exec(q.listing);
        if (!m) throw new ChannelRefused(`WooCommerce listing ${q.listing} is neither product:<id> nor variation:<id>`);
        const update = { id: numericId(m[2]!, m[1]!), manage_stock: true as const, stock_quantity: q.quantity };
        if (m[1] === 'product') {
          if (!variations.has(m[2]!)) products.push(update);
          continue;
        }
        const parent = await parentOf(m[2]!);
        byParent.set(parent, [...(byParent.get(parent) ?? []), update]);
      }
      if (products.length > 0) await batch('/products/batch', products);
      for (const [parent, updates] of byParent) await batch(`/products/${parent}/variations/batch`, updates);
    },
  };
}
