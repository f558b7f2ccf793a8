import { allItems } from '#shared/aws/paging.ts';
import { z } from 'zod';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BalanceRowSchema } from '#shared/inventory/balance-row.ts';
import { FEED_INDEX, FEED_SHARDS, feedPartition, keys } from '#shared/table/keys.ts';
import type { BalanceRow, FeedShardQuery, FeedShardResult, ListedRow, StockReadPort } from '#shared/inventory/ports.ts';

/**
 * The stock API's reads on the hub table. Balances and ledger rows share a SKU's partition
 * (`LOC#…` and `MOVE#…` sort keys), so `begins_with(sk, 'LOC#')` reads the balances alone: the
 * cost of a stock read does not grow with the SKU's history.
 */
export { FEED_INDEX };

const ListedItemSchema = z.object({ channel: z.string(), quantity: z.number(), asOf: z.string() });

function toRows(items: Record<string, unknown>[] | undefined): BalanceRow[] {
  const rows: BalanceRow[] = [];
  for (const it of items ?? []) {
    const r = BalanceRowSchema.safeParse(it);
    if (r.success) rows.push(r.data);
  }
  return rows;
}

/** DynamoDB's IN takes at most 100 operands; longer lists are filtered here instead. */
const MAX_IN = 100;

export function dynamoStockRepo(doc: DynamoDBDocumentClient, tableName: string): StockReadPort {
  return {
    feedShards: FEED_SHARDS,

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

    async feedShard(q: FeedShardQuery): Promise<FeedShardResult> {
      const filterInQuery = q.locations && q.locations.length <= MAX_IN ? q.locations : undefined;
      const values: Record<string, unknown> = { ':fpk': feedPartition(q.shard), ':a': q.after, ':b': q.before };
      filterInQuery?.forEach((l, i) => (values[`:l${i}`] = l));
      const wanted = q.locations ? new Set(q.locations) : undefined;
      const rows: BalanceRow[] = [];
      let start: Record<string, unknown> | undefined;
      let reachedTo = q.before;
      // a filtered query may need several pages to find `limit` rows; this bounds one request's work
      for (let page = 0; page < 8; page++) {
        const res = await doc.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: FEED_INDEX,
            // BETWEEN is inclusive; `after` may be the feedSk of a row already delivered (dropped
            // below), `before` is a bare time that no feedSk equals
            KeyConditionExpression: 'feedPk = :fpk AND feedSk BETWEEN :a AND :b',
            ...(filterInQuery
              ? {
                  FilterExpression: `#loc IN (${filterInQuery.map((_, i) => `:l${i}`).join(', ')})`,
                  ExpressionAttributeNames: { '#loc': 'location' },
                }
              : {}),
            ExpressionAttributeValues: values,
            ExclusiveStartKey: start,
            Limit: q.limit + 1,
          }),
        );
        for (const r of toRows(res.Items)) {
          if (r.feedSk === q.after || (wanted && !wanted.has(r.location))) continue;
          rows.push(r);
        }
        start = res.LastEvaluatedKey;
        if (!start) {
          reachedTo = q.before;
          break;
        }
        reachedTo = String(start.feedSk);
        if (rows.length >= q.limit) break;
      }
      return { rows, reachedTo };
    },
  };
}

type Item = Record<string, unknown>;
