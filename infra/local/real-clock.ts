/**
 * The environment for a process that is not the hub's own — moto standing in for AWS, a browser
 * standing in for a user — without a clock shift the hub's processes may run under (Debian's
 * faketime, as the suite's shifted-clock runs use): AWS's clock is the real one, so moto's SQS
 * visibility timeouts and stream timestamps keep real time, as AWS's do.
 */
export function realClockEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('FAKETIME')) out[k] = v;
  const preload = (env.LD_PRELOAD ?? '')
    .split(/[:\s]+/)
    .filter((lib) => lib && !lib.includes('faketime'))
    .join(':');
  if (preload) out.LD_PRELOAD = preload;
  else delete out.LD_PRELOAD;
  return out;
}
