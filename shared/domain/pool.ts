/**
 * Bounded concurrency: the one worker pool of the code base. Hand-written (a dozen lines) rather
 * than a library such as p-limit, because callers need to stop starting new work once one task
 * has failed (`stop`), and a pool of `limit` workers draining one index keeps that exact.
 */

/**
 * Calls `fn(i)` for i = 0 … count − 1 with at most `limit` calls in flight, in index order of
 * starting. Stops starting new calls once `stop()` is true. Rejects with the first error thrown
 * (calls already started run on).
 */
export async function forEachLimit(
  count: number,
  limit: number,
  fn: (index: number) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count && !stop()) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** Runs `fn` over items with at most `limit` in flight; settled results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  await forEachLimit(items.length, limit, async (i) => {
    try {
      out[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
    } catch (reason) {
      out[i] = { status: 'rejected', reason };
    }
  });
  return out;
}
