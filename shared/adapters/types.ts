import type { Delivery } from '#shared/domain/delivery.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';

/** What an adapter sees: the queued delivery with its body already decoded to text. */
export interface AdapterInput {
  delivery: Delivery;
  /** the raw body as UTF-8 text (claim-checked bodies are fetched before adapters run) */
  body: string;
}

/** A pure mapping from one delivery to canonical events. Throws AdapterError, nothing else. */
export type Adapter = (input: AdapterInput) => CanonicalEvent[];

/**
 * `ignored` is not poison: the sender's event is understood and the hub has no use for it (a
 * Shopify customers/update a merchant subscribed to). It is acknowledged and counted, never
 * quarantined, since quarantine pages someone about what should have been applied.
 */
export type AdapterErrorKind = 'malformed' | 'schema' | 'unknown-event' | 'ignored';

/**
 * Why a delivery cannot be turned into events. The normalizer quarantines it with this reason
 * (docs/architecture.md, principle 4): retrying would not help.
 */
export class AdapterError extends Error {
  override name = 'AdapterError';
  constructor(
    readonly kind: AdapterErrorKind,
    message: string,
    options?: { cause?: unknown; topic?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.topic !== undefined) this.topic = options.topic;
  }

  /** the sender's event type, where the error is about it (`ignored`, `unknown-event`) */
  readonly topic?: string;
}
