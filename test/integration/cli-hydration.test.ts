import { describe, expect, it } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { AdminCliError } from '#infra/local/cli-admin.ts';
import { runCli } from '#infra/local/cli.ts';
import { type HydrationMessage, recordFetchFailure, requestHydration } from '#shared/hydrate/hydrate.ts';
import { applyEvent } from '#shared/normalize/apply.ts';
import { keys } from '#shared/table/keys.ts';
import { fixedClock, TEST_NOW } from '../support/clock.ts';
import { freshTable } from '../support/table.ts';
import { motoEnv, testClients, uniqueName } from '../support/aws.ts';

const now = fixedClock();

async function cli(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runCli(argv, env, (l) => lines.push(l));
  return lines;
}

describe('npm run hub -- hydration list|retry on moto', () => {
  it('lists each waiting fetch with its state, retries one, all failed ones, and redrives the hydrate DLQ', async () => {
    // Prepare: five thin Square orders in different states, written the way normalize and hydrate write them
    const { table, tableName, drop } = await freshTable('clihyd');
    const { sqs } = testClients();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('hydq') }))).QueueUrl!;
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('hyddlq') }))).QueueUrl!;
    const env = {
      ...motoEnv(),
      HUB_STATE_DIR: `/tmp/${uniqueName('nohub')}`,
      HUB_TABLE_NAME: tableName,
      HUB_INGEST_QUEUE_URL: queueUrl,
      HUB_INGEST_DLQ_URL: dlqUrl,
      HUB_HYDRATE_QUEUE_URL: queueUrl,
      HUB_HYDRATE_DLQ_URL: dlqUrl,
    };
    const claimed: HydrationMessage[] = [];
    const deps = { table, queue: { send: async (m: HydrationMessage) => void claimed.push(m) }, now };
    const thin = async (id: string, claim: boolean) => {
      await applyEvent(
        table,
        {
          channel: 'square-main',
          source: 'square',
          deliveryId: `d-${id}`,
          occurredAt: TEST_NOW,
          type: 'HydrationPending',
          entity: 'order',
          externalId: id,
          version: { at: TEST_NOW, seq: 3 },
        },
        now,
      );
      if (claim)
        await requestHydration(deps, {
          connectionId: 'sq-conn',
          channel: 'square-main',
          source: 'square',
          externalId: id,
        });
    };
    const msg = (id: string) => ({ channel: 'square-main', entity: 'order' as const, externalId: id });
    await thin('ORD-FAILED', true);
    await recordFetchFailure(table, msg('ORD-FAILED'), { reason: 'Square answered 503', at: now() });
    await thin('ORD-429', true);
    // far enough ahead that the machine's clock, shifted by a year either way, is still before it
    const retryAt = new Date(Date.parse(TEST_NOW) + 5 * 365 * 86_400_000);
    await recordFetchFailure(table, msg('ORD-429'), { reason: 'rate limited (429)', at: now(), retryAt });
    await thin('ORD-DLQ', true);
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: JSON.stringify(claimed.at(-1)) }));
    await thin('ORD-NEVER-QUEUED', false);
    await thin('ORD-DONE', true);
    const done = (await table.get(keys.hydration('square-main', 'order', 'ORD-DONE')))!;
    const { enqueuedAt: _, ...rest } = done;
    await table.write([
      {
        kind: 'put',
        item: {
          ...rest,
          fetchedVersion: done.version,
          fetchedDeliveryId: done.deliveryId,
          outcome: 'fetched',
          fetchedAt: TEST_NOW,
        },
      },
    ]);

    // Act
    const listed = await cli(env, 'hydration', 'list');
    const listedAll = await cli(env, 'hydration', 'list', '--all');
    const one = await cli(env, 'hydration', 'retry', 'square-main', 'ORD-FAILED');
    const upToDate = await cli(env, 'hydration', 'retry', 'square-main', 'ORD-DONE');
    const failed = await cli(env, 'hydration', 'retry', '--failed');
    const redriven = await cli(env, 'hydration', 'retry', '--dlq');
    const sent: HydrationMessage[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      sent.push(...(r.Messages ?? []).map((m) => JSON.parse(m.Body!) as HydrationMessage));
    }
    const listedAfter = await cli(env, 'hydration', 'list');

    // Assess
    const line = (lines: string[], id: string) => lines.find((l) => l.startsWith(`square-main  ${id}  `));
    expect(line(listed, 'ORD-FAILED')).toBe(
      `square-main  ORD-FAILED  failed  since ${TEST_NOW}  sq-conn  Square answered 503`,
    );
    expect(line(listed, 'ORD-429')).toBe(
      `square-main  ORD-429  backing-off  until ${retryAt.toISOString()}  sq-conn  rate limited (429)`,
    );
    expect(line(listed, 'ORD-DLQ')).toMatch(/^square-main {2}ORD-DLQ {2}in-dlq/);
    expect(line(listed, 'ORD-NEVER-QUEUED')).toMatch(/ stalled .*a webhook waits and no fetch is queued$/);
    expect(line(listed, 'ORD-DONE')).toBeUndefined();
    expect(line(listedAll, 'ORD-DONE')).toMatch(/ done {2}since .* fetched$/);
    expect(one).toEqual(['sent a fetch for square-main ORD-FAILED to the hydrate queue']);
    expect(upToDate).toEqual(['square-main ORD-DONE: already fetched; nothing waits (fetched)']);
    // ORD-FAILED is queued again since the first retry; ORD-DLQ is sent; the never-queued one has no known connection
    expect(failed).toContain('sent 1 fetch to the hydrate queue');
    expect(failed.join('\n')).toMatch(/ORD-NEVER-QUEUED: no fetch was ever queued/);
    expect(redriven).toEqual(['moved 1 fetch message from the hydrate DLQ back to the hydrate queue']);
    expect(sent.map((m) => m.externalId).sort()).toEqual(['ORD-DLQ', 'ORD-DLQ', 'ORD-FAILED']);
    expect(sent.every((m) => m.connectionId === 'sq-conn' && m.source === 'square')).toBe(true);
    expect(line(listedAfter, 'ORD-DLQ')).toMatch(/ queued /);
    await drop();
  });

  it('answers bad input with a usage line, not a stack, and prints help for each command', async () => {
    const env = {
      ...motoEnv(),
      HUB_STATE_DIR: `/tmp/${uniqueName('nohub')}`,
      HUB_TABLE_NAME: 'x',
      HUB_INGEST_QUEUE_URL: 'x',
      HUB_INGEST_DLQ_URL: 'x',
      HUB_HYDRATE_QUEUE_URL: 'x',
    };
    await expect(cli(env, 'hydration', 'retry')).rejects.toThrow(AdminCliError);
    await expect(cli(env, 'hydration', 'retry')).rejects.toThrow(/<channel> <orderId>, --failed or --dlq/);
    await expect(cli(env, 'hydration', 'frob')).rejects.toThrow(/unknown command: hydration frob/);
    await expect(cli(env, 'hydration', 'retry', '--dlq')).rejects.toThrow(/HUB_HYDRATE_DLQ_URL/);
    expect((await cli(env, 'hydration', 'list', '--help')).join('\n')).toMatch(/backing-off/);
    expect((await cli(env, 'hydration', 'retry', '--help')).join('\n')).toMatch(/--dlq/);
    expect((await cli(env, '--help')).join('\n')).toContain('hydration list');
  });
});
