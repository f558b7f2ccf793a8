import { z } from 'zod';
import { mapLimit } from '#shared/domain/pool.ts';
import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { CountedOnHandSchema, type StockLevelSet } from '#shared/domain/events.ts';
import { canSeeLocation } from '#shared/http/auth.ts';
import { HttpError } from '#shared/http/errors.ts';
import { parseInput } from '#shared/http/api.ts';
import { KeyPartSchema } from '#shared/inventory/channel-config.ts';
import type { ApplyCount } from '#shared/inventory/ports.ts';
import { hubLogger } from '#shared/observability/log.ts';

const log = hubLogger('stock');

/**
 * POST /v1/stock/counts: a WMS pushes absolute counts. Each valid row becomes the same
 * `StockLevelSet` event a `stock.set` webhook produces and goes through the normalizer's
 * `applyEvent`, so a count from the API and one from a webhook cannot disagree, and a resent
 * batch changes nothing (a count no newer than the stored one is a no-op).
 */

export const MAX_COUNT_ROWS = 1000;
/** rows applied at once: enough to hide round trips, few enough not to throttle one table */
export const COUNT_CONCURRENCY = 16;
/** a count dated in the future would outrank every movement until then: allow only clock skew */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export const CountRowSchema = z.strictObject({
  sku: KeyPartSchema,
  location: KeyPartSchema,
  onHand: CountedOnHandSchema,
  asOf: z.string().datetime({ offset: true }),
});
export type CountRow = z.infer<typeof CountRowSchema>;

const CountsBodySchema = z.strictObject({
  /** the WMS's channel name (counts are recorded as coming from it); partner keys: their partner */
  channel: KeyPartSchema.optional(),
  counts: z.array(z.unknown()),
});

export interface CountsResult {
  applied: number;
  unchanged: number;
  rows: { row: number; reason: string }[];
}

function reasonOf(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export { mapLimit };

/**
 * Validates every row, refuses the whole batch if it names a location the key may not write
 * (an authorization failure is not a data error: nothing is applied), applies the valid rows and
 * reports the invalid ones by index (`row` = 0-based position in `counts`). Rows that count the
 * same sku and location at the same asOf with different numbers are all invalid (each names the
 * others); identical repeats are applied (the second changes nothing).
 */
export async function postCounts(
  deps: { applyCount: ApplyCount; now: () => Date },
  key: ApiKeyRecord,
  body: unknown,
  meta: { requestId: string },
): Promise<CountsResult> {
  // checked before the schema so a huge batch is refused before any per-row work
  const rowsIn = (body as { counts?: unknown })?.counts;
  if (Array.isArray(rowsIn) && rowsIn.length > MAX_COUNT_ROWS) {
    throw new HttpError(
      413,
      'too_many_rows',
      `at most ${MAX_COUNT_ROWS} counts per request, got ${rowsIn.length}; split the batch`,
    );
  }
  const input = parseInput(CountsBodySchema, body);
  if (
    key.partner !== null &&
    input.channel !== undefined &&
    input.channel !== key.partner &&
    !key.channels?.includes(input.channel)
  ) {
    throw new HttpError(403, 'forbidden', `this API key may not record counts as channel ${input.channel}`);
  }
  const channel = input.channel ?? key.partner ?? 'wms';
  const now = deps.now();
  const invalid: { row: number; reason: string }[] = [];
  const valid: { row: number; count: CountRow }[] = [];
  input.counts.forEach((raw, row) => {
    const res = CountRowSchema.safeParse(raw);
    if (!res.success) return void invalid.push({ row, reason: reasonOf(res.error) });
    if (Date.parse(res.data.asOf) > now.getTime() + MAX_FUTURE_SKEW_MS)
      return void invalid.push({ row, reason: 'asOf: is in the future' });
    valid.push({ row, count: res.data });
  });
  // two rows counting one balance at one time with different numbers: applied concurrently, the
  // last write would win by chance, so neither is taken and both are reported
  const byCount = new Map<string, { row: number; count: CountRow }[]>();
  for (const v of valid) {
    const id = JSON.stringify([v.count.sku, v.count.location, Date.parse(v.count.asOf)]);
    byCount.set(id, [...(byCount.get(id) ?? []), v]);
  }
  const conflicting = new Set<number>();
  for (const group of byCount.values()) {
    if (new Set(group.map((g) => g.count.onHand)).size < 2) continue;
    for (const g of group) {
      conflicting.add(g.row);
      const others = group.filter((o) => o.row !== g.row).map((o) => o.row);
      invalid.push({
        row: g.row,
        reason: `conflicts with row ${others.join(', ')}: same sku, location and asOf with another onHand`,
      });
    }
  }
  if (conflicting.size > 0) {
    valid.splice(0, valid.length, ...valid.filter((v) => !conflicting.has(v.row)));
    invalid.sort((a, b) => a.row - b.row);
  }
  const foreign = valid.filter((v) => !canSeeLocation(key, v.count.location));
  if (foreign.length > 0) {
    throw new HttpError(403, 'forbidden', 'this API key may not write some of these locations; nothing was applied', {
      details: {
        rows: foreign
          .slice(0, 100)
          .map((f) => ({ row: f.row, reason: `location ${f.count.location} is not this key's` })),
      },
    });
  }

  const results = await mapLimit(valid, COUNT_CONCURRENCY, ({ count }) => {
    const asOf = new Date(count.asOf).toISOString();
    const event: StockLevelSet = {
      type: 'StockLevelSet',
      channel,
      source: 'stock-api',
      // the same count resent gets the same id: its effects (and any oversell record) are keyed by it
      deliveryId: `stock-api:${channel}:${count.sku}:${count.location}:${asOf}`,
      occurredAt: now.toISOString(),
      sku: count.sku,
      locationId: count.location,
      quantity: count.onHand,
      bucket: 'on_hand',
      asOf,
    };
    return deps.applyCount(event);
  });
  let applied = 0;
  let unchanged = 0;
  const failed: number[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') r.value === 'applied' ? applied++ : unchanged++;
    else failed.push(valid[i]!.row);
  });
  if (failed.length > 0) {
    // table trouble (throttling, timeouts), not the caller's data: resending the batch is safe
    log.error('count rows failed', {
      requestId: meta.requestId,
      rows: failed.length,
      error: String((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason),
    });
    throw new HttpError(
      503,
      'unavailable',
      'some counts could not be stored; resend the batch (applying a count twice changes nothing)',
      {
        details: { failedRows: failed, applied, unchanged },
      },
    );
  }
  return { applied, unchanged, rows: invalid };
}
