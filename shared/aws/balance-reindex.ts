import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTable } from '#shared/aws/table.ts';
import { directoryItem } from '#shared/inventory/balance-directory.ts';
import { itemRef, keys } from '#shared/table/keys.ts';

/**
 * `npm run hub -- stock reindex`: the balance directory entries of balances created before the
 * directory existed (shared/inventory/balance-directory.ts). Scans the table for balances
 * (`type = balance`, sort key `LOC#…`: a Scan reads every item, so this is an operator's command,
 * run once after upgrading), reads which of their entries exist (BatchGetItem, eventually
 * consistent: a missed entry is written again, which changes nothing) and writes the missing ones
 * (BatchWriteItem, 25 a request). Safe to repeat and to run while the hub works: an entry is the
 * same item whoever writes it.
 */
export interface ReindexResult {
  /** balances found */
  balances: number;
  /** directory entries written (the balances that had none) */
  written: number;
}

export async function reindexBalances(
  doc: DynamoDBDocumentClient,
  tableName: string,
  opts: { onProgress?: (r: ReindexResult) => void } = {},
): Promise<ReindexResult> {
  const table = new DynamoTable(doc, tableName);
  const result: ReindexResult = { balances: 0, written: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#t = :t AND begins_with(sk, :loc)',
        ProjectionExpression: 'sku, #l',
        ExpressionAttributeNames: { '#t': 'type', '#l': 'location' },
        ExpressionAttributeValues: { ':t': 'balance', ':loc': 'LOC#' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    start = res.LastEvaluatedKey;
    const found = (res.Items ?? []).flatMap((it) =>
      typeof it.sku === 'string' && typeof it.location === 'string' ? [{ sku: it.sku, location: it.location }] : [],
    );
    result.balances += found.length;
    if (found.length === 0) continue;
    const have = new Set(
      (
        await table.batchGet(
          found.map((b) => keys.balanceDir(b.sku, b.location)),
          { consistent: false },
        )
      ).map(itemRef),
    );
    const missing = found.filter((b) => !have.has(itemRef(keys.balanceDir(b.sku, b.location))));
    for (let i = 0; i < missing.length; i += 25)
      await batchPut(doc, tableName, missing.slice(i, i + 25).map(directoryItem));
    result.written += missing.length;
    opts.onProgress?.({ ...result });
  } while (start);
  return result;
}

/** One BatchWriteItem of at most 25 puts, its unprocessed items sent again with a growing pause. */
async function batchPut(
  doc: DynamoDBDocumentClient,
  tableName: string,
  items: Record<string, unknown>[],
): Promise<void> {
  let pending = items.map((Item) => ({ PutRequest: { Item } }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error('BatchWriteItem kept returning unprocessed items');
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
    const res = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
    pending = (res.UnprocessedItems?.[tableName] ?? []) as typeof pending;
  }
}
