/** The table as the normalizer sees it: a few reads and one atomic write of planned operations. */
export type Item = Record<string, unknown>;
export interface Key {
  pk: string;
  sk: string;
}

export interface ExpressionParts {
  condition?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

export type WriteOp =
  | ({ kind: 'put'; item: Item } & ExpressionParts)
  | ({
      kind: 'update';
      key: Key;
      update: string /** billed size: the larger of the item before and after */;
      billedSize: number;
    } & ExpressionParts);

/** The write lost a race (a condition failed): re-read and plan again. */
export class WriteConflictError extends Error {
  override name = 'WriteConflictError';
  constructor(
    message: string,
    /** per op, whether its own condition failed (transactions report this per item) */
    readonly failed: boolean[],
  ) {
    super(message);
  }
}

/**
 * The table refused the request itself, not its timing: a key or item over DynamoDB's limits, a
 * number it cannot hold, a value it cannot store (DynamoDB's ValidationException, or the client's
 * refusal to marshal). The same request fails the same way every time, so it is poison: the
 * normalizer quarantines the delivery, the fold leaves the change out and reports it.
 */
export class TableValidationError extends Error {
  override name = 'TableValidationError';
}

export interface CostStats {
  readRequests: number;
  writeRequests: number;
  readUnits: number;
  writeUnits: number;
}

export interface ReadOptions {
  /**
   * false: an eventually consistent read (half the read units). Only where the write that follows
   * is conditional on what was read, so a stale read costs a failed condition and a retry (which
   * reads strongly consistent), never a wrong answer. Default true.
   */
  consistent?: boolean;
}

export interface TablePort {
  get(key: Key, opts?: ReadOptions): Promise<Item | undefined>;
  batchGet(keys: Key[], opts?: ReadOptions): Promise<Item[]>;
  /** items of `pk` whose sort key is strictly above `after` and below `before` */
  queryBetween(pk: string, after: string, before: string): Promise<Item[]>;
  /** one op: a single conditional write; several: one transaction (all or nothing) */
  write(ops: WriteOp[]): Promise<void>;
  readonly stats: CostStats;
}
