import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoOutboundStore, type DynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { handleOutboundMessage, type OutboundDeps, type OutboundStore } from '#shared/outbound/deliver.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import { createSubscription } from '#shared/outbound/subscriptions.ts';
import { mulberry32 } from '../../../bench/prng.ts';
import { motoEnv } from '../../support/aws.ts';
import { freshTable } from '../../support/table.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';

// signed with the real clock: the official library checks `webhook-timestamp` against it
const now = systemClock;

let tbl: Awaited<ReturnType<typeof freshTable>>;
let store: DynamoOutboundStore;
beforeAll(async () => {
  tbl = await freshTable('outprop');
  store = dynamoOutboundStore(documentClient(awsClientConfig(motoEnv())), tbl.tableName, {
    now: () => now().getTime(),
    subscriptionsMaxAgeSeconds: 0,
  });
});
afterAll(async () => tbl.drop());

class Fault extends Error {
  override name = 'InjectedFault';
}

/** The store with faults: a call fails before it reaches DynamoDB, or after (its write done, its answer lost). */
function faulty(inner: OutboundStore, rand: () => number, rate: number): OutboundStore {
  const wrap =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      if (rand() < rate / 2) throw new Fault('before');
      const r = await f(...a);
      if (rand() < rate / 2) throw new Fault('after');
      return r;
    };
  return {
    listSubscriptions: wrap(inner.listSubscriptions),
    getSubscription: wrap(inner.getSubscription),
    claim: wrap(inner.claim),
    confirm: wrap(inner.confirm),
    log: wrap(inner.log),
    disable: wrap(inner.disable),
  };
}

const avail = (channel: string, sku: string, version: number): StockAvailableChanged => ({
  type: 'stock.available.changed',
  id: `avail:${channel}:${sku}:${version}`,
  at: now().toISOString(),
  data: { channel, sku, availableToSell: 100 - version, version },
});

describe('outbound exactly-once property', () => {
  it('duplicates, shuffles, store faults and failing endpoints never deliver an older version after a newer one, and each receiver ends on the last version published', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 6 })), {
          minLength: 4,
          maxLength: 14,
        }),
        async (seed, picks) => {
          const rand = mulberry32(seed);
          const channel = `prop-${seed}`;
          const receiver = await startReceiver([], { failRate: () => rand() < 0.25 });
          try {
            const sub = createSubscription(
              { url: receiver.url, events: ['stock.available.changed'], channels: [channel] },
              now(),
            );
            receiver.secrets.push(sub.secrets[0]!.secret);
            await store.putSubscription(sub);
            // what the fold published: versions per SKU, in batches, each batch possibly published twice
            const published = picks.map(([s, v]) => avail(channel, `SKU-${s}`, v));
            const pending: string[] = [];
            for (let i = 0; i < published.length; i += 3) {
              const body = JSON.stringify({ kind: 'events', events: published.slice(i, i + 3) });
              pending.push(body);
              if (rand() < 0.4) pending.push(body);
            }
            const deps: OutboundDeps = {
              store: faulty(store, rand, 0.2),
              queue: {
                send: async (message) => {
                  if (rand() < 0.1) throw new Fault('queue');
                  // the delay passes at once here; SQS hands it back in any order
                  pending.push(JSON.stringify(message.kind === 'attempt' ? { ...message, dueAt: 0 } : message));
                },
              },
              // bounded as the outbound function's own post is: a stalled connection is a failed attempt
              post: async (url, init) => ({
                status: (
                  await fetch(url, {
                    method: 'POST',
                    headers: init.headers,
                    body: init.body,
                    signal: AbortSignal.timeout(10_000),
                  })
                ).status,
              }),
              channelOwners: async () => () => null,
              now,
              random: rand,
            };
            for (let steps = 0; pending.length > 0; steps++) {
              if (steps > 2000) throw new Error('did not settle');
              // standard SQS: any message next
              const [body] = pending.splice(Math.floor(rand() * pending.length), 1);
              try {
                await handleOutboundMessage(body!, deps);
              } catch (err) {
                if (!(err instanceof Fault)) throw err;
                pending.push(body!); // not deleted: redelivered after its visibility timeout
              }
            }
            expect(receiver.rejected).toBe(0);
            const last = new Map<string, number>();
            for (const r of receiver.received) {
              const sku = String(r.payload.data.sku);
              expect(r.payload.data.version).toBeGreaterThanOrEqual(last.get(sku) ?? 0);
              last.set(sku, r.payload.data.version);
            }
            const newest = new Map<string, number>();
            for (const e of published) newest.set(e.data.sku, Math.max(newest.get(e.data.sku) ?? 0, e.data.version));
            expect(Object.fromEntries(last)).toEqual(Object.fromEntries(newest));
            expect((await store.getSubscription(sub.id))?.status).toBe('active');
          } finally {
            await receiver.close();
          }
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);
});
