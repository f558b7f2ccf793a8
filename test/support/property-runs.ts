/**
 * How many generated cases a moto-backed property test runs. `PROPERTY_RUNS` overrides it for a
 * longer search. `npm test` runs the suite three times — the real clock, then a year ahead and a
 * year behind (test/support/shifted-clock.sh, which sets `SHIFTED_CLOCK_PASS`). These tests take
 * their time from fixed clocks, so the shifted passes cannot find in them what the ordinary pass
 * did not: they run an eighth of the cases (at least one), which checks that the test still works
 * under the shifted date, and the ordinary pass keeps the full search.
 */
export function propertyRuns(full: number, env: NodeJS.ProcessEnv = process.env): number {
  if (env.PROPERTY_RUNS) return Number(env.PROPERTY_RUNS);
  return env.SHIFTED_CLOCK_PASS ? Math.max(1, Math.ceil(full / 8)) : full;
}
