import { createHash, createHmac } from 'node:crypto';
import { systemClock } from '#shared/domain/clock.ts';

/**
 * AWS Signature Version 4 for the few requests the ingest path makes. Written out instead of
 * importing `@smithy/signature-v4` because that package drags in `@smithy/core` (~140 KB minified)
 * and the ingest bundle must stay small for cold starts. The unit test checks every signature
 * against the SDK's own signer, so the two cannot drift apart silently.
 * Algorithm: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  /** absolute URL */
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(pathname: string, service: string): string {
  // S3 signs the path as sent; every other service signs each segment encoded once more
  if (service === 's3') return pathname || '/';
  const segments = pathname.split('/').map((seg) => uriEncode(decodeURIComponent(seg)));
  return segments.join('/') || '/';
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams.entries()].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Returns the headers to send: the given ones plus host, x-amz-date, x-amz-content-sha256 (S3),
 * x-amz-security-token and authorization.
 */
export function signRequest(
  req: SignableRequest,
  opts: { service: string; region: string; credentials: Credentials; now?: Date },
): Record<string, string> {
  const url = new URL(req.url);
  // AWS rejects a signature more than 5 minutes off its own clock: always the real time
  const now = opts.now ?? systemClock();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(req.body);

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  headers.host = url.host;
  headers['x-amz-date'] = amzDate;
  if (opts.service === 's3') headers['x-amz-content-sha256'] = payloadHash;
  if (opts.credentials.sessionToken) headers['x-amz-security-token'] = opts.credentials.sessionToken;

  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalPath(url.pathname, opts.service),
    canonicalQuery(url),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');

  const scope = `${day}/${opts.region}/${opts.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${opts.credentials.secretAccessKey}`, day);
  const kSigning = hmac(hmac(hmac(kDate, opts.region), opts.service), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign).digest('hex');

  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${opts.credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
