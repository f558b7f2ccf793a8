import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { waitingListing, type OrderLineState } from '#shared/normalize/order-state.ts';
import { keys } from '#shared/table/keys.ts';

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

/** An order line kept as unmapped: it waits for the channel's listing `externalId` to be mapped to a SKU. */
export interface WaitingLine {
  channel: string;
  externalId: string;
  orderId: string;
  lineId: string;
  quantity: number;
}

/**
 * Order lines that wait for a listing mapping, for the admin CLI (`listings waiting`). The orders
 * mark themselves in each listing's partition (`WAIT#<orderId>`); a mark whose line has been
 * resolved since is left in place, so each order is read to list only lines still unmapped.
 * A Scan, like `listListings`: a one-shot command, never a request path.
 */
export async function listWaitingLines(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { channel?: string } = {},
): Promise<WaitingLine[]> {
  const marks: { channel: string; externalId: string; orderId: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :p) AND begins_with(sk, :w) AND #t = :t',
        ExpressionAttributeNames: { '#t': 'type' },
        ExpressionAttributeValues: {
          ':p': opts.channel ? `LISTING#${opts.channel}#` : 'LISTING#',
          ':w': 'WAIT#',
          ':t': 'listing-waiter',
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const it of res.Items ?? []) {
      // LISTING#<channel>#<externalId>: channel names hold no '#', listing ids may
      const rest = String(it.pk).slice('LISTING#'.length);
      const cut = rest.indexOf('#');
      if (cut < 0) continue;
      marks.push({ channel: rest.slice(0, cut), externalId: rest.slice(cut + 1), orderId: String(it.orderId) });
    }
    start = res.LastEvaluatedKey;
  } while (start);
  const out: WaitingLine[] = [];
  for (const m of marks) {
    const order = (await doc.send(new GetCommand({ TableName: tableName, Key: keys.order(m.channel, m.orderId) })))
      .Item;
    const lines = (order?.state as { lines?: OrderLineState[] } | undefined)?.lines ?? [];
    for (const l of lines)
      if (waitingListing(l) === m.externalId)
        out.push({
          channel: m.channel,
          externalId: m.externalId,
          orderId: m.orderId,
          lineId: l.lineId,
          quantity: l.qty,
        });
  }
  const key = (w: WaitingLine) => [w.channel, w.externalId, w.orderId, w.lineId].join('\u0000');
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
