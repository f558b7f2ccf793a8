import type { Telemetry } from '#shared/observability/telemetry.ts';
import { MissingCredentialsError, RateLimitedError, UnauthorizedError } from '#shared/hydrate/errors.ts';
import {
  HydrationMessageSchema,
  hydrateMessage,
  recordFetchFailure,
  type HydrateDeps,
} from '#shared/hydrate/hydrate.ts';

export interface HydrateRecordDeps extends HydrateDeps {
  queue: HydrateDeps['queue'] & { changeVisibility(receiptHandle: string, seconds: number): Promise<void> };
  credentials: { forget(connectionId: string): void };
}

/** What the handler needs of an SQS record (the Lambda event record and the local poller's both fit). */
export interface HydrateRecord {
  body: string;
  receiptHandle: string;
  messageId: string;
  attributes: { ApproximateReceiveCount?: string };
}

/**
 * One hydration message: fetched and applied, or thrown back to the queue. A rate limit makes the
 * message visible again after exactly the sender's delay (ChangeMessageVisibility): the Lambda does
 * not sleep through it, and the other records of the batch are not held up.
 */
export async function hydrateRecord(
  record: HydrateRecord,
  deps: HydrateRecordDeps,
  telemetry: Pick<Telemetry, 'hydration' | 'withCorrelationId'> & Partial<Pick<Telemetry, 'quarantined'>>,
): Promise<void> {
  const log = telemetry.withCorrelationId(record.messageId);
  const meta = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount };
  const source = sourceOf(record.body);
  try {
    const outcome = await hydrateMessage(record.body, deps);
    if (outcome.status === 'quarantined') {
      telemetry.quarantined?.(outcome.reason);
      log.warn('fetched order cannot be read: quarantined, not retried', { ...meta, ...outcome });
    } else if (outcome.status === 'not-found') {
      telemetry.hydration(source, 'not-found');
      log.info('order deleted at the sender: recorded, nothing applied', { ...meta, ...outcome });
    } else if (outcome.status === 'listing-mapped') {
      if (outcome.lookedUp) telemetry.hydration(source, 'listing-mapped');
      log.info('listing mapped from the catalog: its waiting deliveries replayed', { ...meta, ...outcome });
    } else if (outcome.status === 'listing-unresolved') {
      // a webhook answered from the catalog's recent "no SKU" made no lookup: nothing to count
      if (!outcome.cooling) telemetry.hydration(source, 'listing-unresolved');
      log.warn('the catalog names no SKU for the listing: its deliveries stay quarantined', { ...meta, ...outcome });
    } else {
      if (outcome.status === 'hydrated') telemetry.hydration(source, 'hydrated');
      log.info(outcome.status, { ...meta, ...outcome });
    }
  } catch (err) {
    if (err instanceof RateLimitedError) {
      telemetry.hydration(source, 'rate-limited');
      await deps.queue.changeVisibility(record.receiptHandle, err.retryAfterSeconds);
      log.warn('rate limited by the sender: retried after its delay', {
        ...meta,
        retryAfterSeconds: err.retryAfterSeconds,
      });
    } else if (err instanceof UnauthorizedError || err instanceof MissingCredentialsError) {
      telemetry.hydration(source, 'unauthorized');
      const connectionId = connectionOf(record.body);
      if (connectionId) deps.credentials.forget(connectionId);
      log.error('API credentials missing or refused: the order cannot be fetched until they are replaced', {
        ...meta,
        connectionId,
        error: err,
      });
    } else {
      telemetry.hydration(source, 'failed');
      log.warn('fetch failed, will retry', { ...meta, error: err as Error });
    }
    await noteFailure(record.body, deps, err).catch((e: unknown) =>
      log.warn('could not record the failure on the pending item', { ...meta, error: e as Error }),
    );
    throw err;
  }
}

/** What `npm run hub -- hydration list` shows for a fetch that did not finish (docs/hydration.md). */
async function noteFailure(body: string, deps: HydrateRecordDeps, err: unknown): Promise<void> {
  let msg: ReturnType<typeof HydrationMessageSchema.parse>;
  try {
    msg = HydrationMessageSchema.parse(JSON.parse(body));
  } catch {
    return;
  }
  const at = deps.now();
  const reason =
    err instanceof RateLimitedError
      ? `rate limited (429): retry after ${err.retryAfterSeconds} s`
      : err instanceof UnauthorizedError || err instanceof MissingCredentialsError
        ? `credentials missing or refused: ${(err as Error).message}`
        : err instanceof Error
          ? err.message
          : String(err);
  await recordFetchFailure(deps.table, msg, {
    reason,
    at,
    ...(err instanceof RateLimitedError ? { retryAt: new Date(at.getTime() + err.retryAfterSeconds * 1000) } : {}),
  });
}

function field(body: string, name: string): string | undefined {
  try {
    const v = (JSON.parse(body) as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
const sourceOf = (body: string) => field(body, 'source') ?? 'unknown';
const connectionOf = (body: string) => field(body, 'connectionId');
