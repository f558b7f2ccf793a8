import { WriteConflictError } from '#shared/table/port.ts';

/**
 * How many times a conditional write that lost a race is tried in all before the error goes up
 * (and the delivery or stream batch is retried by its queue or stream). Every writer re-reads or
 * re-plans between tries, so a lost race costs one read; eight covers the contention of a busy
 * SKU or counter (16 writers at most per function) while a stuck condition still fails in
 * milliseconds.
 */
export const MAX_CONFLICT_ATTEMPTS = 8;

/**
 * The one conflict-retry loop: runs `attempt` until it returns; on a WriteConflictError runs
 * `onConflict` (re-read, re-plan, back off) and tries again, at most `maxAttempts` times in all.
 * Any other error, or the last conflict, is thrown.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<T>,
  onConflict: (n: number) => Promise<void> | void = () => {},
  maxAttempts = MAX_CONFLICT_ATTEMPTS,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof WriteConflictError) || n >= maxAttempts) throw err;
      await onConflict(n);
    }
  }
}
