import type { DeliveryBody } from '#shared/domain/delivery.ts';
import type { BodyStore } from '#shared/ingest/ports.ts';
import { liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';

/**
 * Claim-check storage for delivery bodies above the queue's message limit (SQS: 256 KiB
 * historically), keyed by day so a lifecycle rule can expire old bodies:
 * `bodies/YYYY/MM/DD/<deliveryId>`.
 */
export function bodyKey(deliveryId: string, receivedAt: Date): string {
  const day = receivedAt.toISOString().slice(0, 10).replace(/-/g, '/');
  return `bodies/${day}/${deliveryId}`;
}

export function s3BodyStore(opts: { bucket: string; clients?: { aws?: LiteAwsClient } }): BodyStore {
  let client = opts.clients?.aws;
  const aws = () => (client ??= liteAwsClient());
  return {
    async put({ deliveryId, receivedAt, bytes, contentType }) {
      const key = bodyKey(deliveryId, receivedAt);
      await aws().s3Put(opts.bucket, key, bytes, contentType);
      return { bucket: opts.bucket, key };
    },
  };
}

let defaultClient: LiteAwsClient | undefined;

/** The exact bytes of a delivery's body, wherever they travel (inline text, inline base64, S3). */
export async function getBody(body: DeliveryBody, clients?: { aws?: LiteAwsClient }): Promise<Buffer> {
  if (body.kind === 'inline') return Buffer.from(body.data, body.encoding);
  const aws = clients?.aws ?? (defaultClient ??= liteAwsClient());
  return aws.s3Get(body.bucket, body.key);
}
