import type { LiteAwsClient } from '#shared/aws/lite/client.ts';

/**
 * One SendMessage: the body as JSON and string attributes (for triage without parsing bodies).
 * Returning means SQS stored the message redundantly (SQS developer guide).
 */
export async function sendJson(
  aws: LiteAwsClient,
  queueUrl: string,
  body: unknown,
  attributes: Record<string, string>,
): Promise<void> {
  await aws.json({
    service: 'sqs',
    target: 'AmazonSQS.SendMessage',
    input: {
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
      ),
    },
  });
}
