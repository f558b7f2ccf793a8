import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Shopify GraphQL Admin API on 127.0.0.1 for `inventorySetQuantities`: checks the access
 * token, the input (`name` available or on_hand, GIDs, at most 250 quantities), keeps the levels it
 * was set to, and answers as Shopify does when overloaded (429 + Retry-After) or out of query cost
 * (200 with a THROTTLED error and the throttle status). A bucket of `maximumAvailable` points that
 * restores `restoreRate` per second is charged 10 points per mutation.
 */
export interface FakeShopifyAdmin {
  url: string;
  /** `<inventoryItemGid>|<locationGid>` → available */
  levels: Map<string, number>;
  calls: number;
  failNext(...f: Array<'429' | 'throttled' | '500'>): void;
  close(): Promise<void>;
}

export async function fakeShopifyAdmin(token: string): Promise<FakeShopifyAdmin> {
  const failures: Array<'429' | 'throttled' | '500'> = [];
  const state: FakeShopifyAdmin = {
    url: '',
    levels: new Map(),
    calls: 0,
    failNext: (...f) => void failures.push(...f),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.calls += 1;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.url !== '/admin/api/2025-01/graphql.json' || req.method !== 'POST')
        return json(404, { errors: 'Not Found' });
      if (req.headers['x-shopify-access-token'] !== token)
        return json(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
      const failure = failures.shift();
      if (failure === '429')
        return json(429, { errors: 'Exceeded 2 calls per second for api client.' }, { 'retry-after': '2.0' });
      if (failure === '500') return json(500, { errors: 'Internal Server Error' });
      const cost = { requestedQueryCost: 10, actualQueryCost: failure === 'throttled' ? null : 10 };
      const throttleStatus = {
        maximumAvailable: 2000,
        currentlyAvailable: failure === 'throttled' ? 4 : 1990,
        restoreRate: 100,
      };
      if (failure === 'throttled')
        return json(200, {
          errors: [
            {
              message: 'Throttled',
              extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
            },
          ],
          extensions: { cost: { ...cost, throttleStatus } },
        });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        variables: {
          input: {
            name: string;
            reason: string;
            quantities: Array<{ inventoryItemId: string; locationId: string; quantity: number }>;
          };
        };
      };
      const input = body.variables.input;
      const userErrors: Array<{ code: string; field: string[]; message: string }> = [];
      if (!['available', 'on_hand'].includes(input.name))
        userErrors.push({
          code: 'INVALID_NAME',
          field: ['input', 'name'],
          message: 'The quantity name must be either available or on_hand.',
        });
      if (input.quantities.length > 250)
        userErrors.push({
          code: 'INVALID_QUANTITY_INPUT',
          field: ['input', 'quantities'],
          message: 'The quantities input is too large.',
        });
      for (const [i, q] of input.quantities.entries())
        if (
          !/^gid:\/\/shopify\/InventoryItem\/\d+$/.test(q.inventoryItemId) ||
          !/^gid:\/\/shopify\/Location\/\d+$/.test(q.locationId)
        )
          userErrors.push({
            code: 'INVALID_INVENTORY_ITEM',
            field: ['input', 'quantities', String(i)],
            message: 'The specified inventory item could not be found.',
          });
      const changes = userErrors.length
        ? []
        : input.quantities.map((q) => {
            const key = `${q.inventoryItemId}|${q.locationId}`;
            const before = state.levels.get(key) ?? 0;
            state.levels.set(key, q.quantity);
            return { name: input.name, delta: q.quantity - before, quantityAfterChange: null };
          });
      json(200, {
        data: {
          inventorySetQuantities: {
            inventoryAdjustmentGroup: userErrors.length
              ? null
              : { reason: input.reason, referenceDocumentUri: null, changes },
            userErrors,
          },
        },
        extensions: { cost: { ...cost, throttleStatus } },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
