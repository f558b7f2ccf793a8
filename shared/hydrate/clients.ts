import { bigcommerceClient } from '#shared/hydrate/bigcommerce-client.ts';
import { ebayClient } from '#shared/hydrate/ebay-client.ts';
import { squareClient } from '#shared/hydrate/square-client.ts';
import type { ClientOptions, OrderClient } from '#shared/hydrate/types.ts';

/** Senders whose thin order webhooks the hub fetches. */
export const HYDRATED_SOURCES: ReadonlySet<string> = new Set(['square', 'bigcommerce', 'ebay']);

/** Senders whose stock webhooks name catalog ids the hub resolves to SKUs (shared/hydrate/catalog.ts). */
export const CATALOG_SOURCES: ReadonlySet<string> = new Set(['square', 'bigcommerce']);

/** The order client of a source, or undefined for a source the hub does not fetch from. */
export function orderClientFor(source: string, opts: ClientOptions): OrderClient | undefined {
  if (source === 'square') return squareClient(opts);
  if (source === 'bigcommerce') return bigcommerceClient(opts);
  if (source === 'ebay') return ebayClient(opts);
  return undefined;
}
