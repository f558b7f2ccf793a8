import { ConfigError } from '#shared/domain/config-error.ts';

/**
 * One place that says how SDK clients reach AWS. In Lambda nothing is set and the SDK's defaults
 * apply; locally `HUB_AWS_ENDPOINT` points every client at moto_server (or LocalStack).
 */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  /** the SDK's HTTP handler options (NodeHttpHandler): bounds on one attempt */
  requestHandler?: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean };
}

/**
 * Bounds on one HTTP attempt. The SDK sets none by default, so a connection that stalls (a wedged
 * local endpoint, a half-open socket) would hold a function until its own timeout; with these the
 * attempt fails and the SDK's retry takes over. The request bound is above SQS's longest long poll
 * (20 s). Without `throwOnRequestTimeout` the handler only logs a warning when the bound passes.
 */
export const HTTP_ATTEMPT_BOUNDS = {
  connectionTimeout: 5_000,
  requestTimeout: 30_000,
  throwOnRequestTimeout: true,
} as const;

export function awsClientConfig(env: NodeJS.ProcessEnv = process.env): AwsClientConfig {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = env.HUB_AWS_ENDPOINT;
  if (!endpoint) return { region, requestHandler: { ...HTTP_ATTEMPT_BOUNDS } };
  return {
    region,
    endpoint,
    requestHandler: { ...HTTP_ATTEMPT_BOUNDS },
    // moto accepts any credentials; fixed ones keep a developer's real profile out of local runs
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** A `HUB_*_SECONDS` setting: unset or empty gives `fallback`; anything but a number ≥ 0 is refused. */
export function envSeconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new ConfigError(`${name} must be a non-negative number of seconds, got ${raw}`);
  return n;
}
