import { describe, expect, it } from 'vitest';
import { ConnectionSchema } from '#shared/domain/connection.ts';
import { verifyWalmartBasic } from '#shared/ingest/schemes/walmart-basic.ts';

describe('ConnectionSchema', () => {
  it('normalises a single secret into secrets and defaults partner to null', () => {
    // Act
    const c = ConnectionSchema.parse({ id: 'shop-main', source: 'shopify', channel: 'shopify-main', secret: 's3cret' });
    // Assess
    expect(c.secrets).toEqual(['s3cret']);
    expect(c.partner).toBeNull();
  });

  it('rejects a connection without a secret, except for the amazon queue source', () => {
    expect(ConnectionSchema.safeParse({ id: 'a', source: 'shopify', channel: 'c' }).success).toBe(false);
    expect(ConnectionSchema.safeParse({ id: 'a', source: 'amazon', channel: 'c' }).success).toBe(true);
  });

  it('rejects more than two active secrets and ids with unsafe characters', () => {
    expect(
      ConnectionSchema.safeParse({ id: 'a', source: 'shopify', channel: 'c', secrets: ['1', '2', '3'] }).success,
    ).toBe(false);
    expect(ConnectionSchema.safeParse({ id: '../x', source: 'shopify', channel: 'c', secret: 'x' }).success).toBe(
      false,
    );
  });

  it('refuses a Walmart basic-auth secret that could never verify, saying what to give instead', () => {
    // Prepare
    const walmart = (secret: string) => ({
      id: 'wm',
      source: 'walmart',
      channel: 'walmart-us',
      walmartAuth: 'basic',
      secret,
    });
    // Act
    const headerValue = ConnectionSchema.safeParse(walmart('Basic d2FsbWFydDpjaGFuZ2UtbWU='));
    const noColon = ConnectionSchema.safeParse(walmart('d2FsbWFydDpjaGFuZ2UtbWU='));
    const good = ConnectionSchema.parse(walmart('walmart:change-me'));
    // Assess
    expect(headerValue.success).toBe(false);
    expect(headerValue.error?.issues[0]?.message).toMatch(/user:password/);
    expect(headerValue.error?.issues[0]?.message).toMatch(/not the "Basic/);
    expect(noColon.success).toBe(false);
    // what the accepted secret verifies: the header Walmart sends for it
    const header = `Basic ${Buffer.from('walmart:change-me').toString('base64')}`;
    expect(
      verifyWalmartBasic({
        connection: good,
        headers: { authorization: header },
        body: Buffer.alloc(0),
        url: '',
        now: new Date(0),
      }),
    ).toEqual({ ok: true });
    // HMAC Walmart secrets are opaque keys, not credentials
    expect(ConnectionSchema.safeParse({ ...walmart('any-key'), walmartAuth: 'hmac' }).success).toBe(true);
  });
});
