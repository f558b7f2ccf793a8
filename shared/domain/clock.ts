/**
 * What reads the time. Nothing in `shared/` reads the wall clock by itself: every use case, cache
 * and adapter is handed a clock by its composition root (the Lambda runtimes, the local hub, the
 * CLI), so tests pass fixed clocks and the suite gives the same answers on any date.
 */
export type Clock = () => Date;

/** The same clock as epoch milliseconds (caches and deadlines compare numbers). */
export type MsClock = () => number;

/** The real wall clock: passed in by composition roots only, never used as a default. */
export function systemClock(): Date {
  return new Date();
}

/** The real wall clock in epoch milliseconds: for composition roots only. */
export function systemMsClock(): number {
  return Date.now();
}

/** A clock's epoch milliseconds. */
export const msClockOf =
  (clock: Clock): MsClock =>
  () =>
    clock().getTime();
