import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ChannelConfigSchema, type ChannelConfig, type ChannelConfigInput } from '#shared/inventory/channel-config.ts';
import type { ChannelPort } from '#shared/inventory/ports.ts';
import type { MsClock } from '#shared/domain/clock.ts';

/**
 * Channel configuration: item `CHANNEL#<channel>` / `META`. Each channel has its own partition,
 * so listing them would take a table scan; instead the item also carries `feedPk = 'CHANNELS'`,
 * which places it in the sparse `byUpdated` GSI under a partition the stock feed never queries
 * (the feed reads `FEED#0..3` only). Listing all channels is then one small index query.
 */
export const CHANNELS_INDEX_PK = 'CHANNELS';
const INDEX = 'byUpdated';

export const channelKey = (channel: string) => ({ pk: `CHANNEL#${channel}`, sk: 'META' });

export async function putChannel(doc: DynamoDBDocumentClient, tableName: string, input: ChannelConfigInput, now: Date): Promise<ChannelConfig> {
  const config = ChannelConfigSchema.parse(input);
  await doc.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...config, ...channelKey(config.channel), type: 'channel', feedPk: CHANNELS_INDEX_PK, feedSk: config.channel, updatedAt: now.toISOString() },
    }),
  );
  listCache.delete(tableName);
  return config;
}

function fromItem(item: Record<string, unknown>): ChannelConfig | undefined {
  const { pk: _pk, sk: _sk, type: _t, feedPk: _fpk, feedSk: _fsk, updatedAt: _u, ...rest } = item;
  const parsed = ChannelConfigSchema.safeParse(rest);
  if (!parsed.success) {
    // a hand-edited item that no longer parses is left out (and said so), not served half-read
    console.error(JSON.stringify({ level: 'WARN', message: 'invalid channel config skipped', channel: item.channel, error: parsed.error.message }));
    return undefined;
  }
  return parsed.data;
}

export async function getChannel(doc: DynamoDBDocumentClient, tableName: string, channel: string): Promise<ChannelConfig | undefined> {
  const res = await doc.send(new GetCommand({ TableName: tableName, Key: channelKey(channel) }));
  return res.Item ? fromItem(res.Item) : undefined;
}

async function queryChannels(doc: DynamoDBDocumentClient, tableName: string): Promise<ChannelConfig[]> {
  const out: ChannelConfig[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: INDEX,
        KeyConditionExpression: 'feedPk = :p',
        ExpressionAttributeValues: { ':p': CHANNELS_INDEX_PK },
        ExclusiveStartKey: start,
      }),
    );
    for (const it of res.Items ?? []) {
      const c = fromItem(it);
      if (c) out.push(c);
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
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

export function dynamoChannelPort(doc: DynamoDBDocumentClient, tableName: string, opts: { maxAgeSeconds?: number; now: MsClock }): ChannelPort {
  return { list: () => listChannels(doc, tableName, opts) };
}
