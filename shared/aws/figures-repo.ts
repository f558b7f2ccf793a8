import { z } from 'zod';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FigureEntrySchema } from '#shared/kpi/figures-schema.ts';
import type { FiguresPort, StoredFigure } from '#shared/kpi/figures.ts';
import { keys } from '#shared/table/keys.ts';
import { conditionExpression, eq, notExists, sdkExpression } from '#shared/table/expression.ts';

/**
 * Partner-reported figures on the hub table (keys.figure / keys.figureVersion): the current
 * version of each entry, and every version beside it. A new version is written with a condition
 * on the version it replaces, so two concurrent corrections of one key cannot both win; the loser
 * reads again and retries.
 */

const StoredSchema = z.object({
  entry: FigureEntrySchema,
  contentHash: z.string(),
  version: z.number().int(),
  receivedAt: z.string(),
  sentBy: z.object({ partner: z.string().nullable(), keyId: z.string() }),
});

function stored(item: Record<string, unknown>): StoredFigure | undefined {
  const r = StoredSchema.safeParse(item);
  return r.success ? r.data : undefined;
}

const ATTEMPTS = 3;

export function dynamoFiguresRepo(doc: DynamoDBDocumentClient, tableName: string): FiguresPort {
  const query = async (pk: string, prefix: string) => {
    const out: StoredFigure[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
          ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
          ExclusiveStartKey: start,
        }),
      );
      for (const it of res.Items ?? []) {
        const s = stored(it);
        if (s) out.push(s);
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  };
  return {
    entries: (channel) => query(keys.figure(channel, '').pk, 'E#'),
    history: (channel, key) => query(keys.figure(channel, key).pk, `V#${key}#`),
    async put(channel, figure) {
      const key = keys.figure(channel, figure.entry.key);
      for (let attempt = 1; ; attempt++) {
        const res = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
        const current = res.Item ? stored(res.Item) : undefined;
        if (current && current.contentHash === figure.contentHash) return 'unchanged';
        const version = (current?.version ?? 0) + 1;
        const item = { ...figure, version, type: 'figure', channel };
        try {
          await doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: { ...key, ...item },
                    ...sdkExpression(conditionExpression(res.Item ? eq('version', res.Item.version) : notExists('pk'))),
                  },
                },
                {
                  Put: {
                    TableName: tableName,
                    Item: {
                      ...keys.figureVersion(channel, figure.entry.key, version),
                      ...item,
                      type: 'figure-version',
                    },
                    ...sdkExpression(conditionExpression(notExists('pk'))),
                  },
                },
              ],
            }),
          );
          return current ? 'corrected' : 'created';
        } catch (err) {
          if ((err as Error).name !== 'TransactionCanceledException' || attempt >= ATTEMPTS) throw err;
        }
      }
    },
  };
}
