import { createHmac, randomUUID } from 'node:crypto';
import { bigcommerceOrder, ebayOrder, squareOrder } from '../../test/support/fake-senders.ts';
import { loadHubConfig } from './config.ts';
import { FAKE, levelLine, startFakeApis } from './fake-apis-servers.ts';
import { hubStateDir, readHubFile } from './hub-file.ts';

/**
 * `npm run fake-apis`: the fake Square, BigCommerce and eBay APIs the tests use, on 127.0.0.1
 * (ephemeral ports), each holding one order, so a local hub (`npm start`) can hydrate thin orders
 * without real accounts (docs/hydration.md); and the fake channel APIs the outbound connectors push
 * to (Shopify Admin GraphQL, WooCommerce REST, Square and BigCommerce inventory on the same URLs as
 * their orders), logging each quantity they are set to (docs/outbound.md). Prints the
 * `connections credentials` and `channels set … --push` commands that point the hub's connections
 * and channels at them, and for the first Square connection of the hub's config a signed
 * `order.created` webhook to post. Ctrl-C stops them.
 */
const SQUARE_TOKEN = FAKE.squareToken;
const BC_TOKEN = FAKE.bcToken;
const BC_STORE = FAKE.bcStore;
const EBAY = FAKE.ebay;

async function main(): Promise<void> {
  const apis = await startFakeApis((l) => console.log(levelLine(l)));
  const { square, bigcommerce: bc, ebay, shopify, woocommerce } = apis;
  const orderId = `fake-${randomUUID().slice(0, 8)}`;
  const now = new Date().toISOString();
  square.orders.set(orderId, squareOrder({ id: orderId, version: 1, created_at: now, updated_at: now }));
  bc.orders.set('118', bigcommerceOrder());
  ebay.orders.set('12-11223-44556', ebayOrder());
  // catalogs: the listings the fixtures' stock webhooks name, looked up when the hub has no SKU for them
  const variation = (id: string, sku: string) => ({
    type: 'ITEM_VARIATION',
    id,
    present_at_all_locations: true,
    item_variation_data: { item_id: 'LRAK6VPQCNQL3RJJV4KM2XLU', name: sku, sku, pricing_type: 'FIXED_PRICING' },
  });
  square.catalog.set('W62UWFY35CWMYGVWK6TWJDNI', variation('W62UWFY35CWMYGVWK6TWJDNI', 'MUG-WHT'));
  square.catalog.set('FKPYM47ZBWJD3RQK7XEBN2QH', variation('FKPYM47ZBWJD3RQK7XEBN2QH', 'TEE-BLK-M'));
  bc.variants.set('509', { id: 509, product_id: 179, sku: 'LAMP-BRASS-S' });
  bc.catalogProducts.set('179', { id: 179, name: 'Brass lamp', type: 'physical', sku: 'LAMP-BRASS' });

  const loaded = (() => {
    try {
      return loadHubConfig(process.env);
    } catch {
      return undefined;
    }
  })();
  const conns = loaded?.config.connections ?? [];
  const idOf = (source: string, fallback: string) => conns.find((c) => c.source === source)?.id ?? fallback;
  const channelOf = (source: string, fallback: string) => conns.find((c) => c.source === source)?.channel ?? fallback;
  const sq = conns.find((c) => c.source === 'square');
  const hubUrl = readHubFile(hubStateDir())?.url ?? 'http://127.0.0.1:3000';

  const lines = [
    'fake sender APIs on 127.0.0.1:',
    `  Square      ${square.url}   (token ${SQUARE_TOKEN}; order ${orderId})`,
    `  BigCommerce ${bc.url}   (token ${BC_TOKEN}, store hash ${BC_STORE}; order 118)`,
    `  eBay        ${ebay.url}   (client ${EBAY.clientId}; order 12-11223-44556)`,
    '  catalogs: Square variations W62UWFY35CWMYGVWK6TWJDNI (MUG-WHT), FKPYM47ZBWJD3RQK7XEBN2QH (TEE-BLK-M);',
    '            BigCommerce variant:509 (LAMP-BRASS-S), product:179 (LAMP-BRASS): stock webhooks naming them map themselves',
    '',
    'point the hub at them (in another terminal, with `npm start` running):',
    `  npm run hub -- connections credentials ${idOf('square', '<square connection>')} --token ${SQUARE_TOKEN} --base-url ${square.url}`,
    `  npm run hub -- connections credentials ${idOf('bigcommerce', '<bigcommerce connection>')} --token ${BC_TOKEN} --store-hash ${BC_STORE} --base-url ${bc.url}`,
    `  npm run hub -- connections credentials ${idOf('ebay', '<ebay connection>')} --client-id ${EBAY.clientId} --client-secret ${EBAY.clientSecret} --refresh-token ${EBAY.refreshToken} --base-url ${ebay.url}`,
    '',
    'fake channel APIs the hub pushes stock to (Square and BigCommerce: the URLs above):',
    `  Shopify     ${shopify.url}   (Admin GraphQL, token ${FAKE.shopifyToken}; any inventory item)`,
    `  WooCommerce ${woocommerce.url}   (REST v3, key ${FAKE.wooKey}; product ${FAKE.wooProduct})`,
    `  Square      catalog variation ${FAKE.squareVariation} at location ${FAKE.squareLocation}`,
    `  BigCommerce variant:${FAKE.bcVariant} at the default location (1)`,
    '',
    'point channels at them: credentials, the pushing connection, a listing of SKU-1 on each:',
  ];
  const push: Array<[string, string, string, string, string]> = [
    // source, credentials, location map, listing, fallback names
    [
      'shopify',
      `--token ${FAKE.shopifyToken} --base-url ${shopify.url}`,
      `${FAKE.shopifyLocation}=WH-MAIN`,
      `inventory_item:${FAKE.shopifyItem}`,
      'shopify',
    ],
    [
      'woocommerce',
      `--consumer-key ${FAKE.wooKey} --consumer-secret ${FAKE.wooSecret} --base-url ${woocommerce.url}`,
      'default=WH-MAIN',
      `product:${FAKE.wooProduct}`,
      'woocommerce',
    ],
    [
      'square',
      `--token ${SQUARE_TOKEN} --base-url ${square.url}`,
      `${FAKE.squareLocation}=WH-MAIN`,
      FAKE.squareVariation,
      'square',
    ],
    [
      'bigcommerce',
      `--token ${BC_TOKEN} --store-hash ${BC_STORE} --base-url ${bc.url}`,
      'default=WH-MAIN',
      `variant:${FAKE.bcVariant}`,
      'bigcommerce',
    ],
  ];
  for (const [source, creds, locationMap, listing, name] of push) {
    const conn = idOf(source, `<${name} connection>`);
    const channel = channelOf(source, `<${name} channel>`);
    lines.push(
      `  npm run hub -- connections credentials ${conn} ${creds}`,
      `  npm run hub -- channels set ${channel} --location-map ${locationMap} --push ${conn} --push-location ${locationMap.split('=')[0]}`,
      `  npm run hub -- listings map ${channel} ${listing} SKU-1`,
    );
  }
  lines.push(
    '',
    'then count SKU-1 at WH-MAIN (with the `export HUB=… KEY=…` line `npm start` printed):',
    `  curl -sS -X POST "$HUB/v1/stock/counts" -H "authorization: Bearer $KEY" -H 'content-type: application/json' \\`,
    `    -d '{"channel":"wms","counts":[{"sku":"SKU-1","location":"WH-MAIN","onHand":25,"asOf":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}]}'`,
    'within seconds this terminal logs each quantity pushed, e.g.',
    `  shopify: inventory_item ${FAKE.shopifyItem} at location ${FAKE.shopifyLocation} → <its available to sell>`,
  );
  if (sq) {
    // Square signs notificationUrl + body with the subscription's signature key (HMAC-SHA256, base64)
    const body = JSON.stringify({
      merchant_id: 'MLQW2K0X7AB3C',
      type: 'order.created',
      event_id: randomUUID(),
      created_at: now,
      data: {
        type: 'order_created',
        id: orderId,
        object: {
          order_created: {
            created_at: now,
            location_id: 'L88917AVBK2S5',
            order_id: orderId,
            state: 'OPEN',
            version: 1,
          },
        },
      },
    });
    const secret = sq.secrets[0]!;
    const url = sq.notificationUrl ?? `${hubUrl}/webhooks/${sq.id}`;
    const signature = createHmac('sha256', secret)
      .update(url + body)
      .digest('base64');
    lines.push(
      '',
      `then send the thin Square webhook for order ${orderId} (${sq.id}):`,
      `  curl -s -X POST ${hubUrl}/webhooks/${sq.id} -H 'content-type: application/json' \\`,
      `    -H 'x-square-hmacsha256-signature: ${signature}' -H 'square-environment: Production' \\`,
      `    -H 'square-initial-delivery-timestamp: ${now}' \\`,
      `    --data '${body}'`,
      '',
      'within a second or two this terminal logs the fetch, and the order',
      'counts in the KPIs and the dashboard (map its catalog variation first to see its stock reserved:',
      `  npm run hub -- listings map ${sq.channel} W62UWFY35CWMYGVWK6TWJDNI <sku>)`,
    );
  }
  console.log(lines.join('\n'));
  for (const [name, f] of [
    ['square', square],
    ['bigcommerce', bc],
    ['ebay', ebay],
  ] as const) {
    let seen = 0;
    setInterval(() => {
      for (const r of f.requests.slice(seen)) console.log(`${name}: ${r.method} ${r.path}`);
      seen = f.requests.length;
    }, 500).unref();
  }
  setInterval(apis.pollLevels, 500).unref();
  const stop = () => {
    void apis.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => undefined, 1 << 30);
}

await main();
