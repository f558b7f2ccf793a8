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
import type { CountedBalance, StreamChange } from '#shared/stream/watermarks.ts';
import { COUNTED_BY } from '#shared/inventory/balance.ts';
import { changeRowOf } from '#shared/inventory/change-pages.ts';

/**
 * An in-memory TablePort for the benchmarks and unit tests. It evaluates exactly the expression
 * forms the use cases write through the port, all built by shared/table/expression.ts:
 *  - conditions: `attribute_not_exists(x)`, `attribute_exists(x)`, `a = :v`, `#n = :v`, joined by AND;
 *  - updates: `SET x = :v, y = if_not_exists(y, :z), #n = :v`, `ADD a :v, #b :v` and
 *    `REMOVE #r`, in any order.
 * Anything else throws, so a new form in a writer fails the bench loudly instead of being
 * evaluated wrongly. Requests and billed units are counted exactly as DynamoTable counts them
 * (shared/aws/table.ts, same item-size.ts functions; a transaction bills every item twice), and
 * the bench cross-checks the two on moto.
 *
 * On top, and kept out of `stats` (DynamoTable cannot see it): the write units the sparse GSI
 * `byUpdated` (projection ALL, keys feedPk/feedSk: channel items; balances written before the change
 * pages, until their next write removes the keys) costs — an index write per base write of an item
 * that carries the keys, two when the index key changes (delete + put), sized like the item.
 *
 * DynamoDB's own refusals are modelled as DynamoTable reports them (TableValidationError): a key
 * longer than 2,048 (partition) or 1,024 (sort) bytes, an empty key, an item over 400 KB, a number
 * beyond 2^53 — so poison that passes the schemas fails here as it would on the table.
 */

export interface WriteRecord {
  pk: string;
  sk: string;
  /** billed write units of this item (doubled inside a transaction) */
  units: number;
}

export class MemoryTable implements TablePort {
  readonly stats: CostStats = { readRequests: 0, writeRequests: 0, readUnits: 0, writeUnits: 0 };
  /** GSI byUpdated replication, not part of `stats` */
  readonly gsi = { writes: 0, writeUnits: 0 };
  /** called after every successful write with the units each item was billed */
  onWrite?: (records: WriteRecord[]) => void;
  /**
   * The table's stream as the fold sees it: one record per change of an order item, in write
   * order, with old and new image (DynamoDB writes no record for a write that changes nothing).
   * Read it with `streamFrom(position)`.
   */
  private readonly stream: StreamChange[] = [];
  private nextSeq = 10n ** 20n;
  private readonly partitions = new Map<string, Map<string, Item>>();

  /** stream records from a position (0 = the beginning) and the position after them */
  streamFrom(position: number, limit = Infinity): { changes: StreamChange[]; next: number } {
    const changes = this.stream.slice(position, position + limit).map((c) => clone(c));
    return { changes, next: position + changes.length };
  }

  /**
   * Off by default. On: balance writes by normalize (a count or an adjustment, `by = count`) are
   * recorded too, numbered in the same sequence as the order records, as the fold's event filter
   * hands them over (shared/aws/stream-records.ts countedOf); read them with `countedBetween`.
   */
  recordCounted = false;
  private readonly counted: CountedBalance[] = [];

  /** recorded balance writes by normalize with a sequence number in (after, upTo] (undefined: unbounded) */
  countedBetween(after: string | undefined, upTo: string | undefined): CountedBalance[] {
    const n = (v: string) => BigInt(v);
    return this.counted
      .filter((c) => (after === undefined || n(c.seq) > n(after)) && (upTo === undefined || n(c.seq) <= n(upTo)))
      .map((c) => clone(c as unknown as Item) as unknown as CountedBalance);
  }

  get streamLength(): number {
    return this.stream.length;
  }

  get size(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.size;
    return n;
  }

  /** every item, sorted by pk then sk (for comparing with another table) */
  items(): Item[] {
    const out: Item[] = [];
    for (const pk of [...this.partitions.keys()].sort()) {
      const p = this.partitions.get(pk)!;
      for (const sk of [...p.keys()].sort()) out.push(clone(p.get(sk)!));
    }
    return out;
  }

  private read(key: Key): Item | undefined {
    checkKey(key);
    return this.partitions.get(key.pk)?.get(key.sk);
  }

  async get(key: Key, opts: ReadOptions = {}): Promise<Item | undefined> {
    const consistent = opts.consistent ?? true;
    const item = this.read(key);
    this.stats.readRequests += 1;
    this.stats.readUnits += readUnits(item ? itemSize(item) : 0, consistent);
    return item ? clone(item) : undefined;
  }

  async batchGet(keys: Key[], opts: ReadOptions = {}): Promise<Item[]> {
    const consistent = opts.consistent ?? true;
    const out: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      this.stats.readRequests += 1;
      for (const key of keys.slice(i, i + 100)) {
        const item = this.read(key);
        if (!item) continue;
        this.stats.readUnits += readUnits(itemSize(item), consistent);
        out.push(clone(item));
      }
    }
    return out;
  }

  async queryBetween(pk: string, after: string, before: string): Promise<Item[]> {
    const p = this.partitions.get(pk);
    // BETWEEN is inclusive (billed so); the port's bounds are exclusive
    const hits = p
      ? [...p.entries()].filter(([sk]) => sk >= after && sk <= before).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      : [];
    if (hits.reduce((n, [, it]) => n + itemSize(it), 0) > 1024 * 1024)
      throw new Error('queryBetween: more than one 1 MB page; paging is not modelled');
    this.stats.readRequests += 1;
    this.stats.readUnits += readUnits(
      hits.reduce((n, [, it]) => n + itemSize(it), 0),
      true,
    );
    return hits.filter(([sk]) => sk !== after && sk !== before).map(([, it]) => clone(it));
  }

  async write(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > 100) throw new RangeError(`a transaction takes at most 100 items, got ${ops.length}`);
    this.stats.writeRequests += 1;
    const keysOf = ops.map((op) => (op.kind === 'put' ? { pk: String(op.item.pk), sk: String(op.item.sk) } : op.key));
    if (ops.length > 1 && new Set(keysOf.map((k) => `${k.pk}\u0000${k.sk}`)).size !== ops.length) {
      // DynamoDB refuses a transaction touching one item twice (ValidationException)
      throw new Error('ValidationException: Transaction request cannot include multiple operations on one item');
    }
    const before = keysOf.map((k) => this.read(k));
    const failed = ops.map((op, i) =>
      op.condition ? !evalCondition(op.condition, before[i], op.names, op.values) : false,
    );
    if (failed.some(Boolean))
      throw new WriteConflictError(ops.length === 1 ? 'condition failed' : 'transaction condition failed', failed);
    for (const op of ops) checkNumbers(op.kind === 'put' ? op.item : op.values);
    const after = ops.map((op, i) =>
      op.kind === 'put' ? clone(op.item) : applyUpdate(op.update, before[i], keysOf[i]!, op.names, op.values),
    );
    for (const it of after)
      if (itemSize(it) > ITEM_MAX_BYTES)
        throw new TableValidationError(
          `ValidationException: Item size has exceeded the maximum allowed size (${itemSize(it)} bytes)`,
        );
    const factor = ops.length === 1 ? 1 : 2;
    const records: WriteRecord[] = [];
    ops.forEach((op, i) => {
      const k = keysOf[i]!;
      let p = this.partitions.get(k.pk);
      if (!p) this.partitions.set(k.pk, (p = new Map()));
      p.set(k.sk, after[i]!);
      if (k.pk.startsWith('ORDER#') && !equal(before[i], after[i])) {
        const change: StreamChange = { seq: String(this.nextSeq++), newImage: clone(after[i]!) };
        if (before[i]) change.oldImage = clone(before[i]!);
        this.stream.push(change);
      }
      const a = after[i]!;
      if (
        this.recordCounted &&
        k.pk.startsWith('SKU#') &&
        a.type === 'balance' &&
        a[COUNTED_BY.attribute] === COUNTED_BY.value &&
        !equal(before[i], a)
      ) {
        const row = changeRowOf(a);
        this.counted.push({
          sku: String(a.sku),
          location: String(a.location),
          seq: String(this.nextSeq++),
          ...(row ? { row } : {}),
        });
      }
      const units = factor * writeUnits(op.kind === 'put' ? itemSize(op.item) : op.billedSize);
      this.stats.writeUnits += units;
      records.push({ pk: k.pk, sk: k.sk, units });
      this.indexWrite(before[i], after[i]!);
    });
    this.onWrite?.(records);
  }

  private indexWrite(before: Item | undefined, after: Item): void {
    const inIndex = (it: Item | undefined) =>
      it !== undefined && typeof it.feedPk === 'string' && typeof it.feedSk === 'string';
    if (!inIndex(after) && !inIndex(before)) return;
    const size = itemSize(after);
    if (inIndex(before) && inIndex(after) && (before!.feedPk !== after.feedPk || before!.feedSk !== after.feedSk)) {
      this.gsi.writes += 2;
      this.gsi.writeUnits += writeUnits(itemSize(before!)) + writeUnits(size);
    } else {
      this.gsi.writes += 1;
      this.gsi.writeUnits += writeUnits(inIndex(after) ? size : itemSize(before!));
    }
  }
}

const ITEM_MAX_BYTES = 400 * 1024;
const utf8 = new TextEncoder();

function checkKey(key: Key): void {
  const pk = utf8.encode(String(key.pk)).length;
  const sk = utf8.encode(String(key.sk)).length;
  if (pk === 0 || sk === 0)
    throw new TableValidationError(
      'ValidationException: One or more parameter values are not valid. A key attribute is empty',
    );
  if (pk > 2048)
    throw new TableValidationError(
      'ValidationException: Size of hashkey has exceeded the maximum size limit of 2048 bytes',
    );
  if (sk > 1024)
    throw new TableValidationError(
      'ValidationException: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
    );
}

/** the document client refuses numbers it cannot write exactly */
function checkNumbers(v: unknown): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER)
      throw new TableValidationError(`Number ${v} is greater than Number.MAX_SAFE_INTEGER. Use BigInt.`);
  } else if (Array.isArray(v)) v.forEach(checkNumbers);
  else if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Set))
    Object.values(v).forEach(checkNumbers);
}

/** a deep copy without undefined values (the document client's removeUndefinedValues) */
function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Set)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = clone(x);
    return out as T;
  }
  return v;
}

type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

function attrName(token: string, names: Names): string {
  const t = token.trim();
  if (t.startsWith('#')) {
    const n = names?.[t];
    if (n === undefined) throw new Error(`expression names ${t}, which ExpressionAttributeNames lacks`);
    return n;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) throw new Error(`unsupported attribute path: ${JSON.stringify(t)}`);
  return t;
}

function value(token: string, values: Values): unknown {
  const t = token.trim();
  if (!t.startsWith(':') || !values || !(t in values)) throw new Error(`expression value ${t} is not supplied`);
  return values[t];
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a && b && typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

export function evalCondition(expr: string, item: Item | undefined, names: Names, values: Values): boolean {
  return expr.split(/\s+AND\s+/).every((part) => {
    const p = part.trim();
    let m = /^attribute_not_exists\(\s*([#A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(p);
    if (m) return item === undefined || item[attrName(m[1]!, names)] === undefined;
    m = /^attribute_exists\(\s*([#A-Za-z_][A-Za-z0-9_]*)\s*\)$/.exec(p);
    if (m) return item !== undefined && item[attrName(m[1]!, names)] !== undefined;
    m = /^([#A-Za-z_][A-Za-z0-9_]*)\s*=\s*(:[A-Za-z0-9_]+)$/.exec(p);
    if (m) {
      // a comparison with a missing attribute (or item) is false
      const current = item?.[attrName(m[1]!, names)];
      return current !== undefined && equal(current, value(m[2]!, values));
    }
    throw new Error(`unsupported condition expression: ${JSON.stringify(p)}`);
  });
}

/** split on commas outside parentheses */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim());
}

export function applyUpdate(expr: string, before: Item | undefined, key: Key, names: Names, values: Values): Item {
  const item: Item = before ? clone(before) : { pk: key.pk, sk: key.sk };
  const clauses = [...expr.matchAll(/\b(SET|ADD|REMOVE|DELETE)\b/g)];
  if (clauses.length === 0 || expr.slice(0, clauses[0]!.index).trim() !== '')
    throw new Error(`unsupported update expression: ${JSON.stringify(expr)}`);
  const seen = new Set<string>();
  // DynamoDB evaluates every right-hand side against the item as it was before the update
  const original = before ? clone(before) : {};
  clauses.forEach((c, i) => {
    const keyword = c[1]!;
    if (seen.has(keyword)) throw new Error(`update expression repeats ${keyword}`);
    seen.add(keyword);
    const body = expr.slice(c.index! + keyword.length, clauses[i + 1]?.index ?? expr.length);
    for (const action of splitTop(body)) {
      if (keyword === 'SET') {
        const eq = action.indexOf('=');
        if (eq < 0) throw new Error(`unsupported SET action: ${JSON.stringify(action)}`);
        const name = attrName(action.slice(0, eq), names);
        const rhs = action.slice(eq + 1).trim();
        const ine = /^if_not_exists\(\s*([#A-Za-z_][A-Za-z0-9_]*)\s*,\s*(:[A-Za-z0-9_]+)\s*\)$/.exec(rhs);
        if (ine) {
          const existing = (original as Item)[attrName(ine[1]!, names)];
          item[name] = existing !== undefined ? clone(existing) : clone(value(ine[2]!, values));
        } else if (/^:[A-Za-z0-9_]+$/.test(rhs)) {
          item[name] = clone(value(rhs, values));
        } else throw new Error(`unsupported SET value: ${JSON.stringify(rhs)}`);
      } else if (keyword === 'ADD') {
        const m = /^([#A-Za-z_][A-Za-z0-9_]*)\s+(:[A-Za-z0-9_]+)$/.exec(action);
        if (!m) throw new Error(`unsupported ADD action: ${JSON.stringify(action)}`);
        const name = attrName(m[1]!, names);
        const delta = value(m[2]!, values);
        if (typeof delta !== 'number') throw new Error(`ADD ${name}: only numbers are supported`);
        const current = item[name];
        if (current !== undefined && typeof current !== 'number')
          throw new Error(`ADD ${name}: the attribute is not a number`);
        item[name] = (current ?? 0) + delta;
      } else if (keyword === 'REMOVE') {
        delete item[attrName(action, names)];
      } else {
        throw new Error(`unsupported update clause ${keyword}`);
      }
    }
  });
  if (item.pk !== key.pk || item.sk !== key.sk) throw new Error('an update may not change the key');
  return item;
}
