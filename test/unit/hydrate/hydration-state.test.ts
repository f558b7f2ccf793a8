import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squareClient } from '#shared/hydrate/square-client.ts';
import { type HydrationMessage, requestHydration, retryHydration } from '#shared/hydrate/hydrate.ts';
import { hydrationState } from '#shared/hydrate/hydration-state.ts';
import { hydrateRecord, type HydrateRecordDeps } from '#shared/hydrate/record.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { fakeSquare, squareOrder, type FakeSquare } from '../../support/fake-senders.ts';

const now = fixedClock();
const later = (ms: number) => new Date(Date.parse(TEST_NOW) + ms);
const key = keys.hydration('square-main', 'order', 'O1');

describe('what `hydration list` tells of a thin order, and `hydration retry`', () => {
  let api: FakeSquare;
  beforeAll(async () => {
    api = await fakeSquare({ token: 'sq-token' });
  });
  afterAll(() => api.close());

  async function setup(token = 'sq-token') {
    const table = new MemoryTable();
    await applyEvent(
      table,
      {
        channel: 'square-main',
        source: 'square',
        deliveryId: 'd1',
        occurredAt: TEST_NOW,
        type: 'HydrationPending',
        entity: 'order',
        externalId: 'O1',
        version: { at: TEST_NOW, seq: 1 },
      },
      now,
    );
    const sent: HydrationMessage[] = [];
    const deps: HydrateRecordDeps = {
      table,
      channels: { list: async () => [] },
      now,
      queue: { send: async (m) => void sent.push(m), changeVisibility: async () => undefined },
      credentials: { forget: () => undefined },
      clientFor: async () =>
        squareClient({ fetch, credentials: { accessToken: token, baseUrl: api.url }, now: () => now().getTime() }),
    };
    const telemetry = {
      hydration: () => undefined,
      withCorrelationId: () => ({ info: () => undefined, warn: () => undefined, error: () => undefined }) as never,
    };
    const record = (body: HydrationMessage) => ({
      body: JSON.stringify(body),
      receiptHandle: 'rh-1',
      messageId: 'm-1',
      attributes: { ApproximateReceiveCount: '1' },
    });
    return { table, deps, telemetry, sent, record };
  }

  it('shows a rate-limited fetch backing off until the time the sender named, then done once fetched', async () => {
    // Prepare
    const s = await setup();
    await requestHydration(s.deps, {
      connectionId: 'square-main',
      channel: 'square-main',
      source: 'square',
      externalId: 'O1',
    });
    api.orders.set('O1', squareOrder({ id: 'O1', version: 1 }));
    api.failNext({ status: 429, headers: { 'retry-after': '42' } });

    // Act
    const queued = hydrationState((await s.table.get(key))!, now(), false);
    await hydrateRecord(s.record(s.sent[0]!), s.deps, s.telemetry).catch(() => undefined);
    const backingOff = hydrationState((await s.table.get(key))!, now(), false);
    await hydrateRecord(s.record(s.sent[0]!), s.deps, s.telemetry);
    const done = hydrationState((await s.table.get(key))!, now(), false);

    // Assess
    expect(queued).toMatchObject({ state: 'queued', since: TEST_NOW, connectionId: 'square-main' });
    expect(backingOff).toMatchObject({
      state: 'backing-off',
      until: later(42_000).toISOString(),
      reason: 'rate limited (429): retry after 42 s',
    });
    expect(done).toMatchObject({ state: 'done', reason: 'fetched' });
    expect((await s.table.get(key))!.lastError).toBeUndefined();
  });

  it('shows refused credentials as failed with the reason, stalled past 15 minutes, and in-dlq when its message is there', async () => {
    // Prepare
    const s = await setup('revoked');
    await requestHydration(s.deps, {
      connectionId: 'square-main',
      channel: 'square-main',
      source: 'square',
      externalId: 'O1',
    });

    // Act
    await hydrateRecord(s.record(s.sent[0]!), s.deps, s.telemetry).catch(() => undefined);
    const item = (await s.table.get(key))!;
    const { lastError: _e, ...withoutFailure } = item;

    // Assess
    expect(hydrationState(item, now(), false)).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/^credentials missing or refused/),
    });
    expect(hydrationState(withoutFailure, later(15 * 60_000), false)).toMatchObject({ state: 'stalled' });
    expect(hydrationState(item, now(), true)).toMatchObject({ state: 'in-dlq' });
  });

  it('retries one order: a new claim and message, the failure cleared; nothing for an order already fetched or unknown', async () => {
    // Prepare
    const s = await setup('revoked');
    await requestHydration(s.deps, {
      connectionId: 'square-main',
      channel: 'square-main',
      source: 'square',
      externalId: 'O1',
    });
    await hydrateRecord(s.record(s.sent[0]!), s.deps, s.telemetry).catch(() => undefined);
    const retryDeps = { ...s.deps, now: () => later(60_000) };

    // Act
    const retried = await retryHydration(retryDeps, { channel: 'square-main', externalId: 'O1' });
    const after = (await s.table.get(key))!;
    const unknown = await retryHydration(retryDeps, { channel: 'square-main', externalId: 'nope' });
    const fixed = { ...s.deps, clientFor: (await setup('sq-token')).deps.clientFor };
    api.orders.set('O1', squareOrder({ id: 'O1', version: 1 }));
    await hydrateRecord(s.record(s.sent[1]!), fixed, s.telemetry);
    const again = await retryHydration(retryDeps, { channel: 'square-main', externalId: 'O1' });

    // Assess
    expect(retried).toEqual({ status: 'sent' });
    expect(s.sent).toHaveLength(2);
    expect(s.sent[1]).toEqual(s.sent[0]);
    expect(after).toMatchObject({ enqueuedAt: later(60_000).toISOString() });
    expect(after.lastError).toBeUndefined();
    expect(unknown).toEqual({ status: 'unknown-order' });
    expect(again).toEqual({ status: 'up-to-date', outcome: 'fetched' });
    expect(s.sent).toHaveLength(2);
  });

  it('cannot retry an order whose fetch was never queued: its connection is unknown', async () => {
    const s = await setup();
    expect(await retryHydration(s.deps, { channel: 'square-main', externalId: 'O1' })).toEqual({
      status: 'no-connection',
    });
    expect(hydrationState((await s.table.get(key))!, now(), false)).toMatchObject({ state: 'stalled' });
  });
});
