import { z } from 'zod';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  ApiKeyNameSchema,
  ApiKeyScopeSchema,
  hashApiKey,
  type ApiKeyAttributes,
  type ApiKeyRecord,
} from '#shared/http/api-key.ts';
import { API_KEY_PREFIX, keys } from '#shared/table/keys.ts';

// kept for importers not yet moved to shared/http/api-key.ts (the KPI read module)
export type { ApiKeyRecord, ApiKeyScope } from '#shared/http/api-key.ts';

/**
 * API keys on the table (the record and its scopes: shared/http/api-key.ts). A key is stored only
 * as the SHA-256 of its text: a leaked table export or log of items does not hand out working
 * keys, and a lookup by hash needs no constant-time comparison because the presented key itself
 * is never compared.
 */
/** What is read back from the table is checked, not trusted: an item written by hand may be off. */
const ApiKeyItemSchema = z.object({
  pk: z.string(),
  name: z.string().optional(),
  scopes: z.array(ApiKeyScopeSchema),
  partner: z.string().nullable(),
  channels: z.array(z.string()).optional(),
  locations: z.array(z.string()).optional(),
  createdAt: z.string(),
  revoked: z.boolean().optional(),
});

export function apiKeyItemKey(key: string): { pk: string; sk: string } {
  return keys.apiKey(hashApiKey(key));
}

/** Stores (or replaces) a key. The key text itself is not written anywhere. */
export async function putApiKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  key: string,
  attrs: ApiKeyAttributes,
  now: Date,
): Promise<ApiKeyRecord> {
  const scopes = z.array(ApiKeyScopeSchema).min(1).parse(attrs.scopes);
  const name = attrs.name === undefined ? undefined : ApiKeyNameSchema.parse(attrs.name);
  const record: ApiKeyRecord = {
    keyHash: hashApiKey(key),
    ...(name ? { name } : {}),
    scopes,
    partner: attrs.partner,
    ...(attrs.channels ? { channels: attrs.channels } : {}),
    ...(attrs.locations ? { locations: attrs.locations } : {}),
    createdAt: now.toISOString(),
  };
  const { keyHash: _hash, ...item } = record;
  await doc.send(new PutCommand({ TableName: tableName, Item: { ...apiKeyItemKey(key), ...item } }));
  return record;
}

/**
 * The record for a presented key, or undefined when the key is unknown or revoked — callers answer
 * both the same way (401) so a caller cannot tell a revoked key from a made-up one.
 */
export async function getApiKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  presentedKey: string,
): Promise<ApiKeyRecord | undefined> {
  if (presentedKey.length === 0) return undefined;
  const res = await doc.send(new GetCommand({ TableName: tableName, Key: apiKeyItemKey(presentedKey) }));
  if (!res.Item) return undefined;
  const item = ApiKeyItemSchema.safeParse(res.Item);
  if (!item.success || item.data.revoked) return undefined;
  const { pk, ...rest } = item.data;
  return { ...rest, keyHash: pk.slice(API_KEY_PREFIX.length) };
}
