import { keys } from '#shared/table/keys.ts';
import type { Item, TablePort } from '#shared/table/port.ts';
import type { CountedBalance } from '#shared/stream/watermarks.ts';
import type { MsClock } from '#shared/domain/clock.ts';

/**
 * Change pages: the stock delta feed as the fold writes it (docs/architecture.md, "The delta
 * feed"). Once a stream batch's balance writes have committed, the fold writes every balance the
 * batch changed — the ones its orders moved and the ones normalize counted or adjusted — as compact
 * rows on one page item (several parts when big), keyed by the time the page is put:
 * `CHG#<UTC day>` / `<stamp>#<stream shard>#<last record>#<part>`. The feed reads pages in key
 * order, so no balance write has to move an index entry (a GSI over balances billed an index
 * write, often two, per balance write).
 *
 * A retried batch writes the page under the key it was first written with. The fold writes a
 * batch's page only after all of its balance writes, so an attempt that still had a balance to
 * write is the first to reach the page: it takes a new stamp. An attempt that wrote no balance
 * (every one was written by an earlier attempt, or the batch holds only balances normalize
 * counted) looks for the batch's page (its `batch` attribute) among the pages stamped from its
 * rows' latest change on (LOOKUP_WINDOW_MS): found, it overwrites that page (same rows or newer);
 * not found (the earlier attempt stopped before its page), it takes a new stamp — a page is never
 * stamped behind a reader that may already have passed it. Only a retry pays the look-up, and only
 * a batch retried later than the window writes its rows twice (on two pages; rows carry each
 * balance's `rev`, and a reader that sees a balance twice keeps the higher). A marker item per
 * batch would make every batch pay a write and a read for what only retries need.
 */

/** A balance's state as a change page lists it. */
export interface ChangeRow {
  sku: string;
  location: string;
  onHand: number;
  reserved: number;
  available: number;
  /** the balance's revision (monotonic per balance): the newest row of a balance wins */
  rev: number;
  updatedAt: string;
}

/**
 * How long pages are kept (their `ttl`): a feed position older than this is served from the
 * balance directory as a snapshot (shared/inventory/stock-read.ts). 30 days.
 */
export const FEED_RETENTION_DAYS = 30;
export const FEED_RETENTION_MS = FEED_RETENTION_DAYS * 86_400_000;

/**
 * How far after its rows' latest change a batch's page is looked for: the fold puts the page
 * right after its balance writes, well within its 60-second timeout.
 */
export const LOOKUP_WINDOW_MS = 5 * 60_000;

/**
 * Bytes of rows per page part: well under DynamoDB's 400 KB item limit, and small enough that a
 * reader fetching a few pages for a 1,000-row answer reads little beyond it.
 */
export const PAGE_PART_BYTES = 64 * 1024;

/**
 * `<updatedAt>|<rev>|<onHand>|<reserved>|<available>|<location length>|<location><sku>`: about 50
 * bytes plus the key, where a map of seven attributes takes about 110 (item bytes are billed).
 * Hand-written like encodeMove (shared/inventory/stock-fold.ts): a general serializer would spell
 * the field names on every row. The location's length is spelled out, so no character of a SKU or
 * location (balances stored before the key-part rule may hold `|`) can shift a field.
 */
export function encodeChangeRow(r: ChangeRow): string {
  return `${r.updatedAt}|${r.rev}|${r.onHand}|${r.reserved}|${r.available}|${r.location.length}|${r.location}${r.sku}`;
}

/** A page row: the inverse of encodeChangeRow (undefined: not a row this module wrote). */
export function decodeChangeRow(v: string): ChangeRow | undefined {
  const f: string[] = [];
  let at = 0;
  for (let i = 0; i < 6; i++) {
    const bar = v.indexOf('|', at);
    if (bar < 0) return undefined;
    f.push(v.slice(at, bar));
    at = bar + 1;
  }
  const [updatedAt, rev, onHand, reserved, available, locLen] = f.map((x, i) => (i === 0 ? x : Number(x))) as [
    string,
    number,
    number,
    number,
    number,
    number,
  ];
  const rest = v.slice(at);
  if (![rev, onHand, reserved, available, locLen].every(Number.isFinite) || locLen < 1 || locLen >= rest.length)
    return undefined;
  return {
    sku: rest.slice(locLen),
    location: rest.slice(0, locLen),
    onHand,
    reserved,
    available,
    rev,
    updatedAt,
  };
}

/** A balance item (as read or as an image) as a change row; undefined when it is not a balance. */
export function changeRowOf(item: Item | undefined): ChangeRow | undefined {
  if (!item || typeof item.sku !== 'string' || typeof item.location !== 'string') return undefined;
  if (typeof item.updatedAt !== 'string' || typeof item.rev !== 'number') return undefined;
  return {
    sku: item.sku,
    location: item.location,
    onHand: Number(item.onHand ?? 0),
    reserved: Number(item.reserved ?? 0),
    available: Number(item.available ?? 0),
    rev: item.rev,
    updatedAt: item.updatedAt,
  };
}

/** The partition of a page stamped `stampIso` (one per UTC day: a day of pages is one range). */
export const changePagePartition = (stampIso: string) => `CHG#${stampIso.slice(0, 10)}`;

/** Per balance, the row with the highest rev (first seen wins a tie), in first-seen order. */
export function newestRows(rows: readonly ChangeRow[]): ChangeRow[] {
  const best = new Map<string, ChangeRow>();
  for (const r of rows) {
    const id = `${r.location.length}|${r.location}${r.sku}`;
    const b = best.get(id);
    if (!b || r.rev > b.rev) best.set(id, r);
  }
  return [...best.values()];
}

/** Splits encoded rows into parts of at most PAGE_PART_BYTES (a part holds at least one row). */
export function pageParts(encoded: readonly string[], maxBytes = PAGE_PART_BYTES): string[][] {
  const parts: string[][] = [];
  let part: string[] = [];
  let bytes = 0;
  for (const e of encoded) {
    const n = Buffer.byteLength(e, 'utf8') + 3;
    if (part.length > 0 && bytes + n > maxBytes) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(e);
    bytes += n;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * Writes a batch's change page, one put per part. `lastSeq` (the batch's last record, padded)
 * and the shard name the batch; `clock` stamps a new page just before it is put (the feed's
 * settle window assumes a page lands within seconds of its stamp); `retry`: no balance write of
 * this attempt preceded the page, so an earlier attempt may have written it (see above).
 */
export async function writeChangePages(
  table: TablePort,
  shardId: string,
  lastSeq: string,
  rows: readonly ChangeRow[],
  clock: MsClock,
  retry = false,
): Promise<{ parts: number; rows: number }> {
  const newest = newestRows(rows);
  if (newest.length === 0) return { parts: 0, rows: 0 };
  const batch = `${shardId}#${lastSeq}`;
  const stampIso = (retry ? await earlierStamp(table, batch, newest) : undefined) ?? new Date(clock()).toISOString();
  const stampS = Math.floor(Date.parse(stampIso) / 1000);
  const parts = pageParts(newest.map(encodeChangeRow));
  for (const [i, part] of parts.entries()) {
    const item: Item = {
      ...keys.changePage(stampIso, shardId, lastSeq, i),
      type: 'change-page',
      batch,
      rows: part,
      ttl: stampS + FEED_RETENTION_DAYS * 86_400,
    };
    await table.write([{ kind: 'put', item }]);
  }
  return { parts: parts.length, rows: newest.length };
}

/** The stamp of the batch's page if an earlier attempt wrote one (within LOOKUP_WINDOW_MS of its rows). */
async function earlierStamp(table: TablePort, batch: string, rows: readonly ChangeRow[]): Promise<string | undefined> {
  const from = rows.reduce((max, r) => (r.updatedAt > max ? r.updatedAt : max), '');
  const fromMs = Date.parse(from);
  if (!Number.isFinite(fromMs)) return undefined;
  const to = new Date(fromMs + LOOKUP_WINDOW_MS).toISOString();
  for (let day = from.slice(0, 10); day <= to.slice(0, 10); ) {
    const pages = await table.queryBetween(`CHG#${day}`, from, to);
    const mine = pages.find((p) => p.batch === batch);
    if (mine) return String(mine.sk).slice(0, 24);
    day = new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  return undefined;
}

/**
 * The change page of one fold batch: the balances the fold wrote (their states as written, or as
 * read where an earlier attempt of the batch wrote them) and the balances normalize counted or
 * adjusted in the batch (their stream record's new image; read, strongly consistent, where the
 * record carried none). `lastSeq` is the batch's last record, padded (padSeq).
 */
export async function writeBatchPage(
  table: TablePort,
  shardId: string,
  lastSeq: string,
  folded: readonly ChangeRow[],
  counted: readonly CountedBalance[],
  clock: MsClock,
  /** no balance write of this attempt preceded the page (writeChangePages) */
  retry = false,
): Promise<{ parts: number; rows: number }> {
  const rows: ChangeRow[] = [...folded];
  const unread = [];
  for (const c of counted) {
    if (c.row) rows.push(c.row);
    else unread.push(keys.balance(c.sku, c.location));
  }
  if (unread.length > 0)
    for (const it of await table.batchGet(unread)) {
      const r = changeRowOf(it);
      if (r) rows.push(r);
    }
  return writeChangePages(table, shardId, lastSeq, rows, clock, retry);
}
