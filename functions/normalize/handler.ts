// placeholder: being written by the normalization work (issue 4)
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  for (const r of event.Records) console.log(JSON.stringify({ msg: 'normalize received', messageId: r.messageId }));
  return { batchItemFailures: [] };
}
