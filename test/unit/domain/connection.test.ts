import { describe, expect, it } from 'vitest';
import { ConnectionSchema } from '#shared/domain/connection.ts';

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
    expect(ConnectionSchema.safeParse({ id: 'a', source: 'shopify', channel: 'c', secrets: ['1', '2', '3'] }).success).toBe(false);
    expect(ConnectionSchema.safeParse({ id: '../x', source: 'shopify', channel: 'c', secret: 'x' }).success).toBe(false);
  });
});
