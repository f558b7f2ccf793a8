import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { itemSize, readUnits, writeUnits } from '#shared/table/item-size.ts';
import {
  TableValidationError,
  WriteConflictError,
  type CostStats,
  type Item,
  type Key,
  type ReadOptions,
  type TablePort,
  type WriteOp,
} from '#shared/table/port.ts';

export function documentClient(config: DynamoDBClientConfig): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/**
 * Messages of the document client's marshalling refusals (a number beyond 2^53, NaN, undefined in
 * a list, a class instance): thrown before any request, the same for every retry.
 */
const MARSHALL_REFUSAL = new RegExp(
  [
    'MAX_SAFE_INTEGER',
    'MIN_SAFE_INTEGER',
    'Special numeric value',
    'Unsupported type passed',
    'removeUndefinedValues',
    'Pass a non-empty set',
    'imprecise number',
    'Use NumberValue',
  ].join('|'),
);

/** A request DynamoDB (or the client, before sending) refuses as it is: TableValidationError, else the error itself. */
export function tableError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'ValidationException' || MARSHALL_REFUSAL.test(err.message)) {
    return new TableValidationError(`${err.name}: ${err.message}`, { cause: err });
  }
  return err;
}

function opSize(op: WriteOp): number {
  return op.kind === 'put' ? itemSize(op.item) : op.billedSize;
}

/** The normalizer's TablePort on DynamoDB, counting requests and billed units as it goes. */
export class DynamoTable implements TablePort {
  readonly stats: CostStats = { readRequests: 0, writeRequests: 0, readUnits: 0, writeUnits: 0 };

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get(key: Key, opts: ReadOptions = {}): Promise<Item | undefined> {
    const consistent = opts.consistent ?? true;
    const res = await this.doc
      .send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }))
      .catch((err: unknown) => {
        throw tableError(err);
      });
    this.stats.readRequests += 1;
    this.stats.readUnits += readUnits(res.Item ? itemSize(res.Item) : 0, consistent);
    return res.Item;
  }

  async batchGet(keys: Key[], opts: ReadOptions = {}): Promise<Item[]> {
    const consistent = opts.consistent ?? true;
    const out: Item[] = [];
    // BatchGetItem takes at most 100 keys per request
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Key[] | undefined = keys.slice(i, i + 100);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        if (attempt > 8) throw new Error('BatchGetItem kept returning unprocessed keys');
        const res = await this.doc
          .send(
            new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: consistent } } }),
          )
          .catch((err: unknown) => {
            throw tableError(err);
          });
        this.stats.readRequests += 1;
        const items = res.Responses?.[this.tableName] ?? [];
        for (const it of items) this.stats.readUnits += readUnits(itemSize(it), consistent);
        out.push(...items);
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys as Key[] | undefined;
      }
    }
    return out;
  }

  async queryBetween(pk: string, after: string, before: string): Promise<Item[]> {
    const out: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc
        .send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
            ExpressionAttributeValues: { ':pk': pk, ':a': after, ':b': before },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        )
        .catch((err: unknown) => {
          throw tableError(err);
        });
      this.stats.readRequests += 1;
      const items = res.Items ?? [];
      this.stats.readUnits += readUnits(
        items.reduce((n, it) => n + itemSize(it), 0),
        true,
      );
      // BETWEEN is inclusive; the callers' bounds are exclusive
      out.push(...items.filter((it) => it.sk !== after && it.sk !== before));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length === 1) {
      const op = ops[0]!;
      try {
        if (op.kind === 'put') await this.doc.send(new PutCommand(this.putInput(op)));
        else await this.doc.send(new UpdateCommand(this.updateInput(op)));
      } catch (err) {
        if ((err as Error).name === 'ConditionalCheckFailedException')
          throw new WriteConflictError('condition failed', [true]);
        throw tableError(err);
      } finally {
        this.stats.writeRequests += 1;
      }
      this.stats.writeUnits += writeUnits(opSize(op));
      return;
    }
    if (ops.length > 100) throw new RangeError(`a transaction takes at most 100 items, got ${ops.length}`);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: ops.map((op) =>
            op.kind === 'put' ? { Put: this.putInput(op) } : { Update: this.updateInput(op) },
          ),
        }),
      );
    } catch (err) {
      const e = err as Error & { CancellationReasons?: { Code?: string }[] };
      if (e.name === 'TransactionCanceledException') {
        const reasons = e.CancellationReasons ?? [];
        const failed = ops.map((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
        // a cancellation for any other reason (conflict with another transaction, throttling) is transient
        if (failed.some(Boolean)) throw new WriteConflictError('transaction condition failed', failed);
        // an item the table refuses (too big, a key too long) fails the transaction every time
        if (reasons.some((r) => r?.Code === 'ValidationError'))
          throw new TableValidationError(`${e.name}: ${e.message}`, { cause: err });
      }
      throw tableError(err);
    } finally {
      this.stats.writeRequests += 1;
    }
    // a transaction bills every item twice
    this.stats.writeUnits += ops.reduce((n, op) => n + 2 * writeUnits(opSize(op)), 0);
  }

  private putInput(op: Extract<WriteOp, { kind: 'put' }>) {
    return {
      TableName: this.tableName,
      Item: op.item,
      ConditionExpression: op.condition,
      ExpressionAttributeNames: op.names,
      ExpressionAttributeValues: op.values,
    };
  }

  private updateInput(op: Extract<WriteOp, { kind: 'update' }>) {
    return {
      TableName: this.tableName,
      Key: op.key,
      UpdateExpression: op.update,
      ConditionExpression: op.condition,
      ExpressionAttributeNames: op.names,
      ExpressionAttributeValues: op.values,
    };
  }
}
