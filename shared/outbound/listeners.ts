import type { MsClock } from '#shared/domain/clock.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';

/**
 * Whether anything consumes the stock-change events the fold derives: an active outbound
 * subscription, or a channel configured to be pushed to (`channels set --push`). While nothing
 * does, the fold derives no events at all (no SKU reads, no `ATS#` writes, nothing published:
 * shared/stream/fold-apply.ts foldStreamBatch), which is most of what the events cost a hub that
 * has no outbound.
 */
export interface StockEventListeners {
  /** true when something listens; the answer may be up to the implementation's cache age old */
  any(): Promise<boolean>;
}

/** How long a fold container reuses its answer by default (seconds). */
export const LISTENERS_MAX_AGE_SECONDS = 30;
/** The longest a deployment may set (HUB_LISTENERS_CACHE_SECONDS): a new listener is heard at the latest this long after it was added. */
export const LISTENERS_MAX_AGE_LIMIT_SECONDS = 60;

/** Some channel the hub lists is configured to be pushed to. */
export async function anyChannelPush(channels: ChannelPort): Promise<boolean> {
  return (await channels.list()).some((c) => c.push !== undefined);
}

/**
 * The answer of `check`, reused for `maxAgeSeconds` of the given clock (0: asked every time). A
 * failed check is not kept: the next call asks again (and the batch that asked fails and is
 * retried, rather than folding as if nothing listened).
 */
export function cachedListeners(
  check: () => Promise<boolean>,
  opts: { now: MsClock; maxAgeSeconds?: number },
): StockEventListeners {
  const maxAgeMs = Math.min(opts.maxAgeSeconds ?? LISTENERS_MAX_AGE_SECONDS, LISTENERS_MAX_AGE_LIMIT_SECONDS) * 1000;
  let cached: { at: number; answer: Promise<boolean> } | undefined;
  return {
    any() {
      const t = opts.now();
      // a clock stepped back (t < at) counts as expired, so the answer is never older than maxAge
      if (!cached || t - cached.at >= maxAgeMs || t < cached.at) {
        const answer = check();
        const entry = { at: t, answer };
        cached = entry;
        answer.catch(() => {
          if (cached === entry) cached = undefined;
        });
      }
      return cached.answer;
    },
  };
}
