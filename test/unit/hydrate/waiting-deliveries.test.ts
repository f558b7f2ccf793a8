import { describe, expect, it } from 'vitest';
import { noteUnresolved, replayWaitingDeliveries } from '#shared/hydrate/waiting-deliveries.ts';
import { keys } from '#shared/table/keys.ts';
import { MemoryTable } from '#shared/table/memory-table.ts';
import { fixedClock, TEST_NOW } from '../../support/clock.ts';

const now = fixedClock();
const day = TEST_NOW.slice(0, 10);

/** A quarantine item as normalize writes it for a delivery waiting for `externalId`. */
function quarantined(deliveryId: string, externalId: string, quarantinedAt = TEST_NOW) {
  return {
    ...keys.quarantine(day, TEST_NOW, deliveryId),
    type: 'quarantine',
    status: 'quarantined',
    reason: 'unmapped-listing',
    message: `no SKU is mapped to sq listing ${externalId} yet`,
    deliveryId,
    channel: 'sq',
    externalId,
    receivedAt: TEST_NOW,
    quarantinedAt,
    message_body: `{"deliveryId":"${deliveryId}"}`,
  };
}

describe('the deliveries that waited for a listing', () => {
  it('replays only those of the listing, and leaves one re-quarantined meanwhile for another listing waiting', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.write([{ kind: 'put', item: quarantined('d-1', 'VAR-A') }]);
    await table.write([{ kind: 'put', item: quarantined('d-2', 'VAR-B') }]);
    const sent: string[] = [];
    const ingest = {
      // the replayed delivery is normalized at once and waits again, now for VAR-C
      sendRaw: async (body: string) => {
        sent.push(body);
        await table.write([{ kind: 'put', item: quarantined('d-1', 'VAR-C', '2099-01-01T00:00:00.000Z') }]);
      },
    };

    // Act
    const replayed = await replayWaitingDeliveries({ table, ingest, now }, { channel: 'sq', externalId: 'VAR-A' });

    // Assess
    expect(replayed).toEqual(['d-1']);
    expect(sent).toEqual(['{"deliveryId":"d-1"}']);
    expect(await table.get(keys.quarantine(day, TEST_NOW, 'd-1'))).toMatchObject({
      status: 'quarantined',
      externalId: 'VAR-C',
    });
    expect(await table.get(keys.quarantine(day, TEST_NOW, 'd-2'))).toMatchObject({ status: 'quarantined' });
  });

  it('marks a replayed delivery replayed, and notes an unresolved lookup on the ones still waiting', async () => {
    // Prepare
    const table = new MemoryTable();
    await table.write([{ kind: 'put', item: quarantined('d-1', 'VAR-A') }]);
    await table.write([{ kind: 'put', item: quarantined('d-2', 'VAR-B') }]);

    // Act
    await replayWaitingDeliveries(
      { table, ingest: { sendRaw: async () => undefined }, now },
      { channel: 'sq', externalId: 'VAR-A' },
    );
    const noted = await noteUnresolved({ table, now }, { channel: 'sq', externalId: 'VAR-B' }, 'gone');
    const notedAgain = await noteUnresolved({ table, now }, { channel: 'sq', externalId: 'VAR-B' }, 'gone again');

    // Assess
    expect(await table.get(keys.quarantine(day, TEST_NOW, 'd-1'))).toMatchObject({
      status: 'replayed',
      replayedAt: TEST_NOW,
    });
    expect([noted, notedAgain]).toEqual([1, 1]);
    expect(await table.get(keys.quarantine(day, TEST_NOW, 'd-2'))).toMatchObject({
      status: 'quarantined',
      message: 'no SKU is mapped to sq listing VAR-B yet (catalog lookup: gone again)',
      catalogLookup: 'gone again',
    });
  });
});
