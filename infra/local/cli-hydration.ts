import { parseArgs } from 'node:util';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#shared/aws/config.ts';
import { peekHydrateDlq, scanHydrationItems } from '#shared/aws/hydration-admin.ts';
import { redriveDlq } from '#shared/aws/quarantine.ts';
import { DynamoTable, documentClient } from '#shared/aws/table.ts';
import { systemClock } from '#shared/domain/clock.ts';
import { type HydrationMessage, retryHydration } from '#shared/hydrate/hydrate.ts';
import { hydrationState, RETRYABLE, type PendingFetch } from '#shared/hydrate/hydration-state.ts';
import { AdminCliError, target } from './cli-admin.ts';

/**
 * `npm run hub -- hydration list|retry`: the thin orders waiting for a fetch from the sender's API,
 * and sending their fetch again (docs/hydration.md).
 */
export const HYDRATION_HELP: Record<string, string> = {
  'hydration list':
    'hydration list [--all]\n' +
    '  the orders waiting for a fetch from their sender, one per line: channel, order id, state, since, reason\n' +
    '  states: queued; backing-off (the sender answered 429; shows until when); failed (the last attempt\n' +
    '  failed: 401, 5xx, timeout; the queue retries it, then moves it to the DLQ); in-dlq; stalled (a webhook\n' +
    '  waits, no fetch is on its way); quarantined (the fetched order could not be read: quarantine replay)\n' +
    '  --all  also the orders whose last fetch is done (fetched, or not-found at the sender)\n' +
    '  reads the whole table (a Scan): run it by hand, not on a schedule',
  'hydration retry':
    'hydration retry <channel> <orderId>   fetch one order again now\n' +
    'hydration retry --failed             every failed, stalled or in-dlq order\n' +
    'hydration retry --dlq [--max N]      move the hydrate DLQ back to the hydrate queue\n' +
    '  fix the cause first (usually: npm run hub -- connections credentials <id> ...); a retried\n' +
    "  fetch reads the order's current state, and a repeated one changes nothing",
};

export async function runHydrationCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<void> {
  const [, command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      failed: { type: 'boolean' },
      dlq: { type: 'boolean' },
      max: { type: 'string' },
    },
  });
  const t = target(env);
  const hydrateQueueUrl = t.env.HUB_HYDRATE_QUEUE_URL ?? t.hydrateQueueUrl;
  const hydrateDlqUrl = t.env.HUB_HYDRATE_DLQ_URL ?? t.hydrateDlqUrl;
  const cfg = awsClientConfig(t.env);
  const doc = documentClient(cfg);
  const sqs = new SQSClient(cfg);
  try {
    const pending = async (): Promise<PendingFetch[]> => {
      const dlq = hydrateDlqUrl ? await peekHydrateDlq(sqs, hydrateDlqUrl) : [];
      const inDlq = new Set(dlq.map((m) => `${m.channel}\u0000${m.externalId}`));
      const now = systemClock();
      return (await scanHydrationItems(doc, t.tableName))
        .filter((i) => i.entity === 'order')
        .map((i) => hydrationState(i, now, inDlq.has(`${String(i.channel)}\u0000${String(i.externalId)}`)))
        .sort((a, b) => `${a.channel} ${a.orderId}`.localeCompare(`${b.channel} ${b.orderId}`));
    };
    const needQueue = (): string => {
      if (!hydrateQueueUrl)
        throw new AdminCliError('no hydrate queue: set HUB_HYDRATE_QUEUE_URL (the stack output HydrateQueueUrl)');
      return hydrateQueueUrl;
    };

    if (command === 'list') {
      const all = (await pending()).filter((p) => values.all || p.state !== 'done');
      if (all.length === 0) print(values.all ? 'no thin orders recorded' : 'nothing waits for a fetch');
      for (const p of all) print(describe(p));
      return;
    }
    if (command === 'retry') {
      if (values.dlq) {
        if (!hydrateDlqUrl)
          throw new AdminCliError('no hydrate DLQ: set HUB_HYDRATE_DLQ_URL (the stack output HydrateDlqUrl)');
        const max = values.max === undefined ? undefined : Number(values.max);
        if (max !== undefined && !(Number.isInteger(max) && max > 0))
          throw new AdminCliError('--max takes a whole number above 0');
        const { moved } = await redriveDlq(sqs, hydrateDlqUrl, needQueue(), max ? { max } : {});
        print(`moved ${moved} fetch message${moved === 1 ? '' : 's'} from the hydrate DLQ back to the hydrate queue`);
        return;
      }
      const queueUrl = needQueue();
      const deps = {
        table: new DynamoTable(doc, t.tableName),
        // the SDK's client, not the functions' small one: it signs with the SDK's default credential
        // chain (profiles, SSO), as the other admin commands do
        queue: {
          send: async (m: HydrationMessage) =>
            void (await sqs.send(
              new SendMessageCommand({
                QueueUrl: queueUrl,
                MessageBody: JSON.stringify(m),
                MessageAttributes: {
                  source: { DataType: 'String', StringValue: m.source },
                  connectionId: { DataType: 'String', StringValue: m.connectionId },
                },
              }),
            )),
        },
        now: systemClock,
      };
      if (values.failed) {
        const targets = (await pending()).filter((p) => RETRYABLE.includes(p.state));
        let sent = 0;
        for (const p of targets) {
          const r = await retryHydration(deps, { channel: p.channel, externalId: p.orderId, entity: p.entity });
          if (r.status === 'sent') sent++;
          else print(`${p.channel} ${idOf(p)}: ${explain(r.status)}`);
        }
        print(`sent ${sent} fetch${sent === 1 ? '' : 'es'} to the hydrate queue`);
        return;
      }
      const [channel, orderId] = positionals;
      if (!channel || !orderId)
        throw new AdminCliError(
          `hydration retry needs <channel> <orderId>, --failed or --dlq\n\n${HYDRATION_HELP['hydration retry']}`,
        );
      const r = await retryHydration(deps, { channel, externalId: orderId });
      if (r.status !== 'sent') {
        const text = `${channel} ${orderId}: ${explain(r.status)}${r.status === 'up-to-date' && r.outcome ? ` (${r.outcome})` : ''}`;
        if (r.status === 'up-to-date') {
          print(text);
          return;
        }
        throw new AdminCliError(text);
      }
      print(`sent a fetch for ${channel} ${orderId} to the hydrate queue`);
      return;
    }
    throw new AdminCliError(
      `unknown command: ${['hydration', command].filter(Boolean).join(' ')}\n\n${Object.values(HYDRATION_HELP).join('\n\n')}`,
    );
  } finally {
    sqs.destroy();
    doc.destroy();
  }
}

function explain(status: 'up-to-date' | 'unknown-order' | 'no-connection'): string {
  if (status === 'up-to-date') return 'already fetched; nothing waits';
  if (status === 'unknown-order') return 'no thin order with this id on this channel (hydration list shows them)';
  return 'no fetch was ever queued, so its connection is unknown; its next webhook queues one';
}

/** an order by its id; a listing looked up in the catalog as `listing <id>` */
const idOf = (p: PendingFetch) => (p.entity === 'listing' ? `listing ${p.orderId}` : p.orderId);

function describe(p: PendingFetch): string {
  const when = p.state === 'backing-off' ? `until ${p.until}` : p.since ? `since ${p.since}` : '';
  return [p.channel, idOf(p), p.state, when, p.connectionId ?? '-', p.reason ?? ''].filter(Boolean).join('  ');
}
