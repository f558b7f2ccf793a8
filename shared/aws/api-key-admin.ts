import { allItems } from '#shared/aws/paging.ts';
import { randomBytes } from 'node:crypto';
import { ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { API_KEY_PREFIX, keys } from '#shared/table/keys.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { ApiKeyScopeSchema, type ApiKeyAttributes, type ApiKeyRecord, type ApiKeyScope } from '#shared/http/api-key.ts';
import { exists, ifNotExists, sdkExpression, updateExpression } from '#shared/table/expression.ts';

/**
 * API-key administration for the CLI: create (the key text is returned once and never stored),
 * list (hashes and attributes only), revoke. Revocation reaches every API container within the
 * authenticator's cache age (shared/http/auth.ts, at most 60 s).
 */

/** `hub_` + 32 random bytes (256 bits) base64url: unguessable, and recognisable in a leak scan. */
export function newApiKeyText(): string {
  return `hub_${randomBytes(32).toString('base64url')}`;
}

export async function createApiKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  attrs: ApiKeyAttributes,
  now: Date,
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = newApiKeyText();
  const record = await putApiKey(doc, tableName, key, attrs, now);
  return { key, record };
}

export interface ListedApiKey {
  keyHash: string;
  name?: string;
  scopes: ApiKeyScope[];
  partner: string | null;
  channels?: string[];
  locations?: string[];
  createdAt: string;
  revoked: boolean;
  revokedAt?: string;
}

/**
 * Every key, newest first. Keys live one per partition (`KEY#<sha256>`), so this scans the
 * table: acceptable for an operator's occasional command, never done on a request path.
 */
export async function listApiKeys(doc: DynamoDBDocumentClient, tableName: string): Promise<ListedApiKey[]> {
  const out: ListedApiKey[] = [];
  const items = await allItems<Record<string, unknown>>((start) =>
    doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :p) AND sk = :m',
        ExpressionAttributeValues: { ':p': API_KEY_PREFIX, ':m': 'META' },
        ExclusiveStartKey: start,
      }),
    ),
  );
  for (const it of items) {
    const scopes = (Array.isArray(it.scopes) ? it.scopes : []).filter(
      (s): s is ApiKeyScope => ApiKeyScopeSchema.safeParse(s).success,
    );
    out.push({
      keyHash: String(it.pk).slice(API_KEY_PREFIX.length),
      ...(typeof it.name === 'string' ? { name: it.name } : {}),
      scopes,
      partner: typeof it.partner === 'string' ? it.partner : null,
      ...(Array.isArray(it.channels) ? { channels: it.channels.map(String) } : {}),
      ...(Array.isArray(it.locations) ? { locations: it.locations.map(String) } : {}),
      createdAt: String(it.createdAt ?? ''),
      revoked: it.revoked === true,
      ...(typeof it.revokedAt === 'string' ? { revokedAt: it.revokedAt } : {}),
    });
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/**
 * Marks a key revoked (kept, not deleted, so `list` still shows who had access and until when).
 * Returns false when no key has that hash.
 */
export async function revokeApiKey(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keyHash: string,
  now: Date,
): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(keyHash)) throw new RangeError('keyHash must be the 64 hex characters that `list` shows');
  try {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.apiKey(keyHash),
        ...sdkExpression(
          updateExpression({ set: { revoked: true, revokedAt: ifNotExists(now.toISOString()) } }, exists('pk')),
        ),
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}
