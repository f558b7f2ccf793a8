import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { marshall } from '@aws-sdk/util-dynamodb';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsDeliveryQueue } from '#shared/aws/delivery-queue.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { keys } from '#shared/table/keys.ts';
import type { Item } from '#shared/table/port.ts';
import { mixFor, round, type BenchContext } from './lib.ts';

/**
 * The CPU a function spends in its AWS client per request, on this machine: building the request,
 * signing it (SigV4), and parsing the answer. The in-process figures of ingest and normalize use
 * in-memory ports and leave it out, yet in a small function it is stretched by the same CPU share
 * as the handler's own work. Measured with the real clients (ingest's lite client for SendMessage,
 * the SDK's document client for DynamoDB) against a transport that answers at once with what the
 * service answers, so no network time is in the figure. A lower bound: the connection's own work
 * (TLS, the HTTP parser) is not in it either.
 */
export interface ClientCpu {
  /** one SendMessage of a delivery of `messageBytes` by the ingest queue port */
  sqsSendMs: number;
  messageBytes: number;
  /** one GetItem of an order item of `itemBytes` (DynamoDB JSON) by DynamoTable */
  dynamoGetMs: number;
  /** one conditional PutItem of that item by DynamoTable */
  dynamoPutMs: number;
  itemBytes: number;
  /** the mean of a DynamoDB read and a write: what normalize's model charges per request */
  dynamoRequestMs: number;
  requests: number;
}

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

/**
 * CPU time (user + system, this process) per call, not wall time: the figure is what the function
 * is billed CPU for, and it does not grow when other processes share this machine's cores.
 */
async function meanMs(n: number, call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(500, n); i++) await call();
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) await call();
  const used = process.cpuUsage(t);
  return (used.user + used.system) / 1000 / n;
}

export function measureClientCpu(ctx: BenchContext): Promise<ClientCpu> {
  return ctx.memo('client-cpu', async () => {
    const n = ctx.quick ? 1000 : 4000;
    const mix = await mixFor(ctx, 200);
    const item = mix.items.find((it) => it.topic === 'orders/create')!;

    // --- SendMessage, as ingest sends a delivery (SQS JSON protocol; the answer is SQS's)
    const body = JSON.stringify(item.delivery);
    const md5 = createHash('md5').update(body).digest('hex');
    const sqsAnswer = JSON.stringify({ MD5OfMessageBody: md5, MessageId: 'b2c1f5a4-6c1e-4e0b-9a3e-4d6f0f7d2a11' });
    const queue = sqsDeliveryQueue({
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/hub-ingest',
      clients: {
        aws: liteAwsClient({
          env: {
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          },
          fetch: async () =>
            new Response(sqsAnswer, { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' } }),
        }),
      },
    });
    const sqsSendMs = await meanMs(n, () => queue.send(item.delivery));

    // --- GetItem and a conditional PutItem of an order item, through the SDK's document client
    const order: Item = {
      ...keys.order('shopify-us', '5601234567890'),
      type: 'order',
      channel: 'shopify-us',
      orderId: '5601234567890',
      rev: 3,
      updatedAt: '2026-01-15T10:00:00.000Z',
      // about an order item's size: the body's first 1,200 characters stand in for its state
      state: { raw: item.body.slice(0, 1200) },
    };
    const getAnswer = JSON.stringify({ Item: marshall(order, { removeUndefinedValues: true }) });
    let answer = getAnswer;
    const doc = documentClient({
      region: 'us-east-1',
      credentials: CREDENTIALS,
      requestHandler: {
        async handle() {
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/x-amz-json-1.0' },
              body: Readable.from([Buffer.from(answer)]),
            },
          };
        },
      } as never,
    });
    const table = new DynamoTable(doc, 'hub-table');
    const key = keys.order('shopify-us', '5601234567890');
    answer = getAnswer;
    const dynamoGetMs = await meanMs(n, () => table.get(key, { consistent: false }));
    answer = '{}';
    const dynamoPutMs = await meanMs(n, () =>
      table.write([{ kind: 'put', item: order, condition: 'attribute_not_exists(pk)' }]),
    );
    return {
      sqsSendMs: round(sqsSendMs, 4),
      messageBytes: Buffer.byteLength(body),
      dynamoGetMs: round(dynamoGetMs, 4),
      dynamoPutMs: round(dynamoPutMs, 4),
      itemBytes: Buffer.byteLength(getAnswer),
      dynamoRequestMs: round((dynamoGetMs + dynamoPutMs) / 2, 4),
      requests: n,
    };
  });
}
