import { z } from 'zod';
import { SourceSchema } from '#shared/domain/connection.ts';

/**
 * The message `ingest` puts on the queue: the raw delivery exactly as received, plus who sent it.
 * Parsing happens after the queue (docs/architecture.md, principle 1). Version field `v` lets the
 * normalizer read messages written by an older ingest.
 */
export const DeliveryBodySchema = z.discriminatedUnion('kind', [
  /** inline body; `encoding` says how `data` holds the exact bytes */
  z.object({ kind: z.literal('inline'), encoding: z.enum(['utf8', 'base64']), data: z.string() }),
  /** claim check: the raw bytes are in S3 because they exceed the queue's message limit */
  z.object({ kind: z.literal('s3'), bucket: z.string(), key: z.string(), size: z.number().int().nonnegative() }),
]);
export type DeliveryBody = z.infer<typeof DeliveryBodySchema>;

export const DeliverySchema = z.object({
  v: z.literal(1),
  /** the hub's own id for this delivery (returned in the 202, used as correlation id) */
  deliveryId: z.string().min(1),
  connectionId: z.string().min(1),
  source: SourceSchema,
  channel: z.string().min(1),
  partner: z.string().nullable(),
  /** the connection's allowed locations when it has any (a partner's): normalize enforces them */
  locations: z.array(z.string()).optional(),
  /** the sender's idempotency key (docs/webhook-sources.md), or sha256 of the body when none */
  dedupKey: z.string().min(1),
  receivedAt: z.string().datetime(),
  /** lower-cased names; only the headers the adapters need (topic, event id, timestamps, ...) */
  headers: z.record(z.string(), z.string()),
  body: DeliveryBodySchema,
});
export type Delivery = z.infer<typeof DeliverySchema>;
