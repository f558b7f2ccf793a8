import { z } from 'zod';
import { KeyPartSchema } from '#shared/domain/key-part-schema.ts';

/** Signature schemes / sender families the hub speaks (see docs/webhook-sources.md). */
export const SourceSchema = z.enum([
  'shopify',
  'woocommerce',
  'square',
  'standard-webhooks',
  'walmart',
  'bigcommerce',
  'ebay',
  'amazon',
]);
export type Source = z.infer<typeof SourceSchema>;

export const ConnectionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'connection id: 1-64 of [A-Za-z0-9_-]');

/**
 * One sender account. `secrets` holds one or two active secrets (two during a rotation); the
 * HUB_CONFIG form may give a single `secret` instead, which is normalised into `secrets`.
 * Source-specific options live beside them:
 *  - square: `notificationUrl` (signed together with the body, must match byte for byte)
 *  - walmart: `walmartAuth` ('basic' | 'hmac'), `authHeaderName` (default 'Authorization')
 *  - bigcommerce: `authHeaderName` (the custom header configured on the hook; value = a secret)
 *  - ebay: `verificationToken`, `endpointUrl` (challenge), public keys come from a key fetcher
 *  - standard-webhooks: secrets are `whsec_…` (v1 HMAC) and/or `whpk_…` (v1a ed25519 public key)
 */
export const ConnectionSchema = z
  .object({
    id: ConnectionIdSchema,
    source: SourceSchema,
    // the channel is part of every key its deliveries write (orders, listings, KPI counters)
    channel: KeyPartSchema,
    partner: z.string().min(1).max(128).nullable().optional(),
    /**
     * The only locations this connection's deliveries may count, adjust or reserve at (a partner
     * dealer's own warehouses); anything else is quarantined as `forbidden-location`. Absent: any.
     */
    locations: z.array(KeyPartSchema).min(1).max(100).optional(),
    secret: z.string().min(1).optional(),
    secrets: z.array(z.string().min(1)).min(1).max(2).optional(),
    notificationUrl: z.string().url().optional(),
    walmartAuth: z.enum(['basic', 'hmac']).optional(),
    authHeaderName: z.string().min(1).optional(),
    verificationToken: z.string().min(1).optional(),
    endpointUrl: z.string().url().optional(),
  })
  .transform((c, ctx) => {
    const secrets = c.secrets ?? (c.secret ? [c.secret] : []);
    if (secrets.length === 0 && c.source !== 'amazon') {
      ctx.addIssue({ code: 'custom', message: `connection ${c.id}: a secret is required for source ${c.source}` });
    }
    if (c.source === 'walmart' && c.walmartAuth === 'basic') {
      // the hub base64-encodes the secret and compares it with the header's credential, so the
      // secret is the `user:password` text itself; a pasted header value can never match
      for (const s of secrets) {
        if (/^basic\s/i.test(s) || !s.includes(':')) {
          ctx.addIssue({
            code: 'custom',
            path: ['secrets'],
            message:
              `connection ${c.id}: a Walmart basic-auth secret is the "user:password" text Walmart is configured with ` +
              '(the hub encodes it as the header does), not the "Basic <base64>" header value',
          });
        }
      }
    }
    const { secret: _secret, ...rest } = c;
    return { ...rest, partner: c.partner ?? null, secrets };
  });
export type Connection = z.output<typeof ConnectionSchema>;
export type ConnectionInput = z.input<typeof ConnectionSchema>;
