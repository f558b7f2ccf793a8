import { describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { runCli } from '#infra/local/cli.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { handleOutboundMessage, type OutboundDeps } from '#shared/outbound/deliver.ts';
import { motoEnv, testClients, uniqueName } from '../../support/aws.ts';
import { freshTable } from '../../support/table.ts';
import { startReceiver } from '../../support/webhook-receiver.ts';

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<string> {
  const lines: string[] = [];
  await runCli(argv, env, (l) => lines.push(l));
  return lines.join('\n');
}

describe('npm run hub -- subscriptions', () => {
  it('adds a subscription printing its whsec_ secret, which verifies deliveries; rotates, logs, replays and removes', async () => {
    const { tableName, drop } = await freshTable('clisub');
    const { sqs } = testClients();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('outq') }))).QueueUrl!;
    const env = {
      ...motoEnv(),
      HUB_TABLE_NAME: tableName,
      HUB_OUTBOUND_QUEUE_URL: queueUrl,
      HUB_STATE_DIR: '/nonexistent',
    };
    const receiver = await startReceiver([]);
    try {
      const added = await cli(
        env,
        'subscriptions',
        'add',
        '--url',
        receiver.url,
        '--events',
        'stock.available.changed',
        '--channels',
        'shop-a',
      );
      const id = /sub_[0-9a-f]+/.exec(added)?.[0];
      const secret = /whsec_\S+/.exec(added)?.[0];
      expect(id).toBeDefined();
      receiver.secrets.push(secret!);

      const store = dynamoOutboundStore(documentClient(awsClientConfig(motoEnv())), tableName, {
        now: () => systemClock().getTime(),
        subscriptionsMaxAgeSeconds: 0,
      });
      const deps: OutboundDeps = {
        store,
        queue: { send: async () => undefined },
        post: async (url, init) => ({ status: (await fetch(url, { method: 'POST', ...init })).status }),
        channelOwners: async () => () => null,
        // the official library checks the signature's timestamp against the machine's clock
        now: systemClock,
        random: () => 0.5,
      };
      const at = systemClock().toISOString();
      const event = {
        type: 'stock.available.changed',
        id: 'avail:shop-a:SKU-9:4',
        at,
        data: { channel: 'shop-a', sku: 'SKU-9', availableToSell: 12, version: 4 },
      };
      await handleOutboundMessage(JSON.stringify({ kind: 'events', events: [event] }), deps);
      expect(receiver.received.map((r) => r.payload.data)).toEqual([event.data]);

      expect(await cli(env, 'subscriptions', 'list')).toContain(`${id}\tactive\t${receiver.url}`);
      const rotated = await cli(env, 'subscriptions', 'rotate-secret', id!);
      expect(/whsec_\S+/.exec(rotated)?.[0]).not.toBe(secret);
      expect((await store.getSubscription(id!))?.secrets).toHaveLength(2);
      await cli(env, 'subscriptions', 'end-rotation', id!);
      expect((await store.getSubscription(id!))?.secrets).toHaveLength(1);

      const from = new Date(Date.parse(at) - 60_000).toISOString();
      const to = new Date(Date.parse(at) + 60_000).toISOString();
      expect(await cli(env, 'subscriptions', 'deliveries', id!, '--from', from, '--to', to)).toMatch(
        /avail:shop-a:SKU-9:4\tdelivered\tattempts 1\tHTTP 204/,
      );
      expect(await cli(env, 'subscriptions', 'replay', id!, '--from', from, '--to', to)).toMatch(/queued 1 delivery/);
      const msgs = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      expect(msgs.Messages?.map((m) => JSON.parse(m.Body!))).toEqual([
        expect.objectContaining({ kind: 'attempt', subscriptionId: id, attempt: 1, replay: true, event }),
      ]);

      await expect(
        cli(env, 'subscriptions', 'add', '--url', 'http://example.com/hook', '--events', 'stock.available.changed'),
      ).rejects.toThrow(/--url: must be https/);
      await expect(
        cli(env, 'subscriptions', 'add', '--url', receiver.url, '--events', 'order.created'),
      ).rejects.toThrow(/--events/);
      await cli(env, 'subscriptions', 'remove', id!);
      expect(await cli(env, 'subscriptions', 'list')).toBe('no subscriptions');
    } finally {
      await receiver.close();
      await drop();
    }
  });
});
