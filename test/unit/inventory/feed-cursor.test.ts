import { describe, expect, it } from 'vitest';
import { HttpError } from '#shared/http/errors.ts';
import { decodeCursor, encodeCursor } from '#shared/inventory/feed-cursor.ts';
import { readFeed, type FeedPage } from '#shared/inventory/stock-read.ts';
import { apiKey, MemoryStock } from './support.ts';
import { writeChangePages, type ChangeRow } from '#shared/inventory/change-pages.ts';
import type { MemoryTable } from '#shared/table/memory-table.ts';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('feed cursor', () => {
  it('round-trips and stays opaque (base64url)', () => {
    // Prepare
    const cursor = { v: 2 as const, p: `${at(5)}#shardId-1#0000000001#0`, i: 3, l: 'WH-A' };
    // Act
    const token = encodeCursor(cursor);
    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual(cursor);
  });

  it.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify({ v: 3, p: 'x' })).toString('base64url')],
    ['extra field', Buffer.from(JSON.stringify({ v: 2, p: 'x', admin: true })).toString('base64url')],
    ['empty position', Buffer.from(JSON.stringify({ v: 2, p: '' })).toString('base64url')],
    ['without a position', Buffer.from(JSON.stringify({ v: 2 })).toString('base64url')],
    [
      'both in pages and in a snapshot',
      Buffer.from(JSON.stringify({ v: 2, p: 'x', s: { t: at(0), d: 0 } })).toString('base64url'),
    ],
  ])('refuses a token that is %s with a 400', (_name, token) => {
    // Prepare / Act
    let caught: unknown;
    try {
      decodeCursor(token);
    } catch (err) {
      caught = err;
    }
    // Assess
    expect(caught).toBeInstanceOf(HttpError);
    expect((caught as HttpError).statusCode).toBe(400);
  });
});

describe('readFeed', () => {
  const key = apiKey();

  async function drain(
    stock: MemoryStock,
    clock: { ms: number },
    first: Record<string, string>,
    settleMs: number,
    onPage?: (n: number) => void,
  ) {
    const seen: FeedPage['items'] = [];
    let query: Record<string, string> = first;
    for (let n = 0; n < 200; n++) {
      const page = await readFeed({ stock }, key, query, { settleMs, now: () => new Date(T0 + clock.ms) });
      seen.push(...page.items);
      onPage?.(n);
      query = { cursor: page.nextCursor, ...(first.limit ? { limit: first.limit } : {}) };
      if (!page.hasMore && n > 0 && clock.ms > 100_000) break;
      if (!page.hasMore) clock.ms += 1000;
    }
    return seen;
  }

  it('returns every balance changed since the time exactly once, oldest first, across pages', async () => {
    // Prepare: 30 balances, each on its own change page, and one changed before the time
    const stock = new MemoryStock();
    for (let i = 0; i < 30; i++) await stock.set(`SKU-${i}`, i % 2 ? 'WH-A' : 'WH-B', at(i * 10));
    await stock.set('OLD', 'WH-A', at(-1));
    const clock = { ms: 60_000 };
    // Act
    const seen = await drain(stock, clock, { updatedSince: at(0), limit: '4' }, 5000);
    // Assess
    expect(seen.map((r) => r.sku)).toEqual(Array.from({ length: 30 }, (_, i) => `SKU-${i}`));
  });

  it('delivers a write that lands late with an older timestamp, thanks to the settle window', async () => {
    // Prepare: the reader is at T0+10s; a writer whose clock lags stamps T0+8s but lands after the read
    const stock = new MemoryStock();
    await stock.set('A', 'WH', at(6_000));
    const clock = { ms: 10_000 };
    const first = await readFeed(
      { stock },
      key,
      { updatedSince: at(0) },
      { settleMs: 3000, now: () => new Date(T0 + clock.ms) },
    );
    await stock.set('LATE', 'WH', at(8_000));
    clock.ms = 20_000;
    // Act
    const second = await readFeed(
      { stock },
      key,
      { cursor: first.nextCursor },
      { settleMs: 3000, now: () => new Date(T0 + clock.ms) },
    );
    // Assess
    expect(first.items.map((r) => r.sku)).toEqual(['A']);
    // caught up, the cursor stops at now − settle (7 s), not at "now" (which would skip LATE)
    expect(decodeCursor(first.nextCursor)).toMatchObject({ p: at(7_000) });
    expect(second.items.map((r) => r.sku)).toEqual(['LATE']);
  });

  it('shows a balance changed again after it was delivered once more, with its newer state', async () => {
    // Prepare
    const stock = new MemoryStock();
    await stock.set('A', 'WH', at(1_000), 5);
    const clock = { ms: 10_000 };
    const opts = { settleMs: 1000, now: () => new Date(T0 + clock.ms) };
    const first = await readFeed({ stock }, key, { updatedSince: at(0) }, opts);
    await stock.set('A', 'WH', at(12_000), 3);
    clock.ms = 20_000;
    // Act
    const second = await readFeed({ stock }, key, { cursor: first.nextCursor }, opts);
    const third = await readFeed({ stock }, key, { cursor: second.nextCursor }, opts);
    // Assess
    expect(first.items.map((r) => r.available)).toEqual([5]);
    expect(second.items.map((r) => r.available)).toEqual([3]);
    expect(third.items).toEqual([]);
  });

  it.each([
    ['neither updatedSince nor cursor', {}, 400],
    ['both', { updatedSince: at(0), cursor: encodeCursor({ v: 2, p: at(0) }) }, 400],
    ['a limit over 1000', { updatedSince: at(0), limit: '1001' }, 400],
    ['a limit of 0', { updatedSince: at(0), limit: '0' }, 400],
    ['a non-numeric limit', { updatedSince: at(0), limit: 'ten' }, 400],
    ['a time that is not ISO', { updatedSince: 'yesterday' }, 400],
    [
      'a location the cursor was not made for',
      { cursor: encodeCursor({ v: 2, p: at(0), l: 'WH-A' }), location: 'WH-B' },
      400,
    ],
  ])('answers %s with a 4xx', async (_name, query, status) => {
    // Prepare
    const stock = new MemoryStock();
    // Act
    const outcome = await readFeed({ stock }, key, query, { settleMs: 0, now: () => new Date(T0) }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(outcome).toBeInstanceOf(HttpError);
    expect((outcome as HttpError).statusCode).toBe(status);
  });

  it('limits a partner key to its locations, and refuses others', async () => {
    // Prepare
    const stock = new MemoryStock();
    await stock.set('A', 'WH-P', at(1_000));
    await stock.set('B', 'WH-X', at(2_000));
    const partner = apiKey({ partner: 'acme', locations: ['WH-P'] });
    const opts = { settleMs: 0, now: () => new Date(T0 + 60_000) };
    // Act
    const page = await readFeed({ stock }, partner, { updatedSince: at(0) }, opts);
    const other = await readFeed({ stock }, partner, { updatedSince: at(0), location: 'WH-X' }, opts).catch(
      (e: unknown) => e,
    );
    const noList = await readFeed({ stock }, apiKey({ partner: 'acme' }), { updatedSince: at(0) }, opts).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(page.items.map((r) => r.sku)).toEqual(['A']);
    expect((other as HttpError).statusCode).toBe(403);
    expect((noList as HttpError).statusCode).toBe(403);
  });
});

describe('readFeed over change pages', () => {
  const key = apiKey();
  const DAY = 86_400_000;
  const row = (sku: string, location: string, rev: number, available: number, ms: number): ChangeRow => ({
    sku,
    location,
    onHand: available,
    reserved: 0,
    available,
    rev,
    updatedAt: at(ms),
  });
  const page = (t: MemoryTable, seq: number, ms: number, rows: ChangeRow[]) =>
    writeChangePages(t, 'shardId-1', String(seq).padStart(8, '0'), rows, () => T0 + ms);

  it('continues inside a page when the limit cuts it, and holds each balance once with its newest rev', async () => {
    // Prepare: one page of five balances, a later page changing B again (rev 2) and adding F
    const stock = new MemoryStock();
    await page(
      stock.table,
      1,
      1_000,
      ['A', 'B', 'C', 'D', 'E'].map((s) => row(s, 'WH', 1, 10, 900)),
    );
    await page(stock.table, 2, 2_000, [row('B', 'WH', 2, 7, 1_900), row('F', 'WH', 1, 1, 1_900)]);
    const opts = { settleMs: 0, now: () => new Date(T0 + 10_000) };
    // Act
    const first = await readFeed({ stock }, key, { updatedSince: at(0), limit: '2' }, opts);
    const second = await readFeed({ stock }, key, { cursor: first.nextCursor, limit: '3' }, opts);
    const third = await readFeed({ stock }, key, { cursor: second.nextCursor, limit: '3' }, opts);
    // Assess: the first cursor points at row 2 of the first page
    expect(first.items.map((r) => r.sku)).toEqual(['A', 'B']);
    expect(decodeCursor(first.nextCursor)).toMatchObject({ i: 2 });
    expect(first.hasMore).toBe(true);
    expect(second.items.map((r) => r.sku)).toEqual(['C', 'D', 'E']);
    // B again, once, with its newest state; then caught up
    expect(third.items.map((r) => [r.sku, r.rev, r.available])).toEqual([
      ['B', 2, 7],
      ['F', 1, 1],
    ]);
    expect(third.hasMore).toBe(false);
  });

  it('keeps the newer row of a balance listed on two pages of one answer, where the newer was', async () => {
    // Prepare: a count (rev 3) on one page and an older row (rev 2) on a later page (a retried batch)
    const stock = new MemoryStock();
    await page(stock.table, 1, 1_000, [row('A', 'WH', 3, 5, 900), row('B', 'WH', 1, 1, 900)]);
    await page(stock.table, 2, 2_000, [row('A', 'WH', 2, 9, 800)]);
    // Act
    const answer = await readFeed(
      { stock },
      key,
      { updatedSince: at(0) },
      { settleMs: 0, now: () => new Date(T0 + 10_000) },
    );
    // Assess
    expect(answer.items.map((r) => [r.sku, r.rev])).toEqual([
      ['A', 3],
      ['B', 1],
    ]);
  });

  it('reads across day partitions, quiet days included', async () => {
    // Prepare: pages three days apart
    const stock = new MemoryStock();
    await page(stock.table, 1, 1_000, [row('A', 'WH', 1, 1, 900)]);
    await page(stock.table, 2, 3 * DAY, [row('B', 'WH', 1, 1, 3 * DAY)]);
    // Act
    const answer = await readFeed(
      { stock },
      key,
      { updatedSince: at(0) },
      { settleMs: 0, now: () => new Date(T0 + 4 * DAY) },
    );
    // Assess
    expect(answer.items.map((r) => r.sku)).toEqual(['A', 'B']);
    expect(decodeCursor(answer.nextCursor)).toMatchObject({ p: at(4 * DAY) });
  });

  it('answers a time older than the pages are kept with a snapshot, then the pages from its start', async () => {
    // Prepare: 9 balances known to the directory; pages of the last days only
    const stock = new MemoryStock();
    for (let i = 0; i < 9; i++) await stock.set(`S-${i}`, i % 2 ? 'WH-A' : 'WH-B', at(i));
    const clock = { ms: 40 * DAY };
    const opts = { settleMs: 1_000, now: () => new Date(T0 + clock.ms) };
    // Act: page with a small limit; a balance changes while the snapshot is being paged
    const seen: FeedPage['items'] = [];
    let query: Record<string, string> = { updatedSince: at(0), limit: '2' };
    for (let n = 0; n < 100; n++) {
      const answer = await readFeed({ stock }, key, query, opts);
      seen.push(...answer.items);
      if (n === 1) await stock.set('S-0', 'WH-B', at(clock.ms), 42);
      query = { cursor: answer.nextCursor, limit: '2' };
      clock.ms += 100;
      // caught up once the change made during the snapshot is past the settle window
      if (!answer.hasMore && clock.ms > 40 * DAY + 3_000) break;
    }
    // Assess: every balance, and the change made during the snapshot last
    expect(new Set(seen.map((r) => r.sku))).toEqual(new Set(Array.from({ length: 9 }, (_, i) => `S-${i}`)));
    expect(seen.filter((r) => r.sku === 'S-0').at(-1)).toMatchObject({ available: 42 });
  });
});
