import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fakeBigCommerceInventory,
  fakeSquareInventory,
  fakeWooCommerce,
  type FakeChannel,
} from '../../test/support/fake-channel-apis.ts';
import { fakeBigCommerce, fakeEbay, fakeSquare } from '../../test/support/fake-senders.ts';
import { fakeShopifyAdmin, type FakeShopifyAdmin } from '../../test/support/fake-shopify-admin.ts';

/**
 * The servers behind `npm run fake-apis`: the fake sender APIs hydration fetches from (Square,
 * BigCommerce and eBay orders and catalogs) and the fake channel APIs the outbound connectors push
 * to (Shopify Admin GraphQL, WooCommerce REST, Square and BigCommerce inventory), on 127.0.0.1 at
 * ephemeral ports. Square and BigCommerce each answer on one URL (orders, catalog and inventory),
 * so one connection's credentials serve both hydration and pushes. Each quantity a channel fake is
 * set to is reported through `onLevel`.
 */
export const FAKE = {
  squareToken: 'fake-square-token',
  bcToken: 'fake-bigcommerce-token',
  bcStore: 'k9x2z',
  shopifyToken: 'shpat_fake_admin_token',
  wooKey: 'ck_fake_key',
  wooSecret: 'cs_fake_secret',
  ebay: { clientId: 'fake-ebay-client', clientSecret: 'fake-ebay-secret', refreshToken: 'fake-ebay-refresh' },
  /** listings the channel fakes know (any Shopify inventory item GID is accepted) */
  shopifyItem: '808950810',
  shopifyLocation: '655441491',
  wooProduct: '799',
  squareVariation: 'W62UWFY35CWMYGVWK6TWJDNI',
  squareLocation: 'L88917AVBK2S5',
  bcVariant: '509',
} as const;

export interface LevelSet {
  api: 'shopify' | 'woocommerce' | 'square' | 'bigcommerce';
  listing: string;
  location: string;
  quantity: number;
}

export interface FakeApis {
  square: Awaited<ReturnType<typeof fakeSquare>> & { inventory: FakeChannel };
  bigcommerce: Awaited<ReturnType<typeof fakeBigCommerce>> & { inventory: FakeChannel };
  ebay: Awaited<ReturnType<typeof fakeEbay>>;
  shopify: FakeShopifyAdmin;
  woocommerce: FakeChannel;
  /** compares the channel fakes' levels with the last call and reports each changed one */
  pollLevels(): void;
  close(): Promise<void>;
}

/**
 * One URL for two fakes: requests whose path matches `toSecond` go to the second. A plain
 * forwarding proxy over node:http: the fakes are the tests' own servers, kept as they are.
 */
async function front(first: string, second: string, toSecond: RegExp): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', toSecond.test(req.url ?? '') ? second : first);
    const out = request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'fake_unreachable', message: 'the fake API behind this URL is down' } }));
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function startFakeApis(onLevel: (l: LevelSet) => void): Promise<FakeApis> {
  const squareOrders = await fakeSquare({ token: FAKE.squareToken });
  const squareInventory = await fakeSquareInventory({ token: FAKE.squareToken });
  const bcOrders = await fakeBigCommerce({ token: FAKE.bcToken, storeHash: FAKE.bcStore });
  const bcInventory = await fakeBigCommerceInventory({ token: FAKE.bcToken, storeHash: FAKE.bcStore });
  const ebay = await fakeEbay(FAKE.ebay);
  const shopify = await fakeShopifyAdmin(FAKE.shopifyToken);
  const woocommerce = await fakeWooCommerce({ key: FAKE.wooKey, secret: FAKE.wooSecret });
  squareInventory.catalog.add(FAKE.squareVariation);
  squareInventory.catalog.add('FKPYM47ZBWJD3RQK7XEBN2QH');
  bcInventory.items.add(`variant:${FAKE.bcVariant}`);
  bcInventory.items.add('product:179');
  woocommerce.products.set(FAKE.wooProduct, 0);
  const squareFront = await front(squareOrders.url, squareInventory.url, /^\/v2\/inventory\//);
  const bcFront = await front(bcOrders.url, bcInventory.url, /^\/stores\/[^/]+\/v3\/inventory\//);
  // the BigCommerce fake counts requests per window until told a new one starts: 30 s, as BigCommerce's
  const windows = setInterval(() => bcInventory.resetWindow(), 30_000);
  windows.unref();

  const seen = new Map<string, number>();
  const watched: Array<[LevelSet['api'], Map<string, number>]> = [
    ['shopify', shopify.levels],
    ['woocommerce', woocommerce.levels],
    ['square', squareInventory.levels],
    ['bigcommerce', bcInventory.levels],
  ];
  const pollLevels = () => {
    for (const [api, levels] of watched)
      for (const [key, quantity] of levels) {
        if (seen.get(`${api}|${key}`) === quantity) continue;
        seen.set(`${api}|${key}`, quantity);
        const [listing = '', location = ''] = key.split('|');
        onLevel({ api, listing, location, quantity });
      }
  };
  const closeServer = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));
  return {
    square: Object.assign(squareOrders, { url: squareFront.url, inventory: squareInventory }),
    bigcommerce: Object.assign(bcOrders, { url: bcFront.url, inventory: bcInventory }),
    ebay,
    shopify,
    woocommerce,
    pollLevels,
    close: async () => {
      clearInterval(windows);
      await Promise.all([closeServer(squareFront.server), closeServer(bcFront.server)]);
      await Promise.all(
        [squareOrders, squareInventory, bcOrders, bcInventory, ebay, shopify, woocommerce].map((f) => f.close()),
      );
    },
  };
}

/** A level as a line: "shopify: inventory_item 808950810 at location 655441491 → 7". */
export function levelLine(l: LevelSet): string {
  const gid = (s: string) => s.replace(/^gid:\/\/shopify\/\w+\//, '');
  if (l.api === 'shopify')
    return `shopify: inventory_item ${gid(l.listing)} at location ${gid(l.location)} → ${l.quantity}`;
  if (l.api === 'woocommerce') return `woocommerce: product ${l.listing} → ${l.quantity}`;
  return `${l.api}: ${l.listing} at location ${l.location} → ${l.quantity}`;
}
