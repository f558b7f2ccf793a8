import { liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import type { OutboundMessage, OutboundQueuePort } from '#shared/outbound/deliver.ts';
import type { StockChangeEvent, StockChangePublisher } from '#shared/outbound/events.ts';

/** Events per message: a stock-change event is about 250 bytes, SQS takes 256 KiB per message. */
export const EVENTS_PER_MESSAGE = 200;

/**
 * The outbound queue: the fold publishes its events here (`StockChangePublisher`), and the outbound
 * function sends itself retries with a delay (SendMessage `DelaySeconds`, at most 900).
 */
export function sqsOutboundQueue(opts: {
  queueUrl: string;
  clients?: { aws?: LiteAwsClient };
}): OutboundQueuePort & StockChangePublisher {
  let client = opts.clients?.aws;
  const aws = () => (client ??= liteAwsClient());
  async function send(message: OutboundMessage, delaySeconds: number): Promise<void> {
    await aws().json({
      service: 'sqs',
      target: 'AmazonSQS.SendMessage',
      input: {
        QueueUrl: opts.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
        MessageAttributes: { kind: { DataType: 'String', StringValue: message.kind } },
      },
    });
  }
  return {
    send,
    async publish(events: readonly StockChangeEvent[]) {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE)
        sends.push(send({ kind: 'events', events: events.slice(i, i + EVENTS_PER_MESSAGE) }, 0));
      // a failed send fails the fold batch, which publishes the same events again (same versions)
      await Promise.all(sends);
    },
  };
}
