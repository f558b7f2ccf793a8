import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { MsClock } from '#shared/domain/clock.ts';
import { SQUARE_API, SQUARE_VERSION } from '#shared/hydrate/square-client.ts';
import { ChannelRateLimited, ChannelRefused, channelWaitSeconds, snippet } from '#shared/outbound/connectors/errors.ts';
import type { ListedQuantity, PushRequest } from '#shared/outbound/connectors/types.ts';

/**
 * Sets a channel's listed quantity on Square: Inventory API BatchChangeInventory
 * (`POST /v2/inventory/changes/batch-create`, Bearer token, `Square-Version`), one `PHYSICAL_COUNT`
 * change per (catalog variation, location) in state `IN_STOCK`, the quantity as a decimal string,
 * at most 100 changes per call (Square's limit).
 *
 * - `idempotency_key` is derived from the event and the part of the call, so a retried push is the
 *   same request to Square (it answers the first result again, nothing counted twice);
 * - `occurred_at` is the event's time: Square applies counts in that order, so a late retry of an
 *   older value does not overwrite a newer count Square already holds;
 * - listing ids are the catalog object ids Square's webhooks and orders name (`catalog_object_id`),
 *   as the Square adapter records them; the location is Square's `location_id`.
 *
 * A 429 (`RATE_LIMITED`) waits for `Retry-After` when given; 401/403 and 400/404 (an unknown id, a
 * bad value) are refusals; other errors are retried by the caller.
 */
export const SQUARE_MAX_CHANGES = 100;

const ErrorsSchema = z.looseObject({
  errors: z
    .array(
      z.looseObject({
        category: z.string(),
        code: z.string(),
        detail: z.string().optional(),
        field: z.string().optional(),
      }),
    )
    .optional(),
});

export function squareInventoryClient(opts: {
  fetch: typeof fetch;
  credentials: { accessToken?: string | undefined; baseUrl?: string | undefined };
  now: MsClock;
}) {
  const token = opts.credentials.accessToken;
  if (!token) throw new ChannelRefused("the Square connection's API credentials name no access token (--token)");
  const base = (opts.credentials.baseUrl ?? SQUARE_API).replace(/\/+$/, '');
  return {
    async setAvailable(req: PushRequest): Promise<void> {
      for (let i = 0; i < req.quantities.length; i += SQUARE_MAX_CHANGES) {
        const part: ListedQuantity[] = req.quantities.slice(i, i + SQUARE_MAX_CHANGES);
        // at most 128 characters; the same event and part give the same key on every retry
        const idempotencyKey = createHash('sha256').update(`${req.reference}\u0000${i}`).digest('base64url');
        const res = await opts.fetch(`${base}/v2/inventory/changes/batch-create`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'square-version': SQUARE_VERSION,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify({
            idempotency_key: idempotencyKey,
            changes: part.map((q) => ({
              type: 'PHYSICAL_COUNT',
              physical_count: {
                reference_id: req.reference.slice(0, 255),
                catalog_object_id: q.listing,
                state: 'IN_STOCK',
                location_id: q.location,
                quantity: String(q.quantity),
                occurred_at: req.occurredAt,
              },
            })),
            ignore_unchanged_counts: true,
          }),
        });
        if (res.status === 429)
          throw new ChannelRateLimited('Square answered 429 (RATE_LIMITED)', channelWaitSeconds(res, opts.now()));
        if (res.status === 401 || res.status === 403 || res.status === 400 || res.status === 404) {
          const parsed = ErrorsSchema.safeParse(await res.json().catch(() => undefined));
          const detail = parsed.success
            ? (parsed.data.errors ?? []).map((e) => `${e.code}${e.field ? ` ${e.field}` : ''}: ${e.detail ?? ''}`)
            : [];
          throw new ChannelRefused(`Square refused the push: HTTP ${res.status} ${detail.join('; ')}`.trim());
        }
        if (!res.ok) throw new Error(`Square answered HTTP ${res.status}: ${await snippet(res)}`);
        const body = ErrorsSchema.parse(await res.json());
        if (body.errors?.length)
          throw new ChannelRefused(
            `Square errors: ${body.errors.map((e) => `${e.code}: ${e.detail ?? ''}`).join('; ')}`,
          );
      }
    },
  };
}
