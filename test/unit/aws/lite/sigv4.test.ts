import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { signRequest } from '#shared/aws/lite/sigv4.ts';

const toBytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/** node:crypto in the shape the SDK signer wants (the SDK's own @smithy/hash-node is not installed at top level). */
class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.h.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.h.digest());
  }
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'token/+=',
};
const when = new Date('2026-05-01T10:11:12Z');

async function sdkSignature(
  service: string,
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string,
) {
  const u = new URL(url);
  const signer = new SignatureV4({
    service,
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
    uriEscapePath: service !== 's3',
    applyChecksum: service === 's3',
  });
  const signed = await signer.sign(
    {
      method,
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { ...headers, host: u.host },
      body,
    },
    { signingDate: when },
  );
  return signed.headers.authorization;
}

describe('SigV4 signer', () => {
  it.each([
    [
      'dynamodb',
      'POST',
      'https://dynamodb.eu-west-1.amazonaws.com/',
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      '{"TableName":"t"}',
    ],
    [
      'sqs',
      'POST',
      'https://sqs.eu-west-1.amazonaws.com/',
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
      '{"QueueUrl":"q","MessageBody":"ü"}',
    ],
    [
      'secretsmanager',
      'POST',
      'http://127.0.0.1:5000/',
      { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      '{}',
    ],
    [
      's3',
      'PUT',
      'https://b.s3.eu-west-1.amazonaws.com/bodies/2026/05/01/dlv_01ABC',
      { 'content-type': 'application/json' },
      '{"big":true}',
    ],
    ['s3', 'GET', 'http://127.0.0.1:5000/bucket/bodies/x?versionId=a%20b', {}, ''],
  ])('produces the SDK signature for %s %s', async (service, method, url, headers, body) => {
    // Prepare
    const expected = await sdkSignature(service, method, url, headers, body);
    // Act
    const ours = signRequest({ method, url, headers, body }, { service, region: 'eu-west-1', credentials, now: when });
    // Assess
    expect(ours.authorization).toBe(expected);
  });

  it('changes the signature when the body changes', () => {
    // Prepare
    const req = { method: 'POST', url: 'https://sqs.eu-west-1.amazonaws.com/', headers: {}, body: 'a' };
    const opts = { service: 'sqs', region: 'eu-west-1', credentials, now: when };
    // Act
    const a = signRequest(req, opts).authorization;
    const b = signRequest({ ...req, body: 'b' }, opts).authorization;
    // Assess
    expect(a).not.toBe(b);
  });
});
