import type { Delivery } from '#shared/domain/delivery.ts';
import type { DeliveryQueue } from '#shared/ingest/ports.ts';
import { liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';

/**
 * The ingest queue: one SendMessage per delivery, body = the Delivery as JSON. deliveryId and
 * source ride as message attributes too, so a DLQ can be triaged without parsing bodies.
 * SendMessage returning means SQS stored the message redundantly (SQS developer guide), which is
 * what lets ingest answer 2xx.
 */
export function sqsDeliveryQueue(opts: { queueUrl: string; clients?: { aws?: LiteAwsClient } }): DeliveryQueue {
  let client = opts.clients?.aws;
  const aws = () => (client ??= liteAwsClient());
  return {
    async send(delivery: Delivery) {
      await aws().json({
        service: 'sqs',
        target: 'AmazonSQS.SendMessage',
        input: {
          QueueUrl: opts.queueUrl,
          MessageBody: JSON.stringify(delivery),
          MessageAttributes: {
            deliveryId: { DataType: 'String', StringValue: delivery.deliveryId },
            source: { DataType: 'String', StringValue: delivery.source },
            connectionId: { DataType: 'String', StringValue: delivery.connectionId },
          },
        },
      });
    },
  };
}
