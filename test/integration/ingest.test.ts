import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { getBody } from '#shared/aws/body-store.ts';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import type { Connection, Source } from '#shared/domain/connection.ts';
import { DeliverySchema, type Delivery } from '#shared/domain/delivery.ts';
import { buildIngestDeps } from '#shared/ingest/deps.ts';
import { createHandler } from '#functions/ingest/handler.ts';
import { runCli } from '#infra/local/cli.ts';
import { testConnection } from '#test/fixtures/ingest-ports.ts';
import { apiEvent, ebayKeyPair, sampleBody, signedRequest, staticEbayKeys } from '#test/fixtures/signing.ts';
import { motoEnv, testClients, uniqueName } from '#test/support/aws.ts';

const sources: Source[] = ['shopify', 'woocommerce', 'square', 'standard-webhooks', 'walmart', 'bigcommerce', 'ebay'];
const ebay = ebayKeyPair();
const context = {} as Context;

let clients: ReturnType<typeof testClients>;
let env: NodeJS.ProcessEnv;
let queueUrl: string;
let bucket: string;
let invoke: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const conns = new Map<Source, Connection>();

async function drain(
  url = queueUrl,
): Promise<{ delivery: Delivery; attributes: Record<string, string | undefined> }[]> {
  const out: { delivery: Delivery; attributes: Record<string, string | undefined> }[] = [];
  for (;;) {
    const res = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (!res.Messages?.length) return out;
    for (const m of res.Messages) {
      out.push({
        delivery: DeliverySchema.parse(JSON.parse(m.Body!)),
        attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
      });
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
    }
  }
}

function handlerFor(overrides: NodeJS.ProcessEnv = {}) {
  const h = createHandler(() => ({ ...buildIngestDeps({ ...env, ...overrides }), ebayKeys: staticEbayKeys(ebay) }));
  return (e: APIGatewayProxyEventV2) => h(e, context) as Promise<APIGatewayProxyStructuredResultV2>;
}

beforeAll(async () => {
  clients = testClients();
  const table = uniqueName('ingest-table');
  bucket = uniqueName('ingest-bodies');
  await clients.dynamo.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    }),
  );
  queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('ingest-queue') }))).QueueUrl!;
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  env = {
    ...motoEnv(),
    HUB_TABLE_NAME: table,
    HUB_INGEST_QUEUE_URL: queueUrl,
    HUB_BODY_BUCKET: bucket,
    HUB_STAGE: uniqueName('it'),
  };
  const store = dynamoConnectionStore({
    tableName: table,
    stage: env.HUB_STAGE,
    clients: { aws: liteAwsClient({ env }) },
    now: () => 0,
  });
  for (const source of sources) {
    const conn = testConnection(source, { id: uniqueName(source), partner: source === 'walmart' ? 'acme' : null });
    conns.set(source, conn);
    await store.put(conn);
  }
  invoke = handlerFor();
});

describe('ingest handler against moto', () => {
  it.each(sources)('%s: accepts a genuine delivery and queues it with its dedup key', async (source) => {
    // Prepare
    const conn = conns.get(source)!;
    const sample = sampleBody(source);
    const signed = signedRequest(source, conn, sample.body, { ...sample.sign, ebay });
    // Act
    const res = await invoke(apiEvent({ path: `/webhooks/${conn.id}`, headers: signed.headers, body: signed.body }));
    // Assess
    expect(res.statusCode).toBe(202);
    const { deliveryId } = JSON.parse(res.body!);
    const messages = await drain();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.delivery).toMatchObject({
      deliveryId,
      connectionId: conn.id,
      source,
      channel: conn.channel,
      partner: conn.partner,
      dedupKey: sample.dedupKey,
    });
    expect(messages[0]!.attributes).toMatchObject({ deliveryId, source });
    expect((await getBody(messages[0]!.delivery.body)).toString()).toBe(sample.body);
  });

  it('rejects each kind of bad input and queues nothing', async () => {
    // Prepare
    const conn = conns.get('shopify')!;
    const path = `/webhooks/${conn.id}`;
    const body = sampleBody('shopify').body;
    const signed = signedRequest('shopify', conn, body);
    const huge = Buffer.alloc(5 * 1024 * 1024 + 1, 'a');
    const events = [
      apiEvent({ path, headers: { ...signed.headers, 'x-shopify-hmac-sha256': 'AAAA' }, body }),
      apiEvent({ path, headers: { 'content-type': 'application/json' }, body }),
      apiEvent({ path, headers: signed.headers, body: body.replace('paid', 'refunded') }),
      apiEvent({ path: '/webhooks/does-not-exist', headers: signed.headers, body }),
      apiEvent({ path, method: 'GET' }),
      apiEvent({ path, headers: signed.headers }),
      apiEvent({ path, headers: signedRequest('shopify', conn, huge).headers, body: huge, base64: true }),
    ];
    // Act
    const answers = [];
    for (const e of events) answers.push(await invoke(e));
    // Assess
    expect(answers.map((a) => a.statusCode)).toEqual([401, 401, 401, 404, 405, 400, 413]);
    for (const a of answers) expect(JSON.parse(a.body!).error.code).toEqual(expect.any(String));
    expect(await drain()).toHaveLength(0);
  });

  it('verifies and keeps the exact bytes of a base64-encoded binary body', async () => {
    // Prepare
    const conn = conns.get('shopify')!;
    const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x7d]);
    const signed = signedRequest('shopify', conn, bytes, { headers: { 'content-type': 'application/octet-stream' } });
    // Act
    const res = await invoke(
      apiEvent({ path: `/webhooks/${conn.id}`, headers: signed.headers, body: bytes, base64: true }),
    );
    // Assess
    expect(res.statusCode).toBe(202);
    const [m] = await drain();
    expect(m!.delivery.body).toMatchObject({ kind: 'inline', encoding: 'base64' });
    expect((await getBody(m!.delivery.body)).equals(bytes)).toBe(true);
  });

  it('takes the connection id from pathParameters when the route provides it', async () => {
    // Prepare
    const conn = conns.get('square')!;
    const sample = sampleBody('square');
    const signed = signedRequest('square', conn, sample.body);
    const event = {
      ...apiEvent({ path: '/anything/else', headers: signed.headers, body: signed.body }),
      pathParameters: { connectionId: conn.id },
    };
    // Act
    const res = await invoke(event);
    // Assess
    expect(res.statusCode).toBe(202);
    expect(await drain()).toHaveLength(1);
  });

  it('answers the eBay challenge on GET', async () => {
    // Prepare
    const conn = conns.get('ebay')!;
    // Act
    const res = await invoke(
      apiEvent({ path: `/webhooks/${conn.id}`, method: 'GET', query: { challenge_code: 'abc' } }),
    );
    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!).challengeResponse).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts a body above 256 KiB in S3 and a pointer in the message', async () => {
    // Prepare
    const conn = conns.get('woocommerce')!;
    const body = JSON.stringify({ id: 99, date_modified_gmt: '2026-05-01T10:00:00', note: 'ü'.repeat(200 * 1024) });
    const signed = signedRequest('woocommerce', conn, body);
    // Act
    const res = await invoke(apiEvent({ path: `/webhooks/${conn.id}`, headers: signed.headers, body }));
    // Assess
    expect(res.statusCode).toBe(202);
    const [m] = await drain();
    expect(m!.delivery.dedupKey).toBe('order:99@2026-05-01T10:00:00');
    expect(m!.delivery.body).toMatchObject({ kind: 's3', bucket, size: Buffer.byteLength(body) });
    const ref = m!.delivery.body as { bucket: string; key: string };
    const obj = await clients.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    expect(Buffer.from(await obj.Body!.transformToByteArray()).toString()).toBe(body);
    expect((await getBody(m!.delivery.body, { aws: liteAwsClient({ env }) })).toString()).toBe(body);
  });

  it('answers 503 and accepts nothing when the queue does not exist', async () => {
    // Prepare
    const missing = queueUrl.replace(/[^/]+$/, uniqueName('no-such-queue'));
    const broken = handlerFor({ HUB_INGEST_QUEUE_URL: missing });
    const conn = conns.get('shopify')!;
    const signed = signedRequest('shopify', conn, sampleBody('shopify').body);
    // Act
    const res = await broken(apiEvent({ path: `/webhooks/${conn.id}`, headers: signed.headers, body: signed.body }));
    // Assess
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toBeDefined();
    expect(await drain()).toHaveLength(0);
  });

  it('answers 500 JSON when the function is misconfigured', async () => {
    // Prepare
    const broken = handlerFor({ HUB_TABLE_NAME: '' });
    // Act
    const res = await broken(apiEvent({ path: '/webhooks/x', body: '{}' }));
    // Assess
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body!).error.code).toBe('internal_error');
  });
});

describe('connection store on DynamoDB + Secrets Manager', () => {
  it('creates, updates (rotation) and lists connections, keeping secrets out of the table', async () => {
    // Prepare
    const store = dynamoConnectionStore({
      tableName: env.HUB_TABLE_NAME!,
      stage: env.HUB_STAGE,
      clients: { aws: liteAwsClient({ env }) },
      now: () => 0,
    });
    const conn = testConnection('shopify', { id: uniqueName('rot'), secrets: ['one'] });
    // Act
    await store.put(conn);
    const first = await store.get(conn.id);
    await store.put({ ...conn, secrets: ['one', 'two'] });
    const rotated = await store.get(conn.id);
    const listed = await store.list();
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const item = await clients.dynamo.send(
      new GetItemCommand({ TableName: env.HUB_TABLE_NAME!, Key: { pk: { S: `CONN#${conn.id}` }, sk: { S: 'META' } } }),
    );
    // Assess
    expect(first?.secrets).toEqual(['one']);
    expect(rotated).toEqual({ ...conn, secrets: ['one', 'two'] });
    expect(listed.find((c) => c.id === conn.id)?.secrets).toEqual(['one', 'two']);
    expect(JSON.stringify(item.Item)).not.toContain('"one"');
    expect(await store.get('never-created')).toBeUndefined();
  });
});

describe('hub CLI: connections', () => {
  it('adds a connection with a fitting secret, lists, rotates and removes a secret', async () => {
    // Prepare
    const lines: string[] = [];
    const cliEnv = { ...env, HUB_PUBLIC_URL: 'http://127.0.0.1:3999' };
    const run = (...argv: string[]) => runCli(argv, cliEnv, (l) => lines.push(l));
    const id = uniqueName('cli');
    const store = dynamoConnectionStore({
      tableName: env.HUB_TABLE_NAME!,
      stage: env.HUB_STAGE,
      clients: { aws: liteAwsClient({ env }) },
      maxAgeSeconds: 0,
      now: () => 0,
    });
    // Act
    await run(
      'connections',
      'add',
      '--source',
      'standard-webhooks',
      '--channel',
      'partner-x',
      '--id',
      id,
      '--partner',
      'px',
    );
    const added = await store.get(id, { fresh: true });
    await run('connections', 'rotate', id);
    const rotated = await store.get(id, { fresh: true });
    const third = run('connections', 'rotate', id);
    await expect(third).rejects.toThrow(/two active secrets/);
    await run('connections', 'remove-secret', id, '0');
    const after = await store.get(id, { fresh: true });
    lines.length = 0;
    await run('connections', 'list');
    // Assess
    expect(added).toMatchObject({ id, source: 'standard-webhooks', channel: 'partner-x', partner: 'px' });
    expect(added!.secrets[0]).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(added!.secrets[0]!.slice(6), 'base64')).toHaveLength(32);
    expect(rotated!.secrets).toHaveLength(2);
    expect(rotated!.secrets[0]).toBe(added!.secrets[0]);
    expect(after!.secrets).toEqual([rotated!.secrets[1]]);
    expect(lines.some((l) => l.includes(id) && l.includes(`http://127.0.0.1:3999/webhooks/${id}`))).toBe(true);
    expect(lines.join('\n')).not.toContain(after!.secrets[0]);
  });

  it('stores the secret a platform issued (--secret) under the id given (--id), and does not print it back', async () => {
    // Prepare: a Shopify app's client secret, as Shopify shows it
    const lines: string[] = [];
    const run = (...argv: string[]) =>
      runCli(argv, { ...env, HUB_PUBLIC_URL: 'http://127.0.0.1:3999' }, (l) => lines.push(l));
    const id = uniqueName('shop');
    const issued = 'shpss_0123456789abcdef0123456789abcdef';
    const store = dynamoConnectionStore({
      tableName: env.HUB_TABLE_NAME!,
      stage: env.HUB_STAGE,
      clients: { aws: liteAwsClient({ env }) },
      maxAgeSeconds: 0,
      now: () => 0,
    });

    // Act
    await run('connections', 'add', '--source', 'shopify', '--channel', 'shopify-eu', '--id', id, '--secret', issued);
    const added = await store.get(id, { fresh: true });
    await run('connections', 'rotate', id, '--secret', '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');
    const rotated = await store.get(id, { fresh: true });
    // each refusal is awaited as it happens: a rejection left pending is an unhandled one
    const amazon = await run(
      'connections',
      'add',
      '--source',
      'amazon',
      '--channel',
      'amazon-us',
      '--secret',
      'x',
    ).catch((e: unknown) => e as Error);
    const padded = await run(
      'connections',
      'add',
      '--source',
      'shopify',
      '--channel',
      'shopify-eu',
      '--secret',
      `${issued}\n`,
    ).catch((e: unknown) => e as Error);

    // Assess
    expect(added).toMatchObject({ id, source: 'shopify', channel: 'shopify-eu', secrets: [issued] });
    expect(rotated!.secrets).toEqual([issued, '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']);
    expect(lines).toContain(`  webhook URL: http://127.0.0.1:3999/webhooks/${id}`);
    expect(lines.join('\n')).not.toContain('shpss_');
    expect(String(amazon)).toMatch(/no secret/);
    expect(String(padded)).toMatch(/whitespace/);
  });

  it('documents --id and --secret in the help of connections add', async () => {
    // Prepare
    const lines: string[] = [];

    // Act
    await runCli(['connections', 'add', '--help'], env, (l) => lines.push(l));

    // Assess
    expect(lines.join('\n')).toMatch(/--id\s+the connection id/);
    expect(lines.join('\n')).toMatch(/--secret\s+the secret the platform issued/);
  });
});
