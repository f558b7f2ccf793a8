import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#shared/aws/config.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { DeliverySchema, type Delivery } from '#shared/domain/delivery.ts';
import type { Connection, Source } from '#shared/domain/connection.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { freePort } from '#infra/local/moto.ts';
import { awsEndpoint, uniqueName } from '#test/support/aws.ts';
import {
  ebayKeyPair,
  ed25519KeyPair,
  sampleBody,
  signedRequest,
  type SignOptions,
  type SignedRequest,
} from '#test/fixtures/signing.ts';

/**
 * Every HTTP source, through the local hub over real HTTP, with the pollers off so the deliveries
 * stay in the ingest queue: a genuine signed delivery per connection is answered 202 and queued
 * with the sender's dedup key and the exact bytes; a tampered one is answered 401 and queued nowhere.
 *
 * eBay's public keys come from eBay's notification API; the hub reads its base URL from
 * HUB_EBAY_API_BASE and the app credentials from Secrets Manager (shared/ingest/deps.ts), so this
 * file serves a stand-in for that API on loopback and stores the credentials in moto.
 */

const SQUARE_ID = 'sq-main';
const EBAY_TOKEN = `ebay-verification-${randomBytes(12).toString('hex')}`;
const ed = ed25519KeyPair();
const ebay = ebayKeyPair();

/** One connection's genuine and tampered delivery, and what the queue must then hold. */
interface Case {
  name: string;
  connection: Connection;
  genuine: SignedRequest;
  expectedDedupKey: string;
  tampered: SignedRequest;
  /** the dedup key the tampered delivery would have had, had it been accepted */
  tamperedDedupKey: string;
}

/** Changes the content (not just its spacing: eBay also checks the compact JSON) and keeps the signature. */
function tamper(req: SignedRequest): SignedRequest {
  const body = Buffer.from(JSON.stringify({ ...JSON.parse(req.body.toString('utf8')), tampered: true }));
  return { ...req, body };
}

/** A stand-in for eBay's OAuth token and notification public_key endpoints. */
function fakeEbayApi(): Promise<{ server: Server; base: string; keyRequests: string[] }> {
  const keyRequests: string[] = [];
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.method === 'POST' && req.url === '/identity/v1/oauth2/token')
      return send(200, { access_token: 'test-token', expires_in: 7200 });
    const m = /^\/commerce\/notification\/v1\/public_key\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && m && req.headers.authorization === 'Bearer test-token') {
      const kid = decodeURIComponent(m[1]!);
      keyRequests.push(kid);
      return kid === ebay.kid ? send(200, ebay.publicKey) : send(404, { errors: [{ message: 'not found' }] });
    }
    return send(404, {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ server, base: `http://127.0.0.1:${port}`, keyRequests });
    });
  });
}

async function post(hub: LocalHub, connectionId: string, req: SignedRequest): Promise<Response> {
  return fetch(`${hub.url}/webhooks/${connectionId}`, {
    method: 'POST',
    headers: req.headers,
    body: new Uint8Array(req.body),
  });
}

/** Receives every message of the queue, keeping each invisible so none is received twice. */
async function receiveAll(sqs: SQSClient, queueUrl: string, atLeast: number, timeoutMs = 60_000): Promise<Message[]> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, Message>();
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 600,
        MessageAttributeNames: ['All'],
      }),
    );
    const got = out.Messages ?? [];
    for (const m of got) seen.set(m.MessageId!, m);
    // done once the expected ones are in and a receive comes back empty (no stragglers)
    if (got.length === 0 && seen.size >= atLeast) return [...seen.values()];
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms: ${seen.size} of ${atLeast} messages received`);
  }
}

function bodyBytes(d: Delivery): Buffer {
  if (d.body.kind !== 'inline') throw new Error(`delivery ${d.deliveryId} is a claim check, not inline`);
  return Buffer.from(d.body.data, d.body.encoding);
}

describe('signed deliveries for every HTTP source, through the local hub, into the ingest queue', () => {
  let hub: LocalHub;
  let sqs: SQSClient;
  let ebayApi: Awaited<ReturnType<typeof fakeEbayApi>>;
  const savedEbayBase = process.env.HUB_EBAY_API_BASE;
  const cases: Case[] = [];
  const accepted = new Map<string, string>(); // connection id → deliveryId from the 202
  let messages: Delivery[] = [];
  let rawMessages: Message[] = [];

  beforeAll(async () => {
    // Prepare: the hub's URL must be known before it starts (Square signs it)
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const prefix = uniqueName('every');
    ebayApi = await fakeEbayApi();
    process.env.HUB_EBAY_API_BASE = ebayApi.base;
    const aws = liteAwsClient({ env: { AWS_REGION: 'us-east-1', HUB_AWS_ENDPOINT: awsEndpoint() } });
    await aws.json({
      service: 'secretsmanager',
      target: 'secretsmanager.CreateSecret',
      input: {
        Name: `hub/local-${prefix}/ebay-app`,
        SecretString: JSON.stringify({ clientId: 'app-id', clientSecret: 'app-secret' }),
      },
    });
    const secret = () => randomBytes(16).toString('hex');
    const config = parseHubConfig({
      connections: [
        { id: 'shop-main', source: 'shopify', channel: 'shopify-main', secret: secret() },
        { id: 'woo-main', source: 'woocommerce', channel: 'woo-main', secret: secret() },
        {
          id: SQUARE_ID,
          source: 'square',
          channel: 'square-pos',
          secret: secret(),
          notificationUrl: `${url}/webhooks/${SQUARE_ID}`,
        },
        {
          id: 'partner-v1',
          source: 'standard-webhooks',
          channel: 'dealer-a',
          partner: 'dealer-a',
          secret: `whsec_${randomBytes(24).toString('base64')}`,
        },
        {
          id: 'partner-v1a',
          source: 'standard-webhooks',
          channel: 'dealer-b',
          partner: 'dealer-b',
          secret: ed.publicKey,
        },
        {
          id: 'walmart-us',
          source: 'walmart',
          channel: 'walmart-us',
          secret: secret(),
          walmartAuth: 'hmac',
          authHeaderName: 'WM_SEC.AUTH_SIGNATURE',
        },
        {
          id: 'bc-store',
          source: 'bigcommerce',
          channel: 'bigcommerce',
          secret: secret(),
          authHeaderName: 'X-Hub-Secret',
        },
        {
          id: 'ebay-us',
          source: 'ebay',
          channel: 'ebay-us',
          secret: EBAY_TOKEN,
          verificationToken: EBAY_TOKEN,
          endpointUrl: `https://hub.example.com/webhooks/ebay-us`,
        },
      ],
    });
    hub = await startLocalHub({ port, awsEndpoint: awsEndpoint(), prefix, quiet: true, config, poll: false });
    sqs = new SQSClient(awsClientConfig({ AWS_REGION: hub.region, HUB_AWS_ENDPOINT: hub.awsEndpoint }));

    const conn = (id: string) => hub.config.connections.find((c) => c.id === id)!;
    const make = (name: string, id: string, source: Source, extra: SignOptions = {}, n = 1): Case => {
      const good = sampleBody(source, n);
      const bad = sampleBody(source, n + 1);
      const genuine = signedRequest(source, conn(id), good.body, { ...extra, ...good.sign });
      const signedBad = signedRequest(source, conn(id), bad.body, { ...extra, ...bad.sign });
      // BigCommerce signs nothing: its proof is the secret header, so a forged delivery carries a wrong one
      const tampered =
        source === 'bigcommerce'
          ? { ...signedBad, headers: { ...signedBad.headers, 'x-hub-secret': 'not-the-secret' } }
          : tamper(signedBad);
      return { name, connection: conn(id), genuine, expectedDedupKey: '', tampered, tamperedDedupKey: '' };
    };
    const all: Case[] = [
      make('shopify', 'shop-main', 'shopify'),
      make('woocommerce', 'woo-main', 'woocommerce'),
      make('square', SQUARE_ID, 'square'),
      make('standard-webhooks v1 (HMAC)', 'partner-v1', 'standard-webhooks', {}, 1),
      make(
        'standard-webhooks v1a (ed25519)',
        'partner-v1a',
        'standard-webhooks',
        { version: 'v1a', ed25519PrivateKey: ed.privateKey },
        3,
      ),
      make('walmart (HMAC)', 'walmart-us', 'walmart'),
      make('bigcommerce (secret header)', 'bc-store', 'bigcommerce'),
      make('ebay (ECDSA)', 'ebay-us', 'ebay', { ebay: { kid: ebay.kid, privateKey: ebay.privateKey } }),
    ];
    // the sender's documented idempotency key, computed here from what is sent (README's table)
    for (const c of all) {
      c.expectedDedupKey = senderDedupKey(c.connection.source, c.genuine);
      c.tamperedDedupKey = senderDedupKey(c.connection.source, c.tampered);
    }
    cases.push(...all);
  });

  afterAll(async () => {
    if (savedEbayBase === undefined) delete process.env.HUB_EBAY_API_BASE;
    else process.env.HUB_EBAY_API_BASE = savedEbayBase;
    sqs?.destroy();
    await hub?.stop();
    await new Promise((r) => (ebayApi ? ebayApi.server.close(r) : r(undefined)));
  });

  it('was started on the URL Square signs', () => {
    expect(hub.url).toBe(new URL(hub.config.connections.find((c) => c.id === SQUARE_ID)!.notificationUrl!).origin);
  });

  it('answers every genuine delivery 202 with a delivery id, and every tampered one 401', async () => {
    // Act
    const results: Array<{ name: string; genuine: number; deliveryId: unknown; tampered: number; error: unknown }> = [];
    for (const c of cases) {
      const ok = await post(hub, c.connection.id, c.genuine);
      const okBody = (await ok.json()) as { deliveryId?: string };
      const bad = await post(hub, c.connection.id, c.tampered);
      const badBody = (await bad.json()) as { error?: { code?: string } };
      if (ok.status === 202 && okBody.deliveryId) accepted.set(c.connection.id, okBody.deliveryId);
      results.push({
        name: c.name,
        genuine: ok.status,
        deliveryId: okBody.deliveryId,
        tampered: bad.status,
        error: badBody.error?.code,
      });
    }

    // Assess
    expect(results).toEqual(
      cases.map((c) => ({
        name: c.name,
        genuine: 202,
        deliveryId: expect.stringMatching(/^dlv_/),
        tampered: 401,
        error: expect.any(String),
      })),
    );
    expect(ebayApi.keyRequests).toContain(ebay.kid);
  });

  it("answers eBay's GET challenge with the SHA-256 of code, token and endpoint, and queues nothing for it", async () => {
    // Prepare
    const code = `challenge-${randomBytes(6).toString('hex')}`;

    // Act
    const res = await fetch(`${hub.url}/webhooks/ebay-us?challenge_code=${code}`);

    // Assess
    expect(res.status).toBe(200);
    const expected = createHash('sha256')
      .update(code)
      .update(EBAY_TOKEN)
      .update('https://hub.example.com/webhooks/ebay-us')
      .digest('hex');
    expect(await res.json()).toEqual({ challengeResponse: expected });
  });

  it('holds exactly one queued Delivery per accepted webhook: source, connection, channel, delivery id, dedup key, exact bytes', async () => {
    // Act
    rawMessages = await receiveAll(sqs, hub.resources.ingestQueueUrl, cases.length);
    messages = rawMessages.map((m) => DeliverySchema.parse(JSON.parse(m.Body!)));

    // Assess
    expect(messages).toHaveLength(cases.length);
    for (const c of cases) {
      const found = messages.filter((d) => d.connectionId === c.connection.id);
      expect(found, c.name).toHaveLength(1);
      const d = found[0]!;
      expect(
        {
          source: d.source,
          connectionId: d.connectionId,
          channel: d.channel,
          partner: d.partner,
          deliveryId: d.deliveryId,
          dedupKey: d.dedupKey,
        },
        c.name,
      ).toEqual({
        source: c.connection.source,
        connectionId: c.connection.id,
        channel: c.connection.channel,
        partner: c.connection.partner,
        deliveryId: accepted.get(c.connection.id),
        dedupKey: c.expectedDedupKey,
      });
      expect(bodyBytes(d).equals(c.genuine.body), `${c.name}: body bytes`).toBe(true);
    }
    // the message attributes name the same delivery (DLQ triage reads them without parsing bodies)
    for (const m of rawMessages) {
      const d = DeliverySchema.parse(JSON.parse(m.Body!));
      expect(m.MessageAttributes?.deliveryId?.StringValue).toBe(d.deliveryId);
      expect(m.MessageAttributes?.source?.StringValue).toBe(d.source);
    }
  });

  it('queued nothing for the rejected deliveries or the challenge', () => {
    // Assess (on the messages the previous test received: the queue held nothing else)
    const keys = new Set(messages.map((d) => d.dedupKey));
    for (const c of cases) expect(keys.has(c.tamperedDedupKey), `${c.name}: tampered delivery queued`).toBe(false);
    expect(messages.filter((d) => bodyBytes(d).toString('utf8').includes('"tampered":true'))).toEqual([]);
    expect(new Set(messages.map((d) => d.deliveryId))).toEqual(new Set(accepted.values()));
  });
});

/** The README's dedup key per source, read from the request as the sender sent it. */
function senderDedupKey(source: Source, req: SignedRequest): string {
  const body = JSON.parse(req.body.toString('utf8'));
  switch (source) {
    case 'shopify':
      return req.headers['x-shopify-event-id']!;
    case 'woocommerce':
      return `${req.headers['x-wc-webhook-resource']}:${body.id}@${body.date_modified_gmt}`;
    case 'square':
      return body.event_id;
    case 'standard-webhooks':
      return req.headers['webhook-id']!;
    case 'walmart':
      return body.source.eventId;
    case 'bigcommerce':
      return body.hash;
    case 'ebay':
      return body.notification.notificationId;
    case 'amazon':
      throw new Error('amazon delivers through SQS, not HTTP');
  }
}
