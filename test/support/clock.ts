import type { Clock, MsClock } from '#shared/domain/clock.ts';

/**
 * The time tests run at, whatever the machine's date: every use case is handed this clock (or one
 * built from another fixed instant), so no test passes only near the day it was written.
 */
export const TEST_NOW = '2026-09-15T12:00:00.000Z';

/** A clock stopped at `iso`. */
export const fixedClock =
  (iso: string = TEST_NOW): Clock =>
  () =>
    new Date(iso);

/** A clock stopped at `iso`, in epoch milliseconds. */
export const fixedMsClock =
  (iso: string = TEST_NOW): MsClock =>
  () =>
    Date.parse(iso);

/**
 * A clock that starts at `iso` when made and then runs with the machine's elapsed time (monotonic,
 * so a shifted or stepped wall clock does not move it): for tests that need time to pass, such as
 * the stock feed's settle window, without depending on the date.
 */
export function runningClock(iso: string = TEST_NOW): Clock & { ms: MsClock } {
  const start = Date.parse(iso);
  const t0 = performance.now();
  const ms = () => start + Math.round(performance.now() - t0);
  return Object.assign(() => new Date(ms()), { ms });
}
