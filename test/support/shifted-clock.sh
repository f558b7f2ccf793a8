#!/usr/bin/env bash
# The suite again with the hub's clock a year ahead and a year behind (`npm test` runs this after
# the ordinary run): no test may pass only near the day it was written. Debian's faketime shifts
# the clock of the test processes and of the hub processes they start; moto (standing in for AWS)
# and the browser keep the real clock (infra/local/real-clock.ts), as AWS and a user's browser would.
# One shift:  bash test/support/shifted-clock.sh +1y   (any faketime offset: -400d, +36h, …)
set -euo pipefail
cd "$(dirname "$0")/../.."
shifts=("$@")
[ ${#shifts[@]} -gt 0 ] || shifts=(+1y -1y)
for shift in "${shifts[@]}"; do
  echo "── the suite with the clock at ${shift} ($(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$shift" date -u +%F))"
  # monotonic time is left alone: timers and timeouts measure real durations. `cdk synth`'s output
  # check (test/infra/synth-quiet.test.ts) runs once, in the ordinary run: it exercises the CDK CLI
  # and the bundler, not the hub's code, and takes a minute
  # SHIFTED_CLOCK_PASS: the moto-backed property tests, whose clocks are fixed, run an eighth of
  # their cases here (test/support/property-runs.ts)
  SHIFTED_CLOCK_PASS="$shift" FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$shift" npx vitest run --reporter=dot --exclude test/infra/synth-quiet.test.ts
done
