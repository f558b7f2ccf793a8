import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Listing mappings as stored (item `LISTING#<channel>#<externalId>` / `META`), for the admin CLI.
 * Each listing is its own partition, so listing them is a Scan of the table: fine for a one-shot
 * command a person runs, never for a request path.
 */
export interface StoredListing {
  channel: string;
  externalId: string;
  sku: string;
  at: string;
}

export async function listListings(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { channel?: string } = {},
): Promise<StoredListing[]> {
  const out: StoredListing[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new ScanCommand({
        TableName: tableName,
        // channel names cannot hold '#', so `LISTING#<channel>#` is exactly that channel's listings
        FilterExpression: 'begins_with(pk, :p) AND sk = :m AND #t = :t',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: {
          ':p': opts.channel ? `LISTING#${opts.channel}#` : 'LISTING#',
          ':m': 'META',
          ':t': 'listing',
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const it of res.Items ?? []) {
      if (typeof it.channel !== 'string' || typeof it.externalId !== 'string' || typeof it.sku !== 'string') continue;
      out.push({ channel: it.channel, externalId: it.externalId, sku: it.sku, at: String(it.at ?? '') });
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return out.sort((a, b) =>
    a.channel === b.channel ? (a.externalId < b.externalId ? -1 : 1) : a.channel < b.channel ? -1 : 1,
  );
}
