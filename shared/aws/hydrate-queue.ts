import type { HydrationMessage, HydrationQueue } from '#shared/hydrate/hydrate.ts';
import { liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import { sendJson } from '#shared/aws/sqs-send.ts';

export interface SqsHydrationQueue extends HydrationQueue {
  /** hides a received message for exactly `seconds` (a sender's Retry-After), instead of the queue's default */
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

/** The hydration queue: SendMessage from normalize and hydrate, ChangeMessageVisibility from hydrate. */
export function sqsHydrationQueue(opts: { queueUrl: string; clients?: { aws?: LiteAwsClient } }): SqsHydrationQueue {
  let client = opts.clients?.aws;
  const aws = () => (client ??= liteAwsClient());
  return {
    async send(message: HydrationMessage) {
      await sendJson(aws(), opts.queueUrl, message, { source: message.source, connectionId: message.connectionId });
    },
    async changeVisibility(receiptHandle: string, seconds: number) {
      await aws().json({
        service: 'sqs',
        target: 'AmazonSQS.ChangeMessageVisibility',
        input: { QueueUrl: opts.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds },
      });
    },
  };
}
