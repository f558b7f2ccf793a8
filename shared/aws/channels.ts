import { allItems } from '#shared/aws/paging.ts';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChannelConfigSchema, type ChannelConfig, type ChannelConfigInput } from '#shared/inventory/channel-config.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { CHANNELS_INDEX_PK, FEED_INDEX, keys } from '#shared/table/keys.ts';
import { hubLogger } from '#shared/observability/log.ts';

const log = hubLogger('channels');

/**
 * Channel configuration: item `CHANNEL#<channel>` / `META`. Each channel has its own partition,
 * so listing them would take a table scan; instead the item also carries `feedPk = 'CHANNELS'`,
 * which places it in the sparse `byUpdated` GSI (the index's one partition in use: the stock feed
 * reads change pages). Listing all channels is then one small index query.
 */
export { CHANNELS_INDEX_PK };

export const channelKey = keys.channel;

/**
 * A channel the hub receives from without a configuration of its own: item `CHANNEL#<channel>` /
 * `CONN#<connection id>`, written beside each connection (shared/aws/connections.ts). It sits in
 * the same index partition as the configurations, so the one query that lists them also finds
 * every connected channel: a merchant who connects a store sees its channel at once, with the
 * defaults (whole pool, no standards) until it is configured.
 */
export const channelConnectionKey = keys.channelConnection;
export const CHANNEL_CONNECTION_TYPE = 'channel-connection';
/** a channel known from its KPI data alone (keys.channelData, written by the fold): listed with the defaults */
export const CHANNEL_DATA_TYPE = 'channel-data';

export async function putChannel(
  doc: DynamoDBDocumentClient,
  tableName: string,
  input: ChannelConfigInput,
  now: Date,
): Promise<ChannelConfig> {
  const config = ChannelConfigSchema.parse(input);
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...config,
        ...channelKey(config.channel),
        type: 'channel',
        feedPk: CHANNELS_INDEX_PK,
        feedSk: config.channel,
        updatedAt: now.toISOString(),
      },
    }),
  );
  listCache.delete(tableName);
  return config;
}

/**
 * Lists a channel that receives through something other than a stored connection: Amazon SP-API
 * notifications come off their own queue under a fixed connection id, with no connection item.
 * The same entry a stored connection writes (shared/aws/connections.ts).
 */
export async function putChannelConnection(
  doc: DynamoDBDocumentClient,
  tableName: string,
  entry: { channel: string; connectionId: string; source: string; partner?: string | null },
  now: Date,
): Promise<void> {
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...channelConnectionKey(entry.channel, entry.connectionId),
        type: CHANNEL_CONNECTION_TYPE,
        channel: entry.channel,
        connectionId: entry.connectionId,
        source: entry.source,
        ...(entry.partner ? { partner: entry.partner } : {}),
        feedPk: CHANNELS_INDEX_PK,
        feedSk: entry.channel,
        updatedAt: now.toISOString(),
      },
    }),
  );
  listCache.delete(tableName);
}

function fromItem(item: Record<string, unknown>): ChannelConfig | undefined {
  const { pk: _pk, sk: _sk, type: _t, feedPk: _fpk, feedSk: _fsk, updatedAt: _u, ...rest } = item;
  const parsed = ChannelConfigSchema.safeParse(rest);
  if (!parsed.success) {
    // a hand-edited item that no longer parses is left out (and said so), not served half-read
    log.warn('invalid channel config skipped', { channel: item.channel, error: parsed.error.message });
    return undefined;
  }
  return parsed.data;
}

export async function getChannel(
  doc: DynamoDBDocumentClient,
  tableName: string,
  channel: string,
): Promise<ChannelConfig | undefined> {
  const res = await doc.send(new GetCommand({ TableName: tableName, Key: channelKey(channel) }));
  return res.Item ? fromItem(res.Item) : undefined;
}

/**
 * Configurations first; a channel that only has connections gets the default configuration, owned
 * by its connection's partner (a partner key then sees the channel it connected).
 */
async function queryChannels(doc: DynamoDBDocumentClient, tableName: string): Promise<ChannelConfig[]> {
  const configured = new Map<string, ChannelConfig>();
  const connected = new Map<string, ChannelConfig>();
  const items = await allItems<Record<string, unknown>>((start) =>
    doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: FEED_INDEX,
        KeyConditionExpression: 'feedPk = :p',
        ExpressionAttributeValues: { ':p': CHANNELS_INDEX_PK },
        ExclusiveStartKey: start,
      }),
    ),
  );
  for (const it of items) {
    if (it.type === CHANNEL_CONNECTION_TYPE || it.type === CHANNEL_DATA_TYPE) {
      const c = connectedChannel(it);
      if (c && !connected.has(c.channel)) connected.set(c.channel, c);
      continue;
    }
    const c = fromItem(it);
    if (c) configured.set(c.channel, c);
  }
  const out = [...configured.values()];
  for (const [name, c] of connected) if (!configured.has(name)) out.push(c);
  return out.sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
}

function connectedChannel(item: Record<string, unknown>): ChannelConfig | undefined {
  const parsed = ChannelConfigSchema.safeParse({
    channel: item.channel,
    ...(typeof item.partner === 'string' ? { partner: item.partner } : {}),
  });
  return parsed.success ? parsed.data : undefined;
}

/**
 * Channel configs change rarely and are read on every stock read: a container reuses its list
 * for `maxAgeSeconds` (default 30), so a rule change reaches every reader within that time.
 */
const listCache = new Map<string, { at: number; list: Promise<ChannelConfig[]> }>();

export async function listChannels(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { maxAgeSeconds?: number; now: MsClock },
): Promise<ChannelConfig[]> {
  const now = opts.now();
  const hit = listCache.get(tableName);
  if (hit && now - hit.at < (opts.maxAgeSeconds ?? 30) * 1000) return hit.list;
  const list = queryChannels(doc, tableName);
  listCache.set(tableName, { at: now, list });
  list.catch(() => listCache.delete(tableName));
  return list;
}

export function clearChannelCache(): void {
  listCache.clear();
}

export function dynamoChannelPort(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { maxAgeSeconds?: number; now: MsClock },
): ChannelPort {
  return { list: () => listChannels(doc, tableName, opts) };
}
