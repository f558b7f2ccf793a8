import { createHmac, randomUUID } from 'node:crypto';
import {
  bigcommerceOrder,
  ebayOrder,
  fakeBigCommerce,
  fakeEbay,
  fakeSquare,
  squareOrder,
} from '../../test/support/fake-senders.ts';
import { loadHubConfig } from './config.ts';
import { hubStateDir, readHubFile } from './hub-file.ts';

/**
 * `npm run fake-apis`: the fake Square, BigCommerce and eBay APIs the tests use, on 127.0.0.1
 * (ephemeral ports), each holding one order, so a local hub (`npm start`) can hydrate thin orders
 * without real accounts (docs/hydration.md). Prints the `connections credentials` commands that
 * point the hub's connections at them, and for the first Square connection of the hub's config a
 * signed `order.created` webhook to post. Ctrl-C stops them.
 */
const SQUARE_TOKEN = 'fake-square-token';
const BC_TOKEN = 'fake-bigcommerce-token';
const BC_STORE = 'k9x2z';
const EBAY = { clientId: 'fake-ebay-client', clientSecret: 'fake-ebay-secret', refreshToken: 'fake-ebay-refresh' };

async function main(): Promise<void> {
  const square = await fakeSquare({ token: SQUARE_TOKEN });
  const bc = await fakeBigCommerce({ token: BC_TOKEN, storeHash: BC_STORE });
  const ebay = await fakeEbay(EBAY);
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
  ];
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
  const stop = () => {
    void Promise.all([square.close(), bc.close(), ebay.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => undefined, 1 << 30);
}

await main();
