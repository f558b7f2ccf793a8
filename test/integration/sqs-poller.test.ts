import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsPoller } from '#infra/local/sqs-poller.ts';
import { testClients, uniqueName } from '#test/support/aws.ts';

const { sqs } = testClients();

async function queuePair(visibilityTimeoutSeconds: number) {
  const name = uniqueName('poller');
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const q = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
      },
    }),
  );
  return { queueUrl: q.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let poller: SqsPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  poller = undefined;
});

describe('SqsPoller against moto', () => {
  it("brings a failed record back after the overridden visibility timeout, not the queue's", async () => {
    // Prepare: the queue hides a received message for 10 minutes; the override says 1 s
    const { queueUrl } = await queuePair(600);
    const seen: number[] = [];
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'flaky' }));

    // Act
    poller = new SqsPoller({
      sqs,
      queueUrl,
      region: 'us-east-1',
      batchSize: 10,
      batchWindowSeconds: 0,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 1,
      log: () => {},
      handler: async (event) => {
        seen.push(...event.Records.map((r) => Number(r.attributes.ApproximateReceiveCount)));
        return {
          batchItemFailures: seen.length === 1 ? event.Records.map((r) => ({ itemIdentifier: r.messageId })) : [],
        };
      },
    });
    await poller.start();
    await waitFor('the second receive', () => (seen.length >= 2 ? true : undefined), 10_000);

    // Assess
    expect(seen.slice(0, 2)).toEqual([1, 2]);
  });

  it('deletes successes, redelivers the reported failure, and lets SQS move it to the DLQ after maxReceiveCount', async () => {
    // Prepare
    const { queueUrl, dlqUrl } = await queuePair(1);
    const events: SQSEvent[] = [];
    const receivesOfPoison: number[] = [];
    const normalize = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      events.push(event);
      const poison = event.Records.filter((r) => r.body === 'poison');
      for (const r of poison) receivesOfPoison.push(Number(r.attributes.ApproximateReceiveCount));
      return { batchItemFailures: poison.map((r) => ({ itemIdentifier: r.messageId })) };
    };
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ['ok-1', 'poison', 'ok-2'].map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: { source: { DataType: 'String', StringValue: 'shopify' } },
        })),
      }),
    );

    // Act
    poller = new SqsPoller({
      sqs,
      queueUrl,
      handler: normalize,
      region: 'us-east-1',
      batchSize: 10,
      batchWindowSeconds: 1,
      waitTimeSeconds: 1,
      log: () => {},
    });
    await poller.start();
    const dlqMessage = await waitFor('the poison message in the DLQ', async () => {
      const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
      return res.Messages?.[0];
    });

    // Assess
    expect(dlqMessage.Body).toBe('poison');
    // received once, failed, visible again after the 1 s timeout, received a second time, then redriven
    expect(receivesOfPoison).toEqual([1, 2]);
    const okBodies = events.flatMap((e) => e.Records.map((r) => r.body)).filter((b) => b !== 'poison');
    expect(okBodies.sort()).toEqual(['ok-1', 'ok-2']); // deleted after the first success, never seen again
    expect(poller.stats).toMatchObject({ records: 4, deleted: 2, failures: 2, handlerErrors: 0 });
    const left = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(left.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('hands the handler a real SQS event', async () => {
    // Prepare
    const { queueUrl } = await queuePair(30);
    const seen: SQSEvent[] = [];
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"v":1}',
        MessageAttributes: {
          source: { DataType: 'String', StringValue: 'square' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
        },
      }),
    );

    // Act
    poller = new SqsPoller({
      sqs,
      queueUrl,
      handler: async (e) => void seen.push(e),
      region: 'us-east-1',
      batchSize: 5,
      batchWindowSeconds: 0,
      waitTimeSeconds: 1,
    });
    await poller.start();
    await waitFor('a batch', () => (seen.length ? true : undefined));

    // Assess
    const record = seen[0]!.Records[0]!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes!.QueueArn;
    expect(record).toMatchObject({
      body: '{"v":1}',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      messageAttributes: {
        source: { dataType: 'String', stringValue: 'square', stringListValues: [], binaryListValues: [] },
        blob: { dataType: 'Binary', binaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') },
      },
    });
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThan(0);
    expect(record.messageId).toMatch(/.+/);
    expect(record.receiptHandle).toMatch(/.+/);
  });

  it('leaves the whole batch on the queue when the handler throws, and stop() waits for the batch in flight', async () => {
    // Prepare
    const { queueUrl } = await queuePair(1);
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const handler = async (e: SQSEvent) => {
      calls++;
      if (calls === 1) throw new Error('throttled');
      await held; // the second delivery is still being handled when stop() is called
      expect(e.Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2', '2']);
    };
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'a' },
          { Id: 'b', MessageBody: 'b' },
        ],
      }),
    );

    // Act
    poller = new SqsPoller({
      sqs,
      queueUrl,
      handler,
      region: 'us-east-1',
      batchSize: 10,
      batchWindowSeconds: 1,
      waitTimeSeconds: 1,
      log: () => {},
    });
    await poller.start();
    await waitFor('the retry', () => (calls === 2 ? true : undefined));
    const stopping = poller.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 200));
    const stoppedBeforeRelease = stopped;
    release();
    await stopping;
    poller = undefined;

    // Assess
    expect(stoppedBeforeRelease).toBe(false);
    const left = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(left.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });
});
