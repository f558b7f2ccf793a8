import { parseArgs } from 'node:util';
import { awsClientConfig } from '#shared/aws/config.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import { replay } from '#shared/outbound/deliver.ts';
import {
  NewSubscriptionSchema,
  createSubscription,
  dropOldSecret,
  rotateSecret,
  type Subscription,
} from '#shared/outbound/subscriptions.ts';
import { cliHubEnv, noHubMessage } from './hub-file.ts';

/**
 * `npm run hub -- subscriptions <command>`: outbound webhook subscriptions (docs/outbound.md).
 *
 *   subscriptions add --url <url> --events stock.available.changed[,stock.balance.changed]
 *                     [--channels a,b] [--locations X,Y] [--partner P]     prints the whsec_ secret
 *   subscriptions list
 *   subscriptions remove <id>
 *   subscriptions rotate-secret <id>      a second secret; deliveries are signed with both
 *   subscriptions end-rotation <id>       only the newest secret stays
 *   subscriptions enable <id>             after it was disabled for failing
 *   subscriptions deliveries <id> [--from ISO] [--to ISO]
 *   subscriptions replay <id> --from ISO [--to ISO]
 *
 * Environment: HUB_TABLE_NAME, HUB_OUTBOUND_QUEUE_URL (replay), HUB_AWS_ENDPOINT; each defaults to
 * the running `npm start` (its hub.json).
 */
export class SubscriptionsCliError extends Error {
  override name = 'SubscriptionsCliError';
}

export const SUBSCRIPTIONS_HELP =
  'subscriptions add --url <url> --events stock.available.changed[,stock.balance.changed] [--channels a,b] [--locations X,Y] [--partner P]\n' +
  '  prints the endpoint secret (whsec_…) once; verify deliveries with it (docs/outbound.md)\n' +
  'subscriptions list | remove <id> | rotate-secret <id> | end-rotation <id> | enable <id>\n' +
  'subscriptions deliveries <id> [--from ISO] [--to ISO]   the delivery log (status, attempts, last error)\n' +
  'subscriptions replay <id> --from ISO [--to ISO]         sends the newest logged value of each subject again';

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

function iso(v: string | undefined, name: string): string | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new SubscriptionsCliError(`--${name} takes an ISO 8601 time`);
  return new Date(t).toISOString();
}

export async function runSubscriptionsCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<void> {
  const [, command, ...rest] = argv;
  const { env: e, file } = cliHubEnv(env);
  const tableName = e.HUB_TABLE_NAME ?? file?.tableName;
  if (!tableName) throw new SubscriptionsCliError(noHubMessage(env, 'HUB_TABLE_NAME'));
  const store = dynamoOutboundStore(documentClient(awsClientConfig(e)), tableName, {
    now: systemMsClock,
    subscriptionsMaxAgeSeconds: 0,
  });
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      events: { type: 'string' },
      channels: { type: 'string' },
      locations: { type: 'string' },
      partner: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
    },
  });
  const load = async (): Promise<Subscription> => {
    const id = positionals[0];
    if (!id) throw new SubscriptionsCliError('a subscription id is required');
    const sub = await store.getSubscription(id);
    if (!sub) throw new SubscriptionsCliError(`no subscription ${id}`);
    return sub;
  };
  const now = systemClock();
  switch (command) {
    case 'add': {
      const input = NewSubscriptionSchema.safeParse({
        url: values.url,
        events: list(values.events) ?? [],
        channels: list(values.channels),
        locations: list(values.locations),
        partner: values.partner ?? null,
      });
      if (!input.success)
        throw new SubscriptionsCliError(
          input.error.issues.map((i) => `--${String(i.path[0] ?? 'input')}: ${i.message}`).join('\n'),
        );
      const sub = createSubscription(input.data, now);
      await store.putSubscription(sub);
      print(`subscription ${sub.id} → ${sub.url}`);
      print(`  events:   ${sub.events.join(', ')}`);
      if (sub.channels) print(`  channels: ${sub.channels.join(', ')}`);
      if (sub.partner) print(`  partner:  ${sub.partner}`);
      print(`  secret:   ${sub.secrets[0]!.secret}`);
      return;
    }
    case 'list': {
      const all = await store.listSubscriptions();
      if (all.length === 0) print('no subscriptions');
      for (const s of all)
        print(
          `${s.id}\t${s.status}${s.disabledReason ? ` (${s.disabledReason})` : ''}\t${s.url}\t${s.events.join(',')}\t${s.channels?.join(',') ?? '*'}\t${s.partner ?? '-'}\t${s.secrets.length} secret(s)`,
        );
      return;
    }
    case 'remove': {
      const sub = await load();
      await store.removeSubscription(sub.id);
      print(`removed ${sub.id}`);
      return;
    }
    case 'rotate-secret': {
      const next = rotateSecret(await load(), now);
      await store.putSubscription(next);
      print(`${next.id}: deliveries are now signed with both secrets; the new one:`);
      print(`  secret:   ${next.secrets[1]!.secret}`);
      print(`  then, once the receiver uses it: npm run hub -- subscriptions end-rotation ${next.id}`);
      return;
    }
    case 'end-rotation': {
      const next = dropOldSecret(await load());
      await store.putSubscription(next);
      print(`${next.id}: signed with the newest secret only`);
      return;
    }
    case 'enable': {
      const sub = await load();
      await store.enable(sub.id);
      print(`${sub.id} enabled`);
      return;
    }
    case 'deliveries': {
      const sub = await load();
      const from = iso(values.from, 'from') ?? new Date(now.getTime() - 86_400_000).toISOString();
      const to = iso(values.to, 'to') ?? now.toISOString();
      const entries = await store.deliveries(sub.id, from, to);
      if (entries.length === 0) print(`no deliveries between ${from} and ${to}`);
      for (const d of entries)
        print(
          `${d.event.at}\t${d.event.id}\t${d.status}\tattempts ${d.attempts}${d.lastStatusCode ? `\tHTTP ${d.lastStatusCode}` : ''}${d.lastError ? `\t${d.lastError}` : ''}`,
        );
      return;
    }
    case 'replay': {
      const sub = await load();
      const from = iso(values.from, 'from');
      if (!from) throw new SubscriptionsCliError('--from is required');
      const to = iso(values.to, 'to') ?? now.toISOString();
      const queueUrl = e.HUB_OUTBOUND_QUEUE_URL ?? file?.outboundQueueUrl;
      if (!queueUrl) throw new SubscriptionsCliError('set HUB_OUTBOUND_QUEUE_URL (the stack output OutboundQueueUrl)');
      const queue = sqsOutboundQueue({ queueUrl, clients: { aws: liteAwsClient({ env: e }) } });
      const n = await replay(await store.deliveries(sub.id, from, to), { queue, now: systemClock });
      print(`queued ${n} deliver${n === 1 ? 'y' : 'ies'} of ${sub.id} again (${from} … ${to})`);
      return;
    }
    default:
      throw new SubscriptionsCliError(`unknown command: subscriptions ${command}\n${SUBSCRIPTIONS_HELP}`);
  }
}
