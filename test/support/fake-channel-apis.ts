import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake channel APIs on 127.0.0.1 for the outbound connectors (shared/outbound/connectors): each
 * implements the documented inventory write the hub makes, its authentication, its error bodies and
 * its rate limit, and keeps the levels it was set to. `failNext` makes the next requests fail as the
 * real API does.
 *
 * - WooCommerce REST v3: `POST /wp-json/wc/v3/products/batch`, `POST /products/{id}/variations/batch`
 *   (at most 100 objects, else 413 `woocommerce_rest_request_entity_too_large`), `GET /products/{id}`,
 *   Basic auth (401 `woocommerce_rest_cannot_view`), an unknown id as the item's own `error`
 *   (`woocommerce_rest_product_invalid_id`, as the batch answer documents per item);
 * - Square: `POST /v2/inventory/changes/batch-create` with `Square-Version`, Bearer token, at most
 *   100 changes (400 `INVALID_ARRAY_LENGTH`), `PHYSICAL_COUNT` changes with a string quantity,
 *   an unknown catalog object 400 `INVALID_VALUE`; the idempotency key answers a repeat with the
 *   first result; counts applied in `occurred_at` order (an older count does not win);
 * - BigCommerce: `PUT /stores/{hash}/v3/inventory/adjustments/absolute`, `X-Auth-Token` (401),
 *   at most 2,000 items, a bad item 422 with the v3 error body; a request quota per window with
 *   `X-Rate-Limit-Requests-Left` / `X-Rate-Limit-Time-Reset-Ms` on every answer and 429 past it.
 */
export interface FakeChannel {
  url: string;
  requests: { method: string; path: string; headers: IncomingMessage['headers']; body: string }[];
  /** `<listing as the channel names it>|<location>` → quantity */
  levels: Map<string, number>;
  failNext(...f: Array<{ status: number; headers?: Record<string, string>; body?: unknown }>): void;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse, state: FakeChannel) => void;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}

async function fakeChannel(handle: Handler): Promise<FakeChannel> {
  const failures: Array<{ status: number; headers?: Record<string, string>; body?: unknown }> = [];
  const state: FakeChannel = {
    url: '',
    requests: [],
    levels: new Map(),
    failNext: (...f) => void failures.push(...f),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const f = failures.shift();
      if (f) return send(res, f.status, f.body ?? { error: `fake failure ${f.status}` }, f.headers);
      handle(req, body, res, state);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

// ---------------------------------------------------------------------------------------------

export interface FakeWooCommerce extends FakeChannel {
  /** product id → its parent (a variation) or 0 (a product) */
  products: Map<string, number>;
}

export async function fakeWooCommerce(opts: { key: string; secret: string }): Promise<FakeWooCommerce> {
  const products = new Map<string, number>();
  const basic = `Basic ${Buffer.from(`${opts.key}:${opts.secret}`).toString('base64')}`;
  const wcError = (code: string, message: string, status: number) => ({ code, message, data: { status } });
  const s = await fakeChannel((req, body, res, state) => {
    if (req.headers.authorization !== basic)
      return send(res, 401, wcError('woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.', 401));
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const get = /^\/wp-json\/wc\/v3\/products\/(\d+)$/.exec(path);
    if (req.method === 'GET' && get) {
      const parent = products.get(get[1]!);
      return parent === undefined
        ? send(res, 404, wcError('woocommerce_rest_product_invalid_id', 'Invalid ID.', 404))
        : send(res, 200, { id: Number(get[1]), parent_id: parent, type: parent ? 'variation' : 'simple' });
    }
    const batch = /^\/wp-json\/wc\/v3\/products(?:\/(\d+)\/variations)?\/batch$/.exec(path);
    if (req.method !== 'POST' || !batch)
      return send(res, 404, wcError('rest_no_route', 'No route was found matching the URL and request method.', 404));
    const input = JSON.parse(body) as {
      update?: Array<{ id: number; stock_quantity?: number; manage_stock?: boolean }>;
    };
    const updates = input.update ?? [];
    if (updates.length > 100)
      return send(
        res,
        413,
        wcError(
          'woocommerce_rest_request_entity_too_large',
          'Unable to accept more than 100 items for this request.',
          413,
        ),
      );
    const parent = batch[1] ? Number(batch[1]) : 0;
    send(res, 200, {
      update: updates.map((u) => {
        if (products.get(String(u.id)) !== parent)
          return {
            id: u.id,
            error: wcError(
              parent ? 'woocommerce_rest_product_variation_invalid_id' : 'woocommerce_rest_product_invalid_id',
              'Invalid ID.',
              400,
            ),
          };
        if (u.stock_quantity !== undefined && u.manage_stock === true)
          state.levels.set(`${u.id}|default`, u.stock_quantity);
        return { id: u.id, manage_stock: u.manage_stock ?? false, stock_quantity: u.stock_quantity ?? null };
      }),
    });
  });
  return Object.assign(s, { products });
}

// ---------------------------------------------------------------------------------------------

export interface FakeSquareInventory extends FakeChannel {
  /** catalog ITEM_VARIATION ids Square knows */
  catalog: Set<string>;
}

export async function fakeSquareInventory(opts: { token: string }): Promise<FakeSquareInventory> {
  const catalog = new Set<string>();
  const answered = new Map<string, string>();
  const countedAt = new Map<string, string>();
  const sqError = (category: string, code: string, detail: string, field?: string) => ({
    errors: [{ category, code, detail, ...(field ? { field } : {}) }],
  });
  const s = await fakeChannel((req, body, res, state) => {
    if (req.headers.authorization !== `Bearer ${opts.token}`)
      return send(res, 401, sqError('AUTHENTICATION_ERROR', 'UNAUTHORIZED', 'This request could not be authorized.'));
    if (req.method !== 'POST' || req.url !== '/v2/inventory/changes/batch-create')
      return send(res, 404, sqError('INVALID_REQUEST_ERROR', 'NOT_FOUND', 'Resource not found.'));
    if (!req.headers['square-version'])
      return send(res, 400, sqError('INVALID_REQUEST_ERROR', 'INVALID_VALUE', 'Square-Version', 'Square-Version'));
    const input = JSON.parse(body) as {
      idempotency_key?: string;
      changes?: Array<{
        type: string;
        physical_count?: {
          catalog_object_id: string;
          location_id: string;
          state: string;
          quantity: unknown;
          occurred_at: string;
        };
      }>;
    };
    if (!input.idempotency_key)
      return send(
        res,
        400,
        sqError('INVALID_REQUEST_ERROR', 'MISSING_REQUIRED_PARAMETER', 'Field must be set', 'idempotency_key'),
      );
    const previous = answered.get(input.idempotency_key);
    if (previous) return send(res, 200, JSON.parse(previous));
    const changes = input.changes ?? [];
    if (changes.length === 0 || changes.length > 100)
      return send(
        res,
        400,
        sqError('INVALID_REQUEST_ERROR', 'INVALID_ARRAY_LENGTH', 'Expected at most 100 changes.', 'changes'),
      );
    for (const [i, c] of changes.entries()) {
      const pc = c.physical_count;
      if (c.type !== 'PHYSICAL_COUNT' || !pc || typeof pc.quantity !== 'string' || !/^\d+(\.\d+)?$/.test(pc.quantity))
        return send(
          res,
          400,
          sqError('INVALID_REQUEST_ERROR', 'INVALID_VALUE', 'Invalid physical count.', `changes[${i}]`),
        );
      if (!catalog.has(pc.catalog_object_id))
        return send(
          res,
          400,
          sqError(
            'INVALID_REQUEST_ERROR',
            'INVALID_VALUE',
            `Object \`${pc.catalog_object_id}\` not found.`,
            `changes[${i}].physical_count.catalog_object_id`,
          ),
        );
    }
    const counts = changes.map((c) => {
      const pc = c.physical_count!;
      const key = `${pc.catalog_object_id}|${pc.location_id}`;
      // Square applies changes by their occurred_at: an older count does not replace a newer one
      if (!countedAt.has(key) || countedAt.get(key)! <= pc.occurred_at) {
        countedAt.set(key, pc.occurred_at);
        state.levels.set(key, Number(pc.quantity));
      }
      return {
        catalog_object_id: pc.catalog_object_id,
        catalog_object_type: 'ITEM_VARIATION',
        state: 'IN_STOCK',
        location_id: pc.location_id,
        quantity: String(state.levels.get(key)),
        calculated_at: pc.occurred_at,
      };
    });
    const answer = { counts };
    answered.set(input.idempotency_key, JSON.stringify(answer));
    send(res, 200, answer);
  });
  return Object.assign(s, { catalog });
}

// ---------------------------------------------------------------------------------------------

export interface FakeBigCommerceInventory extends FakeChannel {
  /** `variant:<id>` / `product:<id>` the store has */
  items: Set<string>;
  /** starts a new rate-limit window */
  resetWindow(): void;
}

export async function fakeBigCommerceInventory(opts: {
  token: string;
  storeHash: string;
  quota?: number;
}): Promise<FakeBigCommerceInventory> {
  const items = new Set<string>();
  const quota = opts.quota ?? 150;
  let used = 0;
  const s = await fakeChannel((req, body, res, state) => {
    if (req.headers['x-auth-token'] !== opts.token)
      return send(res, 401, {
        status: 401,
        title: 'Unauthorized',
        type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes',
      });
    used += 1;
    const rate = {
      'x-rate-limit-requests-quota': String(quota),
      'x-rate-limit-requests-left': String(Math.max(0, quota - used)),
      'x-rate-limit-time-window-ms': '30000',
      'x-rate-limit-time-reset-ms': '15000',
    };
    if (used > quota) return send(res, 429, { status: 429, title: 'Too many requests' }, rate);
    if (req.method !== 'PUT' || req.url !== `/stores/${opts.storeHash}/v3/inventory/adjustments/absolute`)
      return send(res, 404, { status: 404, title: 'The requested resource was not found.' }, rate);
    const input = JSON.parse(body) as {
      items?: Array<{ location_id?: unknown; variant_id?: unknown; product_id?: unknown; quantity?: unknown }>;
    };
    const list = input.items ?? [];
    const errors: Record<string, string> = {};
    if (list.length === 0 || list.length > 2000) errors.items = 'items must hold 1 to 2000 entries';
    for (const [i, it] of list.entries()) {
      const id =
        typeof it.variant_id === 'number'
          ? `variant:${it.variant_id}`
          : typeof it.product_id === 'number'
            ? `product:${it.product_id}`
            : undefined;
      if (typeof it.location_id !== 'number') errors[`items.${i}.location_id`] = 'location_id is required';
      else if (!Number.isInteger(it.quantity) || (it.quantity as number) < 0)
        errors[`items.${i}.quantity`] = 'quantity must be a non-negative integer';
      else if (!id || !items.has(id)) errors[`items.${i}`] = 'Item not found';
    }
    if (Object.keys(errors).length > 0)
      return send(
        res,
        422,
        {
          status: 422,
          title: 'Input is invalid',
          type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes',
          errors,
        },
        rate,
      );
    for (const it of list) {
      const id = typeof it.variant_id === 'number' ? `variant:${it.variant_id}` : `product:${it.product_id}`;
      state.levels.set(`${id}|${it.location_id}`, it.quantity as number);
    }
    send(res, 200, { transaction_id: `txn-${state.requests.length}` }, rate);
  });
  return Object.assign(s, { items, resetWindow: () => void (used = 0) });
}
