import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#infra/local/cli.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { startLocalHub, type LocalHub } from '#infra/local/hub.ts';
import { freePort } from '#infra/local/moto.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { systemClock } from '#shared/domain/clock.ts';
import type { StockAvailableChanged } from '#shared/outbound/events.ts';
import { awsEndpoint, motoEnv, uniqueName } from '#test/support/aws.ts';
import { startReceiver, type WebhookReceiver } from '#test/support/webhook-receiver.ts';

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The local hub's outbound path: a stock-change event published through the SQS publisher the fold
 * is handed reaches a subscriber, signed, within seconds. (The fold's own derivation of the events
 * is a separate part; here the test publishes as the fold would.)
 */
describe('outbound through the local hub on moto', () => {
  let hub: LocalHub;
  let receiver: WebhookReceiver;
  let cliEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const port = await freePort();
    const prefix = uniqueName('outbound');
    hub = await startLocalHub({
      port,
      awsEndpoint: awsEndpoint(),
      prefix,
      quiet: true,
      config: parseHubConfig({ connections: [] }),
    });
    cliEnv = {
      ...motoEnv(),
      HUB_TABLE_NAME: hub.resources.tableName,
      HUB_OUTBOUND_QUEUE_URL: hub.resources.outboundQueueUrl,
    };
    receiver = await startReceiver([]);
  }, 120_000);

  afterAll(async () => {
    await hub?.stop();
    await receiver?.close();
  });

  it('delivers a published stock.available.changed to a subscription added with the CLI, verified with its whsec_ secret, within 10 s', async () => {
    const out: string[] = [];
    await runCli(
      ['subscriptions', 'add', '--url', receiver.url, '--events', 'stock.available.changed', '--channels', 'shop-b'],
      cliEnv,
      (l) => out.push(l),
    );
    receiver.secrets.push(/whsec_\S+/.exec(out.join('\n'))![0]);
    const publisher = sqsOutboundQueue({
      queueUrl: hub.resources.outboundQueueUrl,
      clients: {
        aws: liteAwsClient({ env: { ...motoEnv(), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } }),
      },
    });
    // the signature's timestamp is checked by the official library against the machine's clock
    const at = systemClock().toISOString();
    const event: StockAvailableChanged = {
      type: 'stock.available.changed',
      id: 'avail:shop-b:SKU-1:7',
      at,
      data: { channel: 'shop-b', sku: 'SKU-1', availableToSell: 118, version: 7 },
    };
    const other: StockAvailableChanged = {
      ...event,
      id: 'avail:shop-c:SKU-1:7',
      data: { ...event.data, channel: 'shop-c' },
    };
    const t0 = performance.now();
    await publisher.publish([event, other]);
    const got = await waitFor('the delivery', () => receiver.received[0]);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(10_000);
    expect(got.payload).toEqual({ type: 'stock.available.changed', timestamp: at, id: event.id, data: event.data });
    expect(receiver.rejected).toBe(0);
    // only the subscribed channel
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received).toHaveLength(1);
  });
});
