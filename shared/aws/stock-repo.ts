import { allItems } from '#shared/aws/paging.ts';
import { z } from 'zod';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BalanceRowSchema } from '#shared/inventory/balance-row.ts';
import { BALANCE_DIR_SHARDS, balanceDirPartition, keys } from '#shared/table/keys.ts';
import { DynamoTable } from '#shared/aws/table.ts';
import { decodeChangeRow, type ChangeRow } from '#shared/inventory/change-pages.ts';
import type {
  BalanceListPort,
  BalanceRow,
  ChangePageRead,
  ChangePagesQuery,
  DirectoryEntry,
  ListedRow,
  StockReadPort,
} from '#shared/inventory/ports.ts';

/**
 * The stock API's reads on the hub table. Balances and ledger rows share a SKU's partition
 * (`LOC#…` and `MOVE#…` sort keys), so `begins_with(sk, 'LOC#')` reads the balances alone: the
 * cost of a stock read does not grow with the SKU's history. The delta feed reads the change
 * pages (`CHG#<day>`) and, for a snapshot, the balance directory.
 */

const ListedItemSchema = z.object({ channel: z.string(), quantity: z.number(), asOf: z.string() });

function toRows(items: Record<string, unknown>[] | undefined): BalanceRow[] {
  const rows: BalanceRow[] = [];
  for (const it of items ?? []) {
    const r = BalanceRowSchema.safeParse(it);
    if (r.success) rows.push(r.data);
  }
  return rows;
}

export function dynamoStockRepo(doc: DynamoDBDocumentClient, tableName: string): StockReadPort {
  return {
    async balancesOf(sku) {
      const { pk } = keys.balance(sku, '');
      // one request in practice; a SKU stocked at thousands of locations (>1 MB) pages
      const rows = await allItems<Item>((start) =>
        doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :loc)',
            ExpressionAttributeValues: { ':pk': pk, ':loc': 'LOC#' },
            // a WMS that posts a count and reads it back must see it
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      return toRows(rows);
    },

    async skuState(sku) {
      // `LISTED#<channel>` sorts just before `LOC#<location>` and ledger rows (`MOVE#`) after both:
      // one sk range reads the balances and the listed quantities, never the ledger
      const { pk } = keys.balance(sku, '');
      const items = await allItems<Item>((start) =>
        doc.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': pk, ':from': 'LISTED#', ':to': 'LOC$' },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      const listed: ListedRow[] = [];
      for (const it of items) {
        if (!String(it.sk).startsWith('LISTED#')) continue;
        const r = ListedItemSchema.safeParse(it);
        if (r.success) listed.push(r.data);
      }
      return { balances: toRows(items.filter((it) => String(it.sk).startsWith('LOC#'))), listed };
    },

    ...dynamoBalanceList(doc, tableName),

    async changePages(q: ChangePagesQuery) {
      const res = await doc.send(
        new QueryCommand({
          TableName: tableName,
          // BETWEEN is inclusive: `from` may be a page partly delivered; `before` is a bare time
          // that no page key equals. Strongly consistent: a page the read missed would be behind
          // the cursor for good.
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':pk': `CHG#${q.day}`, ':a': q.from, ':b': q.before },
          ConsistentRead: true,
          Limit: q.limit,
        }),
      );
      return { pages: (res.Items ?? []).map(pageOf), done: !res.LastEvaluatedKey };
    },
  };
}

/** A change page part as stored: its rows decoded, rows it cannot read left out. */
export function pageOf(it: Record<string, unknown>): ChangePageRead {
  const rows: ChangeRow[] = [];
  if (Array.isArray(it.rows))
    for (const v of it.rows) {
      const r = typeof v === 'string' ? decodeChangeRow(v) : undefined;
      if (r) rows.push(r);
    }
  return { sk: String(it.sk), rows };
}

/**
 * Listing balances through the balance directory (shared/inventory/balance-directory.ts): a Query
 * of one directory partition (strongly consistent: an entry the read missed would be a balance
 * the snapshot never serves) and BatchGetItem of the balances (eventually consistent, 100 per
 * request: a stale balance is followed by the change page of its newer state).
 */
export function dynamoBalanceList(doc: DynamoDBDocumentClient, tableName: string): BalanceListPort {
  const table = new DynamoTable(doc, tableName);
  return {
    directoryShards: BALANCE_DIR_SHARDS,
    async directory(q) {
      const res = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: q.after === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :a',
          ExpressionAttributeValues: {
            ':pk': balanceDirPartition(q.shard),
            ...(q.after === undefined ? {} : { ':a': q.after }),
          },
          ConsistentRead: true,
          Limit: q.limit,
        }),
      );
      const entries: DirectoryEntry[] = [];
      for (const it of res.Items ?? [])
        if (typeof it.sku === 'string' && typeof it.location === 'string')
          entries.push({ sku: it.sku, location: it.location, sk: String(it.sk) });
      return { entries, done: !res.LastEvaluatedKey };
    },
    async balances(ids) {
      const items = await table.batchGet(
        ids.map((b) => keys.balance(b.sku, b.location)),
        { consistent: false },
      );
      return toRows(items);
    },
  };
}

type Item = Record<string, unknown>;
