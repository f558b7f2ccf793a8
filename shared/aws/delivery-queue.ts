import type { Delivery } from '#shared/domain/delivery.ts';
import type { DeliveryQueue } from '#shared/ingest/ports.ts';
import { liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import { sendJson } from '#shared/aws/sqs-send.ts';

/**
 * The ingest queue: one SendMessage per delivery, body = the Delivery as JSON, deliveryId, source
 * and connection as attributes. SendMessage returning is what lets ingest answer 2xx.
 */
export function sqsDeliveryQueue(opts: { queueUrl: string; clients?: { aws?: LiteAwsClient } }): DeliveryQueue {
  let client = opts.clients?.aws;
  const aws = () => (client ??= liteAwsClient());
  return {
    async send(delivery: Delivery) {
      await sendJson(aws(), opts.queueUrl, delivery, {
        deliveryId: delivery.deliveryId,
        source: delivery.source,
        connectionId: delivery.connectionId,
      });
    },
  };
}
