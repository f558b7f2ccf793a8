import { forEachLimit } from '#shared/domain/pool.ts';
import { retryOnConflict } from '#shared/table/conflict.ts';
import type { MsClock } from '#shared/domain/clock.ts';
import { balanceStampAttributes, balanceView, isNewOversell, iso } from '#shared/inventory/balance.ts';
import type { SkippedChange } from '#shared/kpi/fold.ts';
import { padSeq, staleWatermarks, watermarkAttr, type StreamChange } from '#shared/stream/watermarks.ts';
import { eq, notExists, updateExpression } from '#shared/table/expression.ts';
import { itemSize } from '#shared/table/item-size.ts';
import { LEGACY_BALANCE_INDEX_ATTRS, fnv1a32, itemRef, keyProblem, keys } from '#shared/table/keys.ts';
import { changeRowOf, type ChangeRow } from '#shared/inventory/change-pages.ts';
import {
  balanceRef,
  contributionOf,
  diffContribution,
  orderBodyOfItem,
  parseBalanceRef,
  type Movement,
} from '#shared/normalize/order-state.ts';
import { TableValidationError, type Item, type Key, type TablePort, type WriteOp } from '#shared/table/port.ts';
import { UNASSIGNED_LOCATION } from '#shared/domain/key-part.ts';

/**
 * Stock effects of orders, folded from the table's stream (docs/architecture.md, "The write
 * path"). The normalizer writes an order version once (one conditional put, no transaction); the
 * order item's stream record says exactly how the order's stock contribution changed (reserved
 * units per balance, on-hand movements), and a whole stream batch folds into one update per
 * balance plus, where it moved stock on hand, one ledger row listing the batch's movements there.
 *
 * Exactly once, as for the KPI counters (shared/kpi/fold.ts): a balance keeps, per stream shard,
 * the sequence number of the last record folded into it; a retried batch folds only the records
 * above it, and writes with a condition on the balance's `rev` (a count, an adjustment or another
 * fold in between makes it read and plan again).
 *
 * The ledger, packed (a write unit bills up to 1 KB, and a batch moves a balance once or twice):
 * the movements a fold applies to a balance are listed on the balance item itself (`moves`, in the
 * same write as the numbers they change, so every movement listed there is applied). When the list
 * would make the balance bigger than BALANCE_MAX_BYTES, the fold first writes the listed movements
 * as a ledger row (`MOVE#…`, no watermark: applied by construction) and starts the list again with
 * the batch's. A batch whose movements alone do not fit (a flash sale's best seller) writes them as
 * a ledger row carrying its shard's watermark attribute (`w`), the watermark its balance write sets
 * (`seq`) and its write time (`f`), before the balance: such a row is *applied* once the balance's
 * watermark for its shard reaches its `seq` (isApplied). So a balance's ledger is its ledger rows
 * plus its `moves`, and costs about a write unit per ten movements instead of one per batch.
 *
 * An absolute count sums the applied movements after its time (appliedMovesAfter, each once: a
 * retried fold can list a movement in two places); the fold applies the others later, against the
 * count's new `countAsOf`.
 */

/** One order change's effect on one balance. */
export interface BalanceChange {
  /** padded sequence number (padSeq) of the stream record */
  seq: string;
  /** change of units held for the order */
  reserved: number;
  moves: Movement[];
  /** `<channel>#<orderId>#r<rev>`: the order version, names its ledger rows */
  ref: string;
}

/** A movement as the fold lists it (on a balance or in a ledger row). */
export interface FoldedMove {
  delta: number;
  at: string;
  reason: Movement['reason'];
  /** the order version (`<channel>#<orderId>#r<rev>`) */
  ref: string;
}

/**
 * `<at>|<delta>|<reason>|<ref>`: a listed movement as one string, about 60 bytes where a map of the
 * four attributes takes about 90 — the list lives on the balance, whose size every write pays.
 */
export function encodeMove(m: FoldedMove): string {
  return `${m.at}|${m.delta}|${m.reason}|${m.ref}`;
}

/** A listed movement: the inverse of encodeMove. */
export function decodeMove(v: string): FoldedMove {
  const a = v.indexOf('|');
  const b = v.indexOf('|', a + 1);
  const c = v.indexOf('|', b + 1);
  return {
    at: v.slice(0, a),
    delta: Number(v.slice(a + 1, b)),
    reason: v.slice(b + 1, c) as Movement['reason'],
    ref: v.slice(c + 1),
  };
}

const moveId = (m: FoldedMove) => `${m.at}#${m.ref}#${m.reason}`;

/**
 * Largest balance item the fold writes while listing movements on it: 1 KB, less 100 bytes of
 * margin, so a balance write bills one write unit.
 */
export const BALANCE_MAX_BYTES = 924;

export interface BalancePlan {
  sku: string;
  location: string;
  key: Key;
  /** in stream order */
  changes: BalanceChange[];
}

/** Every balance a batch of order changes touches, with each record's change to it. */
export function planStockFold(changes: StreamChange[], skipped: SkippedChange[] = []): BalancePlan[] {
  const plans = new Map<string, BalancePlan>();
  for (const c of changes) {
    let seq: string;
    let delta: ReturnType<typeof diffContribution>;
    let ref: string;
    try {
      seq = padSeq(c.seq);
      const image = c.newImage ?? c.oldImage;
      ref = `${String(image?.channel)}#${String(image?.orderId)}#r${Number(c.newImage?.rev ?? 0)}`;
      delta = diffContribution(
        contributionOf(orderBodyOfItem(c.oldImage)),
        contributionOf(orderBodyOfItem(c.newImage)),
      );
      delta.moves = delta.moves.map((m) => ({ ...m, at: iso(m.at) }));
    } catch (err) {
      skipped.push({ seq: c.seq, pk: String(c.newImage?.pk ?? c.oldImage?.pk ?? ''), error: (err as Error).message });
      continue;
    }
    const entry = (sku: string, location: string): BalanceChange => {
      const id = balanceRef(sku, location);
      let p = plans.get(id);
      if (!p) plans.set(id, (p = { sku, location, key: keys.balance(sku, location), changes: [] }));
      let ch = p.changes[p.changes.length - 1];
      if (ch?.seq !== seq) p.changes.push((ch = { seq, reserved: 0, moves: [], ref }));
      return ch;
    };
    for (const [k, d] of Object.entries(delta.reserved)) {
      const [sku, location] = parseBalanceRef(k);
      entry(sku, location).reserved += d;
    }
    for (const m of delta.moves) entry(m.sku, m.location).moves.push(m);
  }
  // a balance DynamoDB could not even be asked for (a key over its limits, from an order stored
  // before the key-part rule) is left out and reported: reading it would fail the whole batch
  const out: BalancePlan[] = [];
  for (const p of plans.values()) {
    const problem = keyProblem(p.key);
    if (problem) skipBalance(skipped, p, problem);
    else out.push(p);
  }
  return out;
}

/** Reports every change of a balance left out of the fold (each change is an order's stream record). */
function skipBalance(skipped: SkippedChange[], plan: BalancePlan, error: string): void {
  // the key is cut: a key too long for the table is too long for a log line too
  const pk = plan.key.pk.length > 200 ? `${plan.key.pk.slice(0, 200)}…` : plan.key.pk;
  for (const ch of plan.changes)
    skipped.push({ seq: ch.seq, pk, error: `balance left out of the stock fold: ${error}` });
}

/**
 * How old a ledger row not yet taken in by its balance can be: the fold writes a batch's rows, then
 * its balances, and retries a failed batch until it succeeds or its records leave the stream
 * (24 hours after they were written, which was before the rows were). Watermarks are kept three
 * days (WATERMARK_RETENTION_MS) after their shard was created, so when one is removed every row of
 * its shard is older than this.
 */
export const UNAPPLIED_MAX_AGE_MS = 36 * 3_600_000;

/**
 * The on-hand movements after `asOf` that the balance has taken in: what a count taken at `asOf`
 * adds on top of itself. They are listed on the balance (`moves`) and in its ledger rows (`MOVE#…`
 * of one balance, from `asOf` on) that the balance has taken in: rows the normalizer writes hold
 * one movement (`delta`, `at`), fold rows a list (`moves`). A movement can be listed twice — on the
 * balance and in a row written by a flush whose balance write failed, or in two rows when a failed
 * batch was retried with another end — so a movement counts as often as the one list that names it
 * most often (within a list each entry is its own: older rows could list two restocks of one order
 * version at one time separately).
 */
export function appliedMovesAfter(rows: Item[], balance: Item | undefined, asOf: string, nowMs: number): number {
  let sum = 0;
  for (const delta of appliedMoves(rows, balance, nowMs, asOf).values()) sum += delta;
  return sum;
}

/** The balance's applied movements after `after` (all of them by default), each once: id → units. */
export function appliedMoves(rows: Item[], balance: Item | undefined, nowMs: number, after = ''): Map<string, number> {
  const best = new Map<string, { n: number; total: number }>();
  const list = (entries: unknown[]) => {
    const here = new Map<string, { n: number; total: number }>();
    for (const e of entries) {
      const m = decodeMove(String(e));
      if (!(m.at > after)) continue;
      const id = moveId(m);
      const h = here.get(id) ?? { n: 0, total: 0 };
      h.n += 1;
      h.total += Number(m.delta);
      here.set(id, h);
    }
    for (const [id, h] of here) {
      const b = best.get(id);
      if (!b || h.n > b.n) best.set(id, h);
    }
  };
  const out = new Map<string, number>();
  if (Array.isArray(balance?.moves)) list(balance.moves);
  for (const row of rows) {
    if (!isApplied(row, balance, nowMs)) continue;
    if (Array.isArray(row.moves)) list(row.moves);
    else if (String(row.at) > after) out.set(`${String(row.sk)}`, Number(row.delta ?? 0));
  }
  for (const [id, b] of best) out.set(id, b.total);
  return out;
}

/**
 * Has the balance taken in this ledger row? (rows without `w` are written with their balance; a
 * fold row's `seq` is the watermark its balance write sets, so it is taken in whole or not at all)
 */
export function isApplied(row: Item, balance: Item | undefined, nowMs: number): boolean {
  if (typeof row.w !== 'string') return true;
  const mark = balance?.[row.w];
  if (typeof mark === 'string') return String(row.seq) <= mark;
  // no watermark for the row's shard: not written yet, or removed long after its shard's rows
  // were all taken in. The row's own write time tells which (not the shard's creation time: a
  // shard id's time is not a write time, and moto gives every stream the same old one).
  const folded = typeof row.f === 'string' ? parseInt(row.f, 36) : NaN;
  return folded < nowMs - UNAPPLIED_MAX_AGE_MS;
}

/** Movements a fold ledger row lists at most (about 90 bytes each: a row stays far below 400 KB). */
export const MOVES_PER_ROW = 1000;

export interface BalanceWrite {
  /** ledger rows to write before the balance: the list it had (flushed), or a batch too big to list on it */
  rows: WriteOp[];
  /**
   * the balance update, stamped with the time it is written at: the stock feed's settle window
   * (shared/inventory/stock-read.ts) assumes a write lands within seconds of its stamp, so the
   * fold, which plans ahead, stamps just before it writes
   */
  balance(nowIso: string): WriteOp;
  /** records (padded sequence numbers) of the batch that took the balance below zero available */
  oversells: string[];
  /** the balance's numbers once the write lands (its change-page row, stamped when written) */
  state: Omit<ChangeRow, 'updatedAt'>;
}

/**
 * The writes that fold a balance's changes above its watermark for this shard into it, and the
 * records among them that oversold it (each change in stream order, as if applied one by one).
 * undefined: every change was folded before.
 */
export function balanceWrite(
  plan: BalancePlan,
  current: Item | undefined,
  shardId: string,
  nowMs: number,
  maxBytes = BALANCE_MAX_BYTES,
  /**
   * for the unassigned balance (UNASSIGNED_LOCATION): what the SKU's other locations have
   * available, since reservations that name no location oversell only the SKU's total
   */
  elsewhere = 0,
): BalanceWrite | undefined {
  const wAttr = watermarkAttr(shardId);
  const seen = typeof current?.[wAttr] === 'string' ? (current[wAttr] as string) : undefined;
  const pending = plan.changes.filter((ch) => seen === undefined || ch.seq > seen);
  if (pending.length === 0) return undefined;
  const bal = balanceView(current);
  const nowIso = new Date(nowMs).toISOString();
  const oversells: string[] = [];
  let reserved = 0;
  let onHand = 0;
  let available = bal.available;
  const moves: FoldedMove[] = [];
  for (const ch of pending) {
    let oh = 0;
    // one entry per (time, reason) of a change, so a movement's identity names it alone
    const merged = new Map<string, FoldedMove>();
    for (const m of ch.moves) {
      // the last absolute count is the truth from its time on: older movements are kept, not applied
      if (!bal.countAsOf || m.at > bal.countAsOf) oh += m.delta;
      const id = `${m.at}#${m.reason}`;
      const e = merged.get(id);
      if (e) e.delta += m.delta;
      else merged.set(id, { delta: m.delta, at: m.at, reason: m.reason, ref: ch.ref });
    }
    for (const m of merged.values()) if (m.delta !== 0) moves.push(m);
    reserved += ch.reserved;
    onHand += oh;
    const after = available + oh - ch.reserved;
    if (isNewOversell(available + elsewhere, after + elsewhere)) oversells.push(ch.seq);
    available = after;
  }
  const lastSeq = pending[pending.length - 1]!.seq;
  const stale = staleWatermarks(current, shardId, nowMs);
  // billed as the larger of the item before and after (1 KB units): estimate the after image
  const after: Item = {
    ...(current ?? plan.key),
    ...balanceStampAttributes(plan.sku, plan.location, nowIso, 'fold'),
    reserved: bal.reserved + reserved,
    onHand: bal.onHand + onHand,
    available,
    rev: bal.rev + 1,
    [wAttr]: lastSeq,
  };
  for (const attr of stale) delete after[attr];
  for (const attr of LEGACY_BALANCE_INDEX_ATTRS) delete after[attr];

  // where the batch's movements are listed: on the balance if they fit beside those listed there;
  // else the listed ones go to a ledger row first and the batch's start the list again; else (too
  // many for a balance on their own) in watermarked ledger rows, the balance's list left as it is
  const listed: string[] = Array.isArray(current?.moves) ? (current.moves as string[]) : [];
  const batch = moves.map(encodeMove);
  const rows: WriteOp[] = [];
  let list: string[] | undefined;
  if (batch.length > 0) {
    if (itemSize({ ...after, moves: [...listed, ...batch] }) <= maxBytes) list = [...listed, ...batch];
    else if (listed.length > 0 && itemSize({ ...after, moves: batch }) <= maxBytes) {
      rows.push(flushRow(plan, listed));
      list = batch;
    } else {
      for (let i = 0; i < moves.length; i += MOVES_PER_ROW) {
        const chunk = batch.slice(i, i + MOVES_PER_ROW);
        const maxAt = moves.slice(i, i + MOVES_PER_ROW).reduce((a, m) => (m.at > a ? m.at : a), moves[i]!.at);
        const id = `${wAttr}#${pending[0]!.seq}${i === 0 ? '' : `#${i / MOVES_PER_ROW}`}`;
        rows.push({
          kind: 'put',
          item: {
            ...keys.ledger(plan.sku, plan.location, maxAt, id),
            type: 'moves',
            sku: plan.sku,
            location: plan.location,
            moves: chunk,
            w: wAttr,
            seq: lastSeq,
            f: nowMs.toString(36),
          },
        });
      }
    }
  }
  if (list) after.moves = list;
  const billedSize = Math.max(bal.size, itemSize(after));
  const actions = (stampIso: string) => ({
    set: {
      ...balanceStampAttributes(plan.sku, plan.location, stampIso, 'fold'),
      [wAttr]: lastSeq,
      ...(list ? { moves: list } : {}),
    },
    add: { reserved, onHand, available: onHand - reserved, rev: 1 },
    remove: [...stale, ...(current ? LEGACY_BALANCE_INDEX_ATTRS.filter((a) => a in current) : [])],
  });
  const condition = current ? eq('rev', bal.rev) : notExists('pk');
  return {
    rows,
    balance: (stampIso) => ({
      kind: 'update',
      key: plan.key,
      ...updateExpression(actions(stampIso), condition),
      billedSize,
    }),
    oversells,
    state: {
      sku: plan.sku,
      location: plan.location,
      onHand: bal.onHand + onHand,
      reserved: bal.reserved + reserved,
      available,
      rev: bal.rev + 1,
    },
  };
}

/**
 * The ledger row of the movements listed on a balance (all applied: they were listed in the writes
 * that applied them), keyed by the latest of their times and their content, so writing it again
 * (a retry after the balance write failed) writes the same row.
 */
function flushRow(plan: BalancePlan, listed: string[]): WriteOp {
  const maxAt = listed.reduce((a, m) => {
    const at = decodeMove(m).at;
    return at > a ? at : a;
  }, '');
  const id = `b${fnv1a32(listed.join('\n')).toString(36)}${listed.length.toString(36)}`;
  return {
    kind: 'put',
    item: {
      ...keys.ledger(plan.sku, plan.location, maxAt, id),
      type: 'moves',
      sku: plan.sku,
      location: plan.location,
      moves: listed,
    },
  };
}

/** Balances written at once: enough to hide latency, few enough not to throttle one partition. */
const CONCURRENCY = 16;

export interface StockFold {
  plans: BalancePlan[];
  /** each plan's writes against its balance as read (strongly consistent) */
  writes: (BalanceWrite | undefined)[];
  /** each plan's balance as read (undefined: none yet) */
  current: (Item | undefined)[];
  /** records that oversold a balance, as first planned (one entry per balance oversold) */
  oversells: string[];
  /** largest balance listing movements (BALANCE_MAX_BYTES; tests lower it to flush often) */
  maxBytes: number;
}

/** Reads the balances a batch touches and finds the records that oversell them. */
export async function readStockFold(
  table: TablePort,
  shardId: string,
  plans: BalancePlan[],
  nowMs: number,
  maxBytes = BALANCE_MAX_BYTES,
): Promise<StockFold> {
  const current = new Map<string, Item>();
  if (plans.length > 0) for (const it of await table.batchGet(plans.map((p) => p.key))) current.set(itemRef(it), it);
  // the stock that exists elsewhere for the SKUs whose unassigned reservations change
  const elsewhere = new Map<string, number>();
  for (const p of plans) {
    if (p.location !== UNASSIGNED_LOCATION || elsewhere.has(p.sku)) continue;
    const others = await table.queryBetween(p.key.pk, 'LOC#', 'LOC$');
    elsewhere.set(
      p.sku,
      others
        .filter((b) => b.location !== UNASSIGNED_LOCATION)
        .reduce((n, b) => n + Math.max(0, Number(b.available ?? 0)), 0),
    );
  }
  const writes = plans.map((p) =>
    balanceWrite(p, current.get(itemRef(p.key)), shardId, nowMs, maxBytes, elsewhere.get(p.sku) ?? 0),
  );
  return {
    plans,
    writes,
    current: plans.map((p) => current.get(itemRef(p.key))),
    oversells: writes.flatMap((w) => w?.oversells ?? []),
    maxBytes,
  };
}

/**
 * Writes a planned stock fold: per balance, its ledger rows then the balance, stamped with the
 * `clock` as it is written (the feed's time, see BalanceWrite). A balance changed since it was read
 * (a count or an adjustment from the normalizer) is read again and folded again.
 * Returns the number of balances and ledger rows written, and every planned balance's state as
 * written (or, where an earlier attempt of the batch wrote it, as read): its change-page row.
 */
export async function writeStockFold(
  table: TablePort,
  shardId: string,
  fold: StockFold,
  nowMs: number,
  clock: MsClock,
  /** balances the table refused as written (TableValidationError): left out, reported here */
  skipped: SkippedChange[] = [],
): Promise<{ balances: number; rows: number; changed: ChangeRow[] }> {
  let balances = 0;
  let rowsWritten = 0;
  const changed: (ChangeRow | undefined)[] = [];
  await forEachLimit(fold.plans.length, CONCURRENCY, async (i) => {
    const plan = fold.plans[i]!;
    let w = fold.writes[i];
    let current = fold.current[i];
    await retryOnConflict(
      async () => {
        if (!w) {
          changed[i] = changeRowOf(current);
          return;
        }
        try {
          for (const row of w.rows) await table.write([row]);
          rowsWritten += w.rows.length;
          const stamp = new Date(clock()).toISOString();
          await table.write([w.balance(stamp)]);
          changed[i] = { ...w.state, updatedAt: stamp };
          balances++;
        } catch (err) {
          // refused as it is (too big, a number the table cannot hold): the same every retry, and
          // failing the batch would stall every later order of the shard until the stream drops it
          if (!(err instanceof TableValidationError)) throw err;
          skipBalance(skipped, plan, err.message);
        }
      },
      async () => {
        current = await table.get(plan.key);
        w = balanceWrite(plan, current, shardId, nowMs, fold.maxBytes);
      },
    );
  });
  return { balances, rows: rowsWritten, changed: changed.filter((r): r is ChangeRow => r !== undefined) };
}
