import type { FetchFn, FetchResult } from '#shared/hydrate/errors.ts';
import type { MsClock } from '#shared/domain/clock.ts';

/** The one order a hydration message asks for, and where the events it becomes are attributed. */
export interface OrderRequest {
  channel: string;
  source: string;
  orderId: string;
  /** the canonical events' deliveryId: names the fetch, so a log line leads back to it */
  deliveryId: string;
  /** the sender's location of the order, when the webhook named one (Square) */
  locationId?: string;
}

/** A connection's API credentials (Secrets Manager `hub/<stage>/connections/<id>/api`). */
export interface ApiCredentials {
  /** a token used as it is (Square, BigCommerce); for eBay, absent when the client credentials below mint one */
  accessToken?: string;
  /** eBay: the application keyset's client id and secret (OAuth Basic auth at the token endpoint) */
  clientId?: string;
  clientSecret?: string;
  /** eBay: the seller's refresh token (refresh-token grant, user tokens); absent: client-credentials grant */
  refreshToken?: string;
  /** eBay: the OAuth scopes asked for, space separated (default: what getOrder needs) */
  scopes?: string;
  /** the API's base URL; the sender's production API when absent (a fake one in local runs) */
  baseUrl?: string;
  /** BigCommerce's store hash, part of every API path */
  storeHash?: string;
}

export interface OrderClient {
  fetchOrder(req: OrderRequest): Promise<FetchResult>;
}

export interface ClientOptions {
  fetch: FetchFn;
  credentials: ApiCredentials;
  now: MsClock;
  /** where minted OAuth tokens are kept between fetches (eBay); a fresh cache when absent */
  tokens?: TokenCache;
}

/** OAuth access tokens minted from a connection's credentials, kept until they expire. */
export interface TokenCache {
  get(key: string, nowMs: number): string | undefined;
  set(key: string, token: string, expiresAtMs: number): void;
  delete(key: string): void;
}

/** A token cache in memory: one per hydrate container, shared by the fetches it makes. */
export function memoryTokenCache(): TokenCache {
  const tokens = new Map<string, { token: string; expiresAtMs: number }>();
  return {
    get(key, nowMs) {
      const hit = tokens.get(key);
      return hit && hit.expiresAtMs > nowMs ? hit.token : undefined;
    },
    set: (key, token, expiresAtMs) => void tokens.set(key, { token, expiresAtMs }),
    delete: (key) => void tokens.delete(key),
  };
}
