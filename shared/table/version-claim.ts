import { and, type Condition, eq, lt, notExists, or } from '#shared/table/expression.ts';

/**
 * The conditions of a version claim (`sent`, then `confirmed` once delivered), shared by the
 * channel pushes (shared/aws/channel-push.ts) and the outbound subscriptions
 * (shared/aws/outbound-store.ts): of concurrent senders of one version one claims it, and an older
 * version never overwrites a newer one.
 */

/** No version was confirmed yet, or an older one. */
export const unconfirmedBelow = (version: number): Condition => or(notExists('confirmed'), lt('confirmed', version));

/**
 * A version may be claimed for sending when none was sent, an older one was, or this one was and
 * is not confirmed yet (its send failed or was cut short); an older one never. `replay`: the
 * confirmed version may go again too.
 */
export function claimable(version: number, replay = false): Condition {
  const sameVersion = replay ? eq('sent', version) : and(eq('sent', version), unconfirmedBelow(version));
  return or(notExists('sent'), lt('sent', version), sameVersion);
}
