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
}

export function awsClientConfig(env: NodeJS.ProcessEnv = process.env): AwsClientConfig {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const endpoint = env.HUB_AWS_ENDPOINT;
  if (!endpoint) return { region };
  return {
    region,
    endpoint,
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
