import type { Connection } from '#shared/domain/connection.ts';
import type { Delivery } from '#shared/domain/delivery.ts';

/** Where connections (and their active secrets) live. */
export interface ConnectionStore {
  /**
   * The connection, or undefined when there is none. `fresh` asks for a read past any cache
   * (used once when a signature fails, in case the secrets were just rotated); a store may
   * rate-limit such reads.
   */
  get(id: string, opts?: { fresh?: boolean }): Promise<Connection | undefined>;
  /** create or update the connection and its secrets */
  put(conn: Connection): Promise<void>;
  list(): Promise<Connection[]>;
}

/** The ingest queue. Resolves only once the message is durably accepted. */
export interface DeliveryQueue {
  send(delivery: Delivery): Promise<void>;
}

/** Claim-check storage for bodies larger than a queue message may be. */
export interface BodyStore {
  put(input: {
    deliveryId: string;
    receivedAt: Date;
    bytes: Buffer;
    contentType?: string;
  }): Promise<{ bucket: string; key: string }>;
}

/** eBay's public key for a `kid`, as its Notification API returns it. */
export interface EbayPublicKey {
  /** PEM (eBay returns it with or without line breaks) */
  key: string;
  /** e.g. ECDSA */
  algorithm?: string;
  /** e.g. SHA1 */
  digest?: string;
}

export interface EbayKeyFetcher {
  /** undefined when eBay does not know the kid; throws when eBay cannot be reached */
  get(kid: string): Promise<EbayPublicKey | undefined>;
}

export interface IngestLog {
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface IngestDeps {
  connections: ConnectionStore;
  queue: DeliveryQueue;
  bodies: BodyStore;
  now(): Date;
  ebayKeys: EbayKeyFetcher;
  /** largest queue message in bytes (body + attributes); default 262,144 (SQS' historical limit) */
  maxMessageBytes?: number;
  log?: IngestLog;
  /**
   * Whether a Square connection without `notificationUrl`, or an eBay one without `endpointUrl`,
   * may use the URL the request reached instead. That URL is built from `Host` and
   * `X-Forwarded-Proto`, which whoever calls chooses, so only the local hub (one machine, its own
   * address) derives it; a deployed function refuses such a connection. Default false.
   */
  deriveUrlFromRequest?: boolean;
}

/** An HTTP request as the use case sees it (built by the handler from the Lambda event). */
export interface IngestRequest {
  method: string;
  /** from the route; undefined when the path did not name one */
  connectionId: string | undefined;
  /** lower-cased names */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** the exact bytes received */
  body: Buffer;
  /** the URL the sender called (scheme://host/path?query), as best the edge can tell */
  url: string;
}
