import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squareClient } from '#shared/hydrate/square-client.ts';
import { RateLimitedError, UnauthorizedError } from '#shared/hydrate/errors.ts';
import type { HydrationMessage } from '#shared/hydrate/hydrate.ts';
import { hydrateRecord, type HydrateRecordDeps } from '#shared/hydrate/record.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';
import { fakeSquare, type FakeSquare } from '../../support/fake-senders.ts';

const now = fixedClock();
const message: HydrationMessage = {
  v: 1,
  connectionId: 'square-main',
  channel: 'square-main',
  source: 'square',
  entity: 'order',
  externalId: 'O1',
};

describe('hydrateRecord: what a failed fetch does to its SQS message', () => {
  let api: FakeSquare;
  beforeAll(async () => {
    api = await fakeSquare({ token: 'sq-token' });
  });
  afterAll(() => api.close());

  async function setup(token: string) {
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
    const visibility: [string, number][] = [];
    const outcomes: string[] = [];
    const forgotten: string[] = [];
    const deps: HydrateRecordDeps = {
      table,
      channels: { list: async () => [] },
      now,
      queue: { send: async () => undefined, changeVisibility: async (h, s) => void visibility.push([h, s]) },
      credentials: { forget: (id) => void forgotten.push(id) },
      clientFor: async () =>
        squareClient({ fetch, credentials: { accessToken: token, baseUrl: api.url }, now: () => now().getTime() }),
    };
    const telemetry = {
      hydration: (_s: string, o: string) => void outcomes.push(o),
      withCorrelationId: () => ({ info: () => undefined, warn: () => undefined, error: () => undefined }) as never,
    };
    return { deps, telemetry, visibility, outcomes, forgotten };
  }
  const record = {
    body: JSON.stringify(message),
    receiptHandle: 'rh-1',
    messageId: 'm-1',
    attributes: { ApproximateReceiveCount: '1' },
  };

  it('hides a rate-limited message for exactly the Retry-After seconds, then fails it', async () => {
    // Prepare
    const s = await setup('sq-token');
    api.failNext({ status: 429, headers: { 'retry-after': '42' } });

    // Act
    const err = await hydrateRecord(record, s.deps, s.telemetry).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(s.visibility).toEqual([['rh-1', 42]]);
    expect(s.outcomes).toEqual(['rate-limited']);
  });

  it('counts refused credentials, forgets the cached copy and fails the message without touching its visibility', async () => {
    // Prepare
    const s = await setup('revoked');

    // Act
    const err = await hydrateRecord(record, s.deps, s.telemetry).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(s.outcomes).toEqual(['unauthorized']);
    expect(s.forgotten).toEqual(['square-main']);
    expect(s.visibility).toEqual([]);
  });
});
