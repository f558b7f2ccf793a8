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
  accessToken: string;
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
}
