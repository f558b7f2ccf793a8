import { describe, expect, it } from 'vitest';
import { HttpError } from '#shared/http/errors.ts';
import { decodeCursor, encodeCursor, mergeFeedPage } from '#shared/inventory/feed-cursor.ts';
import { readFeed, type FeedPage } from '#shared/inventory/stock-read.ts';
import { apiKey, MemoryStock } from './support.ts';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe('feed cursor', () => {
  it('round-trips and stays opaque (base64url)', () => {
    // Prepare
    const cursor = { v: 1 as const, p: `${at(5)}#SKU-1#WH-A`, l: 'WH-A' };
    // Act
    const token = encodeCursor(cursor);
    // Assess
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual(cursor);
  });

  it.each([
    ['not base64url', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify({ v: 2, p: 'x' })).toString('base64url')],
    ['extra field', Buffer.from(JSON.stringify({ v: 1, p: 'x', admin: true })).toString('base64url')],
    ['empty position', Buffer.from(JSON.stringify({ v: 1, p: '' })).toString('base64url')],
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

describe('mergeFeedPage', () => {
  const row = (feedSk: string) => ({
    sku: 's',
    location: 'l',
    onHand: 0,
    reserved: 0,
    available: 0,
    updatedAt: feedSk.slice(0, 24),
    feedSk,
  });

  it('stops at the lowest position every shard was read to', () => {
    // Prepare: shard 0 was read only up to b; shard 1 holds c, which an unread row of shard 0 may precede
    const shards = [
      { rows: [row('a'), row('b')], reachedTo: 'b' },
      { rows: [row('c')], reachedTo: 'z' },
    ];
    // Act
    const page = mergeFeedPage(shards, 10, 'z');
    // Assess
    expect(page.rows.map((r) => r.feedSk)).toEqual(['a', 'b']);
    expect(page).toMatchObject({ position: 'b', hasMore: true });
  });

  it('cuts a full page at the limit and continues after its last row', () => {
    // Prepare
    const shards = [
      { rows: [row('a'), row('d')], reachedTo: 'z' },
      { rows: [row('b'), row('c')], reachedTo: 'z' },
    ];
    // Act
    const page = mergeFeedPage(shards, 3, 'z');
    // Assess
    expect(page.rows.map((r) => r.feedSk)).toEqual(['a', 'b', 'c']);
    expect(page).toMatchObject({ position: 'c', hasMore: true });
  });

  it('moves the position to the horizon when caught up', () => {
    // Prepare
    const shards = [
      { rows: [row('a')], reachedTo: 'z' },
      { rows: [], reachedTo: 'z' },
    ];
    // Act
    const page = mergeFeedPage(shards, 3, 'z');
    // Assess
    expect(page).toMatchObject({ position: 'z', hasMore: false });
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
    // Prepare: 30 balances over 4 shards, with filtered paging of 2 index entries per page
    const stock = new MemoryStock({ pageSize: 2, maxPages: 2 });
    for (let i = 0; i < 30; i++) stock.set(`SKU-${i}`, i % 2 ? 'WH-A' : 'WH-B', at(i * 10));
    stock.set('OLD', 'WH-A', at(-1));
    const clock = { ms: 60_000 };
    // Act
    const seen = await drain(stock, clock, { updatedSince: at(0), limit: '4' }, 5000);
    // Assess
    expect(seen.map((r) => r.sku)).toEqual(Array.from({ length: 30 }, (_, i) => `SKU-${i}`));
  });

  it('delivers a write that lands late with an older timestamp, thanks to the settle window', async () => {
    // Prepare: the reader is at T0+10s; a writer whose clock lags stamps T0+8s but lands after the read
    const stock = new MemoryStock();
    stock.set('A', 'WH', at(6_000));
    const clock = { ms: 10_000 };
    const first = await readFeed(
      { stock },
      key,
      { updatedSince: at(0) },
      { settleMs: 3000, now: () => new Date(T0 + clock.ms) },
    );
    stock.set('LATE', 'WH', at(8_000));
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
    expect(decodeCursor(first.nextCursor).p).toBe(at(7_000));
    expect(second.items.map((r) => r.sku)).toEqual(['LATE']);
  });

  it('shows a balance changed again after it was delivered once more, with its newer state', async () => {
    // Prepare
    const stock = new MemoryStock();
    stock.set('A', 'WH', at(1_000), 5);
    const clock = { ms: 10_000 };
    const opts = { settleMs: 1000, now: () => new Date(T0 + clock.ms) };
    const first = await readFeed({ stock }, key, { updatedSince: at(0) }, opts);
    stock.set('A', 'WH', at(12_000), 3);
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
    ['both', { updatedSince: at(0), cursor: encodeCursor({ v: 1, p: at(0) }) }, 400],
    ['a limit over 1000', { updatedSince: at(0), limit: '1001' }, 400],
    ['a limit of 0', { updatedSince: at(0), limit: '0' }, 400],
    ['a non-numeric limit', { updatedSince: at(0), limit: 'ten' }, 400],
    ['a time that is not ISO', { updatedSince: 'yesterday' }, 400],
    [
      'a location the cursor was not made for',
      { cursor: encodeCursor({ v: 1, p: at(0), l: 'WH-A' }), location: 'WH-B' },
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
    stock.set('A', 'WH-P', at(1_000));
    stock.set('B', 'WH-X', at(2_000));
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
