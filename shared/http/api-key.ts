import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * An API key of the stock and KPI APIs, as the use cases see it: its scopes and what it is limited
 * to. Stored on the table by shared/aws/api-keys.ts, only as the SHA-256 of its text.
 */
export const ApiKeyScopeSchema = z.enum([
  'stock:read',
  'stock:write',
  'kpi:read',
  'kpi:write',
  'subscriptions:admin',
  'admin',
]);
export type ApiKeyScope = z.infer<typeof ApiKeyScopeSchema>;

/** What a person calls a key ("warehouse sync", "Acme's dashboard"), so a list says who has access. */
export const ApiKeyNameSchema = z.string().trim().min(1).max(100);

export interface ApiKeyAttributes {
  /** who or what holds the key; absent on keys made before keys had names */
  name?: string;
  scopes: ApiKeyScope[];
  /** a partner-limited key sees only that partner's connections; null = not limited */
  partner: string | null;
  /** when present, the only channels / locations the key may read or write */
  channels?: string[];
  locations?: string[];
}

export interface ApiKeyRecord extends ApiKeyAttributes {
  keyHash: string;
  createdAt: string;
  revoked?: boolean;
}

/** The stored form of a key: the SHA-256 of its text, hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
