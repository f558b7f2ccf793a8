import { allItems, type Page } from '#shared/aws/paging.ts';
import * as z from 'zod/mini';
import type { Connection } from '#shared/domain/connection.ts';
import type { ConnectionStore } from '#shared/ingest/ports.ts';
import { AwsError, liteAwsClient, type LiteAwsClient } from '#shared/aws/lite/client.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { CHANNELS_INDEX_PK, CONNECTION_PREFIX, keys } from '#shared/table/keys.ts';

/**
 * Connections on DynamoDB (item `CONN#<id>` / `META`: source, channel, partner and the
 * source-specific options) with their active secrets in Secrets Manager (`hub/<stage>/connections/<id>`,
 * a JSON array of one or two secrets), so a table export or a log of items never holds a secret.
 *
 * Reads are cached in the function for `maxAgeSeconds` (default 60): a webhook burst costs one
 * GetItem and one GetSecretValue per connection per minute, not per delivery. After a rotation a
 * cached copy can be stale; the ingest use case then asks once for a `fresh` read, which is
 * allowed at most every `freshIntervalSeconds` per connection so bad signatures cannot turn into
 * a flood of Secrets Manager calls.
 */
export interface DynamoConnectionStoreOptions {
  tableName: string;
  /** part of the secret name; default `HUB_STAGE` or `local` */
  stage?: string;
  clients?: { aws?: LiteAwsClient };
  maxAgeSeconds?: number;
  freshIntervalSeconds?: number;
  /**
   * How long "no such connection" is remembered (default 5 s): requests to a made-up id cost one
   * GetItem per id per few seconds instead of one each, and a connection created elsewhere is
   * found a few seconds later at most.
   */
  missMaxAgeSeconds?: number;
  /** unknown ids remembered at most (oldest dropped first), so made-up ids cannot grow memory */
  maxMisses?: number;
  now: MsClock;
}

export const connectionKey = keys.connection;
export const secretName = (stage: string, id: string) => `hub/${stage}/connections/${id}`;

// What is read back is checked, not trusted: an item written by hand may be off. Same fields and
// rules as ConnectionSchema, in zod/mini so the ingest bundle stays small.
const StoredConnectionSchema = z.object({
  id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)),
  source: z.enum(['shopify', 'woocommerce', 'square', 'standard-webhooks', 'walmart', 'bigcommerce', 'ebay', 'amazon']),
  // deliberately looser than the key-part rule ConnectionSchema applies when a connection is
  // added: a connection stored before the rule keeps taking webhooks (refusing them would lose
  // them to the sender's retry limit), and the normalizer quarantines its deliveries (invalid-key)
  channel: z.string().check(z.minLength(1), z.maxLength(128)),
  partner: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  notificationUrl: z.optional(z.string()),
  walmartAuth: z.optional(z.enum(['basic', 'hmac'])),
  authHeaderName: z.optional(z.string().check(z.minLength(1))),
  verificationToken: z.optional(z.string().check(z.minLength(1))),
  endpointUrl: z.optional(z.string()),
  locations: z.optional(z.array(z.string().check(z.minLength(1)))),
});
const SecretsSchema = z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.maxLength(2));

const OPTIONAL_FIELDS = [
  'partner',
  'notificationUrl',
  'walmartAuth',
  'authHeaderName',
  'verificationToken',
  'endpointUrl',
] as const;

type AttributeValue = { S?: string; N?: string; NULL?: boolean; BOOL?: boolean };
type Item = Record<string, AttributeValue>;

function toItem(conn: Connection, stage: string, now: Date): Item {
  const item: Item = {
    ...Object.fromEntries(Object.entries(connectionKey(conn.id)).map(([k, v]) => [k, { S: v }])),
    type: { S: 'connection' },
    id: { S: conn.id },
    source: { S: conn.source },
    channel: { S: conn.channel },
    secretName: { S: secretName(stage, conn.id) },
    updatedAt: { S: now.toISOString() },
  };
  for (const f of OPTIONAL_FIELDS) {
    const v = conn[f];
    if (typeof v === 'string') item[f] = { S: v };
  }
  // joined by "|", which the key rule keeps out of every location name
  if (conn.locations) item.locations = { S: conn.locations.join('|') };
  return item;
}

/**
 * The channel's listing entry for this connection (keys.channelConnection). Its type is spelled
 * here rather than imported: channels.ts brings the DynamoDB document client, which the ingest
 * bundle leaves out (shared/table/keys.ts does not).
 */
function channelItem(conn: Connection, now: Date): Item {
  const key = keys.channelConnection(conn.channel, conn.id);
  const item: Item = {
    pk: { S: key.pk },
    sk: { S: key.sk },
    type: { S: 'channel-connection' },
    channel: { S: conn.channel },
    connectionId: { S: conn.id },
    source: { S: conn.source },
    feedPk: { S: CHANNELS_INDEX_PK },
    feedSk: { S: conn.channel },
    updatedAt: { S: now.toISOString() },
  };
  if (conn.partner) item.partner = { S: conn.partner };
  return item;
}

function fromItem(item: Item): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = v.S ?? (v.NULL ? null : (v.N ?? v.BOOL));
  if (typeof out.locations === 'string') out.locations = out.locations.split('|');
  return out;
}

export function dynamoConnectionStore(
  opts: DynamoConnectionStoreOptions,
): ConnectionStore & { clearCache(): void; cachedMisses(): number } {
  // created on first use: a caller may set HUB_AWS_ENDPOINT after building the store
  let client = opts.clients?.aws;
  const aws = { json: <T>(call: Parameters<LiteAwsClient['json']>[0]) => (client ??= liteAwsClient()).json<T>(call) };
  const stage = opts.stage ?? process.env.HUB_STAGE ?? 'local';
  const maxAgeMs = (opts.maxAgeSeconds ?? 60) * 1000;
  // a fresh read is never held back longer than an ordinary one
  const freshIntervalMs = Math.min((opts.freshIntervalSeconds ?? 5) * 1000, maxAgeMs);
  const clock = opts.now;
  const cache = new Map<string, { conn: Connection; fetchedAt: number }>();
  const missMaxAgeMs = Math.min((opts.missMaxAgeSeconds ?? 5) * 1000, maxAgeMs);
  const maxMisses = opts.maxMisses ?? 1000;
  const misses = new Map<string, number>();

  async function readSecrets(id: string, source: string): Promise<string[]> {
    try {
      const out = await aws.json<{ SecretString?: string }>({
        service: 'secretsmanager',
        target: 'secretsmanager.GetSecretValue',
        input: { SecretId: secretName(stage, id) },
      });
      return SecretsSchema.parse(JSON.parse(out.SecretString ?? 'null'));
    } catch (err) {
      // the Amazon source authenticates through IAM on its queue and has no secret
      if (source === 'amazon' && err instanceof AwsError && err.type === 'ResourceNotFoundException') return [];
      throw err;
    }
  }

  function assemble(item: Item, secrets: string[]): Connection {
    const parsed = StoredConnectionSchema.parse(fromItem(item));
    return { ...parsed, partner: parsed.partner ?? null, secrets };
  }

  async function fetchOne(id: string): Promise<Connection | undefined> {
    const out = await aws.json<{ Item?: Item }>({
      service: 'dynamodb',
      target: 'DynamoDB_20120810.GetItem',
      input: { TableName: opts.tableName, Key: { pk: { S: connectionKey(id).pk }, sk: { S: connectionKey(id).sk } } },
    });
    // the secret is read only for a connection that exists: requests to made-up ids must not
    // become Secrets Manager calls
    if (!out.Item) return undefined;
    return assemble(out.Item, await readSecrets(id, out.Item.source?.S ?? ''));
  }

  return {
    async get(id, getOpts) {
      const hit = cache.get(id);
      const age = hit ? clock() - hit.fetchedAt : Infinity;
      if (hit && (getOpts?.fresh ? age < freshIntervalMs : age < maxAgeMs)) return hit.conn;
      const missedAt = misses.get(id);
      if (!hit && missedAt !== undefined && clock() - missedAt < missMaxAgeMs) return undefined;
      const conn = await fetchOne(id);
      misses.delete(id);
      if (conn) cache.set(id, { conn, fetchedAt: clock() });
      else {
        cache.delete(id);
        if (misses.size >= maxMisses) misses.delete(misses.keys().next().value!);
        misses.set(id, clock());
      }
      return conn;
    },

    async put(conn) {
      const secretString = JSON.stringify(conn.secrets);
      // the secret first: a reader that finds the item always finds its secret too
      if (conn.secrets.length > 0) {
        try {
          await aws.json({
            service: 'secretsmanager',
            target: 'secretsmanager.PutSecretValue',
            input: { SecretId: secretName(stage, conn.id), SecretString: secretString },
          });
        } catch (err) {
          if (!(err instanceof AwsError && err.type === 'ResourceNotFoundException')) throw err;
          await aws.json({
            service: 'secretsmanager',
            target: 'secretsmanager.CreateSecret',
            input: {
              Name: secretName(stage, conn.id),
              SecretString: secretString,
              Description: `webhook secrets of hub connection ${conn.id} (${conn.source})`,
            },
          });
        }
      }
      await aws.json({
        service: 'dynamodb',
        target: 'DynamoDB_20120810.PutItem',
        input: { TableName: opts.tableName, Item: toItem(conn, stage, new Date(clock())) },
      });
      // the connection's channel becomes a channel of the hub at once (stock and KPI reads list it)
      await aws.json({
        service: 'dynamodb',
        target: 'DynamoDB_20120810.PutItem',
        input: { TableName: opts.tableName, Item: channelItem(conn, new Date(clock())) },
      });
      cache.delete(conn.id);
      misses.delete(conn.id);
    },

    async list() {
      const items = await allItems<Item>((startKey) =>
        aws.json<Page<Item>>({
          service: 'dynamodb',
          target: 'DynamoDB_20120810.Scan',
          input: {
            TableName: opts.tableName,
            FilterExpression: 'begins_with(pk, :p) AND sk = :m',
            ExpressionAttributeValues: { ':p': { S: CONNECTION_PREFIX }, ':m': { S: 'META' } },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          },
        }),
      );
      const conns = await Promise.all(
        items.map(async (item) => assemble(item, await readSecrets(item.id?.S ?? '', item.source?.S ?? ''))),
      );
      return conns.sort((a, b) => a.id.localeCompare(b.id));
    },

    clearCache() {
      cache.clear();
      misses.clear();
    },

    cachedMisses() {
      return misses.size;
    },
  };
}
