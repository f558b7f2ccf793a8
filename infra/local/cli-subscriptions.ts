import { parseArgs } from 'node:util';
import { awsClientConfig } from '#shared/aws/config.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import * as admin from '#shared/outbound/admin.ts';
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
 *   subscriptions disable <id>            stops deliveries until enabled
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
  'subscriptions list | remove <id> | rotate-secret <id> | end-rotation <id> | enable <id> | disable <id>\n' +
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
  const id = () => {
    const v = positionals[0];
    if (!v) throw new SubscriptionsCliError('a subscription id is required');
    return v;
  };
  try {
    switch (command) {
      case 'add': {
        const { subscription: sub, secret } = await admin.addSubscription(
          store,
          admin.HUB_WIDE,
          {
            url: values.url,
            events: list(values.events) ?? [],
            channels: list(values.channels),
            locations: list(values.locations),
            partner: values.partner ?? null,
          },
          systemClock,
        );
        print(`subscription ${sub.id} → ${sub.url}`);
        print(`  events:   ${sub.events.join(', ')}`);
        if (sub.channels) print(`  channels: ${sub.channels.join(', ')}`);
        if (sub.partner) print(`  partner:  ${sub.partner}`);
        print(`  secret:   ${secret}`);
        return;
      }
      case 'list': {
        const all = await admin.listSubscriptions(store, admin.HUB_WIDE);
        if (all.length === 0) print('no subscriptions');
        for (const s of all)
          print(
            `${s.id}\t${s.status}${s.disabledReason ? ` (${s.disabledReason})` : ''}\t${s.url}\t${s.events.join(',')}\t${s.channels?.join(',') ?? '*'}\t${s.partner ?? '-'}\t${s.secrets.length} secret(s)`,
          );
        return;
      }
      case 'remove': {
        await admin.removeSubscription(store, admin.HUB_WIDE, id());
        print(`removed ${id()}`);
        return;
      }
      case 'rotate-secret': {
        const { subscription: next, secret } = await admin.rotate(store, admin.HUB_WIDE, id(), systemClock);
        print(`${next.id}: deliveries are now signed with both secrets; the new one:`);
        print(`  secret:   ${secret}`);
        print(`  then, once the receiver uses it: npm run hub -- subscriptions end-rotation ${next.id}`);
        return;
      }
      case 'end-rotation': {
        const next = await admin.endRotation(store, admin.HUB_WIDE, id());
        print(`${next.id}: signed with the newest secret only`);
        return;
      }
      case 'enable':
      case 'disable': {
        const sub = await admin.setEnabled(store, admin.HUB_WIDE, id(), command === 'enable', systemClock);
        print(`${sub.id} ${command}d`);
        return;
      }
      case 'deliveries': {
        const log = await admin.deliveryLog(
          store,
          admin.HUB_WIDE,
          id(),
          { from: iso(values.from, 'from'), to: iso(values.to, 'to') },
          systemClock,
        );
        if (log.deliveries.length === 0) print(`no deliveries between ${log.from} and ${log.to}`);
        for (const d of log.deliveries)
          print(
            `${d.event.at}\t${d.event.id}\t${d.status}\tattempts ${d.attempts}${d.lastStatusCode ? `\tHTTP ${d.lastStatusCode}` : ''}${d.lastError ? `\t${d.lastError}` : ''}`,
          );
        return;
      }
      case 'replay': {
        const from = iso(values.from, 'from');
        if (!from) throw new SubscriptionsCliError('--from is required');
        const queueUrl = e.HUB_OUTBOUND_QUEUE_URL ?? file?.outboundQueueUrl;
        if (!queueUrl)
          throw new SubscriptionsCliError('set HUB_OUTBOUND_QUEUE_URL (the stack output OutboundQueueUrl)');
        const queue = sqsOutboundQueue({ queueUrl, clients: { aws: liteAwsClient({ env: e }) } });
        const r = await admin.replayRange(
          store,
          queue,
          admin.HUB_WIDE,
          id(),
          { from, ...(values.to ? { to: iso(values.to, 'to') } : {}) },
          systemClock,
        );
        const n = r.queued;
        print(`queued ${n} deliver${n === 1 ? 'y' : 'ies'} of ${id()} again (${r.from} … ${r.to})`);
        return;
      }
      default:
        throw new SubscriptionsCliError(`unknown command: subscriptions ${command}\n${SUBSCRIPTIONS_HELP}`);
    }
  } catch (err) {
    // the admin use cases name the field; the CLI names the option
    if (err instanceof admin.SubscriptionAdminError)
      throw new SubscriptionsCliError(
        err.kind === 'invalid' ? err.message.replace(/(^|; )(\w+)/g, '$1--$2') : err.message,
      );
    throw err;
  }
}
