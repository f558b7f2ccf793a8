import { describe, expect, it } from 'vitest';
import type { Source } from '#shared/domain/connection.ts';
import { DeliverySchema } from '#shared/domain/delivery.ts';
import { ingest, inlineBody, MAX_BODY_BYTES } from '#shared/ingest/ingest.ts';
import type { IngestRequest } from '#shared/ingest/ports.ts';
import { memoryDeps, testConnection } from '#test/fixtures/ingest-ports.ts';
import { ebayKeyPair, sampleBody, signedRequest, staticEbayKeys, type SignOptions } from '#test/fixtures/signing.ts';

const now = new Date('2026-05-01T10:00:00Z');

function request(connectionId: string | undefined, over: Partial<IngestRequest> = {}): IngestRequest {
  return {
    method: 'POST',
    connectionId,
    headers: {},
    query: {},
    body: Buffer.alloc(0),
    url: `https://hub.example.com/webhooks/${connectionId}`,
    ...over,
  };
}

const json = (body: string) => JSON.parse(body) as Record<string, any>;
const ebay = ebayKeyPair();
const httpSources: Source[] = [
  'shopify',
  'woocommerce',
  'square',
  'standard-webhooks',
  'walmart',
  'bigcommerce',
  'ebay',
];

describe('ingest use case', () => {
  describe.each(httpSources)('%s', (source) => {
    it('answers 202 with a delivery id and enqueues the raw delivery with the sender dedup key', async () => {
      // Prepare
      const conn = testConnection(source, { partner: 'acme' });
      const deps = memoryDeps({ connections: [conn], now, ebayKeys: staticEbayKeys(ebay) });
      const sample = sampleBody(source);
      const opts: SignOptions = { ...sample.sign, now, ebay };
      const signed = signedRequest(source, conn, sample.body, opts);
      // Act
      const res = await ingest(request(conn.id, { headers: signed.headers, body: signed.body }), deps);
      // Assess
      expect(res.statusCode).toBe(202);
      const { deliveryId } = json(res.body);
      expect(deliveryId).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(deps.queue.sent).toHaveLength(1);
      const d = DeliverySchema.parse(deps.queue.sent[0]);
      expect(d).toMatchObject({
        deliveryId,
        connectionId: conn.id,
        source,
        channel: conn.channel,
        partner: 'acme',
        dedupKey: sample.dedupKey,
        receivedAt: now.toISOString(),
      });
      expect(d.body).toEqual({ kind: 'inline', encoding: 'utf8', data: sample.body });
      expect(d.headers['content-type']).toBe('application/json');
    });

    it('answers 401 for a request without a signature', async () => {
      // Prepare
      const conn = testConnection(source);
      const deps = memoryDeps({ connections: [conn], now });
      // Act
      const res = await ingest(
        request(conn.id, { headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}') }),
        deps,
      );
      // Assess
      expect(res.statusCode).toBe(401);
      expect(json(res.body).error.code).toBe('missing_signature');
      expect(deps.queue.sent).toHaveLength(0);
    });
  });

  // BigCommerce signs nothing (its custom header is a shared secret), so only the others can detect a changed body
  describe.each(httpSources.filter((s) => s !== 'bigcommerce'))('%s body signature', (source) => {
    it('answers 401 and enqueues nothing for a tampered body', async () => {
      // Prepare
      const conn = testConnection(source);
      const deps = memoryDeps({ connections: [conn], now, ebayKeys: staticEbayKeys(ebay) });
      const sample = sampleBody(source);
      const signed = signedRequest(source, conn, sample.body, { ...sample.sign, now, ebay });
      // Act
      const res = await ingest(
        request(conn.id, { headers: signed.headers, body: Buffer.from(sample.body.replace('{', '{"x":1,')) }),
        deps,
      );
      // Assess
      expect(res.statusCode).toBe(401);
      expect(json(res.body).error.code).toBe('invalid_signature');
      expect(deps.queue.sent).toHaveLength(0);
    });
  });

  it('answers 404 for an unknown connection, an unsafe id, a missing id and an amazon connection', async () => {
    // Prepare
    const deps = memoryDeps({ connections: [testConnection('amazon', { id: 'amz', secrets: undefined })] });
    // Act
    const answers = await Promise.all(
      ['nope', '../etc', undefined, 'amz'].map((id) => ingest(request(id, { body: Buffer.from('{}') }), deps)),
    );
    // Assess
    expect(answers.map((r) => r.statusCode)).toEqual([404, 404, 404, 404]);
    expect(json(answers[0]!.body)).toEqual({ error: { code: 'not_found', message: 'no connection nope' } });
  });

  it('answers 405 with an Allow header for a wrong method', async () => {
    // Prepare
    const deps = memoryDeps({ connections: [testConnection('shopify'), testConnection('ebay')] });
    // Act
    const get = await ingest(request('shopify-test', { method: 'GET' }), deps);
    const put = await ingest(request('ebay-test', { method: 'PUT' }), deps);
    // Assess
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, POST');
  });

  it('answers 413 above 5 MiB and accepts exactly 5 MiB (claim-checked)', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn] });
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 'a');
    const max = Buffer.alloc(MAX_BODY_BYTES, 'a');
    // Act
    const tooBig = await ingest(
      request(conn.id, { headers: signedRequest('shopify', conn, big).headers, body: big }),
      deps,
    );
    const fits = await ingest(
      request(conn.id, { headers: signedRequest('shopify', conn, max).headers, body: max }),
      deps,
    );
    // Assess
    expect(tooBig.statusCode).toBe(413);
    expect(fits.statusCode).toBe(202);
    expect(deps.queue.sent).toHaveLength(1);
    expect(deps.queue.sent[0]!.body).toMatchObject({ kind: 's3', size: MAX_BODY_BYTES });
  });

  it('answers 400 for an empty body', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn] });
    // Act
    const res = await ingest(request(conn.id, { headers: signedRequest('shopify', conn, '').headers }), deps);
    // Assess
    expect(res.statusCode).toBe(400);
    expect(json(res.body).error.code).toBe('empty_body');
    expect(deps.queue.sent).toHaveLength(0);
  });

  it('answers the WooCommerce activation ping with 200 and enqueues nothing', async () => {
    // Prepare
    const conn = testConnection('woocommerce');
    const deps = memoryDeps({ connections: [conn] });
    const ping = request(conn.id, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: Buffer.from('webhook_id=12'),
    });
    // Act
    const res = await ingest(ping, deps);
    const signedPing = await ingest({ ...ping, headers: { 'x-wc-webhook-signature': 'forged' } }, deps);
    // Assess
    expect(res.statusCode).toBe(200);
    expect(signedPing.statusCode).toBe(401);
    expect(deps.queue.sent).toHaveLength(0);
  });

  it('answers eBay challenges with 200 and the hash, and 400 without a challenge code', async () => {
    // Prepare
    const conn = testConnection('ebay', { verificationToken: 'tok_12345678901234567890123456789012' });
    const deps = memoryDeps({ connections: [conn] });
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256').update(`c0de${conn.verificationToken}${conn.endpointUrl}`).digest('hex');
    // Act
    const res = await ingest(request(conn.id, { method: 'GET', query: { challenge_code: 'c0de' } }), deps);
    const missing = await ingest(request(conn.id, { method: 'GET' }), deps);
    // Assess
    expect(res.statusCode).toBe(200);
    expect(json(res.body)).toEqual({ challengeResponse: expected });
    expect(missing.statusCode).toBe(400);
    expect(deps.queue.sent).toHaveLength(0);
  });

  describe('a connection without its configured URL', () => {
    const spoofed = 'https://attacker.example/webhooks/';
    const squareConn = () => {
      const conn = testConnection('square');
      delete conn.notificationUrl;
      return conn;
    };
    const ebayConn = () => {
      const conn = testConnection('ebay', { verificationToken: 'tok_12345678901234567890123456789012' });
      delete conn.endpointUrl;
      return conn;
    };
    const recordingLog = () => {
      const lines: Array<{ message: string; data?: Record<string, unknown> }> = [];
      return {
        lines,
        warn: () => {},
        error: (message: string, data?: Record<string, unknown>) => void lines.push({ message, data }),
      };
    };

    it('is refused in a deployed stack (401 naming the missing setting, and a log line) instead of trusting Host', async () => {
      // Prepare
      const square = squareConn();
      const ebayC = ebayConn();
      const log = recordingLog();
      const deps = { ...memoryDeps({ connections: [square, ebayC], now }), log };
      const url = `${spoofed}${square.id}`;
      const signed = signedRequest('square', square, sampleBody('square').body, { now, url });
      // Act
      const post = await ingest(request(square.id, { headers: signed.headers, body: signed.body, url }), deps);
      const challenge = await ingest(
        request(ebayC.id, { method: 'GET', query: { challenge_code: 'c0de' }, url: `${spoofed}${ebayC.id}` }),
        deps,
      );
      // Assess
      expect(post.statusCode).toBe(401);
      expect(json(post.body)).toEqual({
        error: { code: 'url_not_configured', message: expect.stringContaining('notificationUrl') },
      });
      expect(challenge.statusCode).toBe(401);
      expect(json(challenge.body)).toEqual({
        error: { code: 'url_not_configured', message: expect.stringContaining('endpointUrl') },
      });
      expect(deps.queue.sent).toHaveLength(0);
      expect(log.lines.map((l) => [l.message, l.data?.connectionId, l.data?.missing])).toEqual([
        ['connection misconfigured', square.id, 'notificationUrl'],
        ['connection misconfigured', ebayC.id, 'endpointUrl'],
      ]);
    });

    it('takes the URL the request reached when the hub may derive it (the local hub)', async () => {
      // Prepare
      const square = squareConn();
      const ebayC = ebayConn();
      const deps = { ...memoryDeps({ connections: [square, ebayC], now }), deriveUrlFromRequest: true };
      const url = `http://localhost:3000/webhooks/${square.id}`;
      const signed = signedRequest('square', square, sampleBody('square').body, { now, url });
      // Act
      const post = await ingest(request(square.id, { headers: signed.headers, body: signed.body, url }), deps);
      const challenge = await ingest(request(ebayC.id, { method: 'GET', query: { challenge_code: 'c0de' } }), deps);
      // Assess
      expect(post.statusCode).toBe(202);
      expect(challenge.statusCode).toBe(200);
    });
  });

  it('answers 401 for a Standard Webhooks delivery with a stale or future timestamp', async () => {
    // Prepare
    const conn = testConnection('standard-webhooks');
    const deps = memoryDeps({ connections: [conn], now });
    const old = signedRequest('standard-webhooks', conn, '{"a":1}', { now: new Date(now.getTime() - 301_000) });
    const future = signedRequest('standard-webhooks', conn, '{"a":1}', { now: new Date(now.getTime() + 301_000) });
    // Act
    const a = await ingest(request(conn.id, { headers: old.headers, body: old.body }), deps);
    const b = await ingest(request(conn.id, { headers: future.headers, body: future.body }), deps);
    // Assess
    expect([a.statusCode, b.statusCode]).toEqual([401, 401]);
    expect(json(a.body).error.code).toBe('stale_timestamp');
    expect(deps.queue.sent).toHaveLength(0);
  });

  it('answers 503 with retry-after and no 2xx when the queue is unavailable', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn] });
    deps.queue.fail = new Error('QueueDoesNotExist');
    const signed = signedRequest('shopify', conn, '{"id":1}');
    // Act
    const res = await ingest(request(conn.id, { headers: signed.headers, body: signed.body }), deps);
    // Assess
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(json(res.body).error.code).toBe('unavailable');
  });

  it('answers 503 when the claim-check store or the connection store is unavailable', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn], maxMessageBytes: 2048 });
    deps.bodies.fail = new Error('NoSuchBucket');
    const body = `{"pad":"${'x'.repeat(4096)}"}`;
    const signed = signedRequest('shopify', conn, body);
    // Act
    const s3Down = await ingest(request(conn.id, { headers: signed.headers, body: signed.body }), deps);
    deps.connections.fail = new Error('ECONNREFUSED');
    const storeDown = await ingest(request(conn.id, { headers: signed.headers, body: signed.body }), deps);
    // Assess
    expect(s3Down.statusCode).toBe(503);
    expect(storeDown.statusCode).toBe(503);
    expect(deps.queue.sent).toHaveLength(0);
  });

  it('answers 503 when eBay cannot be asked for its key', async () => {
    // Prepare
    const conn = testConnection('ebay');
    const deps = memoryDeps({
      connections: [conn],
      ebayKeys: { get: () => Promise.reject(new Error('ENOTFOUND api.ebay.com')) },
    });
    const signed = signedRequest('ebay', conn, sampleBody('ebay').body, { ebay });
    // Act
    const res = await ingest(request(conn.id, { headers: signed.headers, body: signed.body }), deps);
    // Assess
    expect(res.statusCode).toBe(503);
  });

  it('answers 500 without internals for a genuine internal fault', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn] });
    const signed = signedRequest('shopify', conn, '{"id":1}');
    const broken = {
      ...deps,
      now: (): Date => {
        throw new TypeError('secret internals');
      },
    };
    // Act
    const res = await ingest(request(conn.id, { headers: signed.headers, body: signed.body }), broken);
    // Assess
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internals');
    expect(json(res.body).error.code).toBe('internal_error');
  });

  it('puts bodies above the message limit in the body store and a pointer in the message', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn] });
    const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(300 * 1024) }));
    const signed = signedRequest('shopify', conn, body);
    // Act
    const res = await ingest(request(conn.id, { headers: signed.headers, body }), deps);
    // Assess
    expect(res.statusCode).toBe(202);
    const sent = deps.queue.sent[0]!;
    expect(sent.body).toMatchObject({ kind: 's3', bucket: 'test-bodies', size: body.length });
    const key = (sent.body as { key: string }).key;
    expect(deps.bodies.objects.get(key)?.equals(body)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThan(256 * 1024);
  });

  it('keeps bodies just under the limit inline', async () => {
    // Prepare
    const conn = testConnection('shopify');
    const deps = memoryDeps({ connections: [conn] });
    const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(200 * 1024) }));
    const signed = signedRequest('shopify', conn, body);
    // Act
    await ingest(request(conn.id, { headers: signed.headers, body }), deps);
    // Assess
    expect(deps.queue.sent[0]!.body.kind).toBe('inline');
    expect(deps.bodies.objects.size).toBe(0);
  });

  it('re-reads the connection once when a signature fails, so a just-rotated secret is accepted', async () => {
    // Prepare
    const stale = testConnection('shopify', { secrets: ['old'] });
    const rotated = testConnection('shopify', { secrets: ['old', 'new'] });
    const deps = memoryDeps({ connections: [stale] });
    let reads = 0;
    deps.connections.get = async (_id, opts) => (opts?.fresh ? (reads++, rotated) : stale);
    const signed = signedRequest('shopify', rotated, '{"id":1}', { secretIndex: 1 });
    // Act
    const res = await ingest(request(stale.id, { headers: signed.headers, body: signed.body }), deps);
    // Assess
    expect(res.statusCode).toBe(202);
    expect(reads).toBe(1);
  });

  it('never copies the authentication header of a source whose header is the secret', async () => {
    // Prepare
    const conn = testConnection('bigcommerce', { authHeaderName: 'Content-Type', secrets: ['application/json'] });
    const deps = memoryDeps({ connections: [conn] });
    const sample = sampleBody('bigcommerce');
    // Act
    const res = await ingest(
      request(conn.id, { headers: { 'content-type': 'application/json' }, body: Buffer.from(sample.body) }),
      deps,
    );
    // Assess
    expect(res.statusCode).toBe(202);
    expect(deps.queue.sent[0]!.headers).toEqual({});
  });
});

describe('inline body encoding', () => {
  it('keeps valid UTF-8 as text and everything else as base64, bytes intact', () => {
    // Prepare
    const samples = [
      Buffer.from('{"name":"Größe ✓ 🚀"}'),
      Buffer.from([0xff, 0xfe, 0x00, 0x41]),
      Buffer.from('a\u0000b'),
      Buffer.from('tab\tnewline\n\uFFFF'),
    ];
    // Act
    const encoded = samples.map(inlineBody);
    // Assess
    expect(encoded.map((e) => (e.kind === 'inline' ? e.encoding : e.kind))).toEqual([
      'utf8',
      'base64',
      'base64',
      'base64',
    ]);
    encoded.forEach((e, i) => {
      if (e.kind !== 'inline') throw new Error('expected inline');
      expect(Buffer.from(e.data, e.encoding).equals(samples[i]!)).toBe(true);
    });
  });
});
