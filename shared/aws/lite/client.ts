import { awsClientConfig } from '#shared/aws/config.ts';
import { signRequest, type Credentials } from '#shared/aws/lite/sigv4.ts';

/**
 * A minimal AWS client for the ingest hot path: JSON-protocol calls (DynamoDB, SQS, Secrets
 * Manager) and S3 object put/get, signed with SigV4 and sent with the runtime's fetch.
 *
 * Why not the SDK here: with SDK 3.11xx one bundled client costs ~450 KB minified (most of it
 * `@smithy/core` and the credential-provider chain), three of them ~600 KB, which doubles the
 * ingest cold start. Lambda hands a function its credentials in environment variables
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN), so the full provider chain buys
 * nothing there. Tools that run elsewhere (CLI against real AWS with a profile) should use the SDK.
 */
export class AwsError extends Error {
  override name = 'AwsError';
  constructor(
    readonly service: string,
    /** the exception name without namespace, e.g. `QueueDoesNotExist`, or `NetworkError` */
    readonly type: string,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${type}: ${message}`, options);
  }
}

export interface LiteAwsClient {
  region: string;
  /** AWS JSON 1.0/1.1 protocol call: POST with X-Amz-Target; returns the parsed response */
  json<T = Record<string, unknown>>(call: JsonCall): Promise<T>;
  /** S3 PutObject (path-style when an endpoint override is set) */
  s3Put(bucket: string, key: string, body: Buffer, contentType?: string): Promise<void>;
  /** S3 GetObject; the exact bytes */
  s3Get(bucket: string, key: string): Promise<Buffer>;
}

export interface JsonCall {
  /** signing name and endpoint prefix: dynamodb, sqs, secretsmanager */
  service: 'dynamodb' | 'sqs' | 'secretsmanager';
  /** e.g. DynamoDB_20120810.GetItem */
  target: string;
  input: unknown;
}

const JSON_VERSION: Record<JsonCall['service'], string> = {
  dynamodb: '1.0',
  sqs: '1.0',
  secretsmanager: '1.1',
};

const RETRYABLE_TYPES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'SlowDown',
  'NetworkError',
  'TimeoutError',
]);

export interface LiteClientOptions {
  env?: NodeJS.ProcessEnv;
  /** per attempt; the sender's own timeout is 10 s (Square) or less, so stay well inside it */
  timeoutMs?: number;
  /** attempts in all, for network errors, throttling and 5xx */
  maxAttempts?: number;
  fetch?: typeof fetch;
}

export function liteAwsClient(opts: LiteClientOptions = {}): LiteAwsClient {
  const env = opts.env ?? process.env;
  const cfg = awsClientConfig(env);
  const region = cfg.region;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const maxAttempts = opts.maxAttempts ?? 3;
  const doFetch = opts.fetch ?? fetch;

  function credentials(): Credentials {
    if (cfg.credentials) return cfg.credentials;
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new AwsError('credentials', 'CredentialsMissing', 0, 'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set');
    }
    return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN };
  }

  function endpoint(service: string): string {
    return cfg.endpoint ?? `https://${service}.${region}.amazonaws.com`;
  }

  async function send(
    service: string,
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | Buffer,
  ) {
    let lastError: AwsError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt * Math.random()));
      const signed = signRequest({ method, url, headers, body }, { service, region, credentials: credentials() });
      delete signed.host; // fetch sets it, from the URL
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers: signed,
          body: method === 'GET' ? undefined : (body as string | Uint8Array<ArrayBuffer>),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        const type = (err as Error)?.name === 'TimeoutError' ? 'TimeoutError' : 'NetworkError';
        lastError = new AwsError(service, type, 0, (err as Error)?.message ?? String(err), { cause: err });
        continue;
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.ok) return bytes;
      lastError = parseError(service, res, bytes);
      if (!(res.status >= 500 || RETRYABLE_TYPES.has(lastError.type))) throw lastError;
    }
    throw lastError ?? new AwsError(service, 'Unknown', 0, 'no attempt made');
  }

  return {
    region,
    async json<T>(call: JsonCall): Promise<T> {
      const body = JSON.stringify(call.input);
      const bytes = await send(
        call.service,
        'POST',
        endpoint(call.service),
        {
          'content-type': `application/x-amz-json-${JSON_VERSION[call.service]}`,
          'x-amz-target': call.target,
        },
        body,
      );
      return (bytes.length ? JSON.parse(bytes.toString('utf8')) : {}) as T;
    },
    async s3Put(bucket, key, body, contentType = 'application/octet-stream') {
      await send('s3', 'PUT', s3Url(bucket, key), { 'content-type': contentType }, body);
    },
    async s3Get(bucket, key) {
      return send('s3', 'GET', s3Url(bucket, key), {}, '');
    },
  };

  function s3Url(bucket: string, key: string): string {
    const path = key.split('/').map(encodeURIComponent).join('/');
    // an endpoint override (moto, LocalStack) is reached path-style; AWS virtual-hosted style
    return cfg.endpoint
      ? `${cfg.endpoint.replace(/\/$/, '')}/${bucket}/${path}`
      : `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
  }
}

function parseError(service: string, res: Response, bytes: Buffer): AwsError {
  const text = bytes.toString('utf8');
  let type = res.headers.get('x-amzn-errortype')?.split(':')[0] ?? '';
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { __type?: string; message?: string; Message?: string };
    type ||= parsed.__type ?? '';
    message = parsed.message ?? parsed.Message ?? message;
  } catch {
    // S3 answers XML: <Error><Code>NoSuchKey</Code><Message>...</Message></Error>
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    if (code) type ||= code;
    message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? message;
  }
  type = type.split('#').pop() || `Http${res.status}`;
  return new AwsError(service, type, res.status, message);
}
