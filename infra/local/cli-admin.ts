import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#shared/aws/config.ts';
import { listQuarantine, redriveDlq, replayQuarantined } from '#shared/aws/quarantine.ts';
import { documentClient } from '#shared/aws/table.ts';
import { cliHubEnv, noHubMessage } from './hub-file.ts';
import { z } from 'zod';
import { ApiKeyNameSchema, ApiKeyScopeSchema } from '#shared/http/api-key.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '#shared/aws/api-key-admin.ts';
import { getChannel, listChannels, putChannel } from '#shared/aws/channels.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import { ChannelConfigSchema } from '#shared/inventory/channel-config.ts';

/**
 * `npm run hub -- quarantine|dlq ...`: what the normalizer set aside, and sending it back.
 *
 *   quarantine list [--days 14] [--all]          quarantined deliveries with their reasons (--all: replayed too)
 *   quarantine replay [--id <deliveryId>]... [--reason <reason>] [--days 14]
 *                                                back through the ingest queue (fetches: the hydrate queue); safe to repeat
 *   dlq redrive [--max N]                        DLQ messages back to the ingest queue
 *   keys create --name <who holds it> --scopes stock:read,kpi:read [--partner P] [--channels a,b] [--locations X,Y]
 *                                                prints the key once; only its hash is stored
 *   keys list                                    name, creation date, hash, scopes, partner, revoked
 *   keys revoke <hash>                           takes effect within a minute (key caches)
 *   channels set <channel> [--partner P] [--share 0.5] [--buffer 5] [--max-listed 100] [--locations A,B]
 *                [--fulfilment-location WH-MAIN] [--location-map 655441491=WH-EAST,655441492=WH-WEST]
 *   channels list
 *
 * Environment: HUB_TABLE_NAME, HUB_INGEST_QUEUE_URL, HUB_INGEST_DLQ_URL and HUB_AWS_ENDPOINT; each
 * defaults to the running `npm start` (its .hub-local/hub.json). For a deployed stage, take them
 * from the stack outputs (TableName, IngestQueueUrl, DlqUrl) and export AWS credentials.
 */
export class AdminCliError extends Error {
  override name = 'AdminCliError';
}

export interface Target {
  env: NodeJS.ProcessEnv;
  tableName: string;
  queueUrl: string;
  dlqUrl: string;
  /** the hydrate queue: quarantined fetches are replayed into it (absent: they are left quarantined) */
  hydrateQueueUrl?: string;
  /** the hydrate queue's DLQ (`hydration list` looks into it, `hydration retry --dlq` redrives it) */
  hydrateDlqUrl?: string;
}

export function target(env: NodeJS.ProcessEnv): Target {
  const { env: e, file } = cliHubEnv(env);
  const tableName = e.HUB_TABLE_NAME ?? file?.tableName;
  const queueUrl = e.HUB_INGEST_QUEUE_URL ?? file?.ingestQueueUrl;
  const dlqUrl = e.HUB_INGEST_DLQ_URL ?? file?.ingestDlqUrl;
  if (!tableName || !queueUrl || !dlqUrl) {
    throw new AdminCliError(noHubMessage(env, 'HUB_TABLE_NAME, HUB_INGEST_QUEUE_URL and HUB_INGEST_DLQ_URL'));
  }
  const hydrateQueueUrl = e.HUB_HYDRATE_QUEUE_URL ?? file?.hydrateQueueUrl;
  const hydrateDlqUrl = e.HUB_HYDRATE_DLQ_URL ?? file?.hydrateDlqUrl;
  return {
    env: e,
    tableName,
    queueUrl,
    dlqUrl,
    ...(hydrateQueueUrl ? { hydrateQueueUrl } : {}),
    ...(hydrateDlqUrl ? { hydrateDlqUrl } : {}),
  };
}

/**
 * A channel on one line: its name, then every setting as `path=value` (nested settings by dotted
 * path, lists comma-separated), so `channels list` reads as a table and no setting is hidden.
 */
export function describeChannel(c: { channel: string } & Record<string, unknown>): string {
  const parts: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) parts.push(`${prefix}=${v.map(String).join(',')}`);
    else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
    else parts.push(`${prefix}=${String(v)}`);
  };
  for (const [k, v] of Object.entries(c)) if (k !== 'channel') walk(k, v);
  return `${c.channel}${parts.length ? `  ${parts.join('  ')}` : '  (defaults)'}`;
}

/** how soon a channel change reaches the stock and KPI functions (their channel cache) */
const CHANNEL_CACHE_NOTE = '30 s';

export async function runAdminCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  print: (line: string) => void,
): Promise<void> {
  const [group, command, ...rest] = argv;
  const t = target(env);
  const cfg = awsClientConfig(t.env);
  const doc = documentClient(cfg);
  const sqs = new SQSClient(cfg);
  const { values } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      days: { type: 'string' },
      all: { type: 'boolean' },
      id: { type: 'string', multiple: true },
      reason: { type: 'string' },
      max: { type: 'string' },
      scopes: { type: 'string' },
      name: { type: 'string' },
      partner: { type: 'string' },
      channels: { type: 'string' },
      locations: { type: 'string' },
      share: { type: 'string' },
      buffer: { type: 'string' },
      'max-listed': { type: 'string' },
      'fulfilment-location': { type: 'string' },
      'location-map': { type: 'string' },
      push: { type: 'string' },
      'push-location': { type: 'string' },
    },
  });
  const list = (v: string | undefined) =>
    v
      ? v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  const num = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new AdminCliError(`--${name} takes a number`);
    return n;
  };
  const days = values.days ? Number(values.days) : undefined;
  if (days !== undefined && !(Number.isInteger(days) && days > 0 && days <= 366))
    throw new AdminCliError('--days takes a whole number from 1 to 366');

  if (group === 'quarantine' && command === 'list') {
    const items = await listQuarantine(doc, t.tableName, {
      ...(days ? { days } : {}),
      ...(values.all ? {} : { status: 'quarantined' as const }),
      now: systemClock(),
    });
    if (items.length === 0) print('nothing quarantined');
    for (const q of items)
      print(
        `${q.quarantinedAt}  ${q.deliveryId}  ${q.source ?? '-'}/${q.connectionId ?? '-'}  ${q.status}  ${q.reason}: ${q.message.slice(0, 400)}`,
      );
    return;
  }
  if (group === 'quarantine' && command === 'replay') {
    const { replayed } = await replayQuarantined(
      {
        doc,
        tableName: t.tableName,
        sqs,
        queueUrl: t.queueUrl,
        ...(t.hydrateQueueUrl ? { hydrateQueueUrl: t.hydrateQueueUrl } : {}),
      },
      {
        ...(values.id ? { deliveryIds: values.id } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
        ...(days ? { days } : {}),
        now: systemClock(),
      },
    );
    print(
      `replayed ${replayed.length} deliver${replayed.length === 1 ? 'y' : 'ies'} through their queues${replayed.length ? `: ${replayed.join(', ')}` : ''}`,
    );
    return;
  }
  if (group === 'dlq' && command === 'redrive') {
    const max = values.max ? Number(values.max) : undefined;
    const { moved } = await redriveDlq(sqs, t.dlqUrl, t.queueUrl, max ? { max } : {});
    print(`moved ${moved} message${moved === 1 ? '' : 's'} from the DLQ back to the ingest queue`);
    return;
  }
  if (group === 'keys' && command === 'create') {
    const scopes = z
      .array(ApiKeyScopeSchema)
      .min(1)
      .safeParse(list(values.scopes) ?? []);
    if (!scopes.success)
      throw new AdminCliError(`--scopes takes a comma list of ${ApiKeyScopeSchema.options.join(', ')}`);
    // a name is required so `keys list` can say who holds each key (the text itself is never shown again)
    const name = ApiKeyNameSchema.safeParse(values.name ?? '');
    if (!name.success)
      throw new AdminCliError('--name is required: who or what holds the key, e.g. --name "warehouse sync"');
    const channels = list(values.channels);
    const locations = list(values.locations);
    const { key, record } = await createApiKey(
      doc,
      t.tableName,
      {
        name: name.data,
        scopes: scopes.data,
        partner: values.partner ?? null,
        ...(channels ? { channels } : {}),
        ...(locations ? { locations } : {}),
      },
      systemClock(),
    );
    print(`API key (shown once, store it now): ${key}`);
    print(
      `name "${record.name}"  created ${record.createdAt}  hash ${record.keyHash}  scopes ${record.scopes.join(',')}  partner ${record.partner ?? '-'}`,
    );
    return;
  }
  if (group === 'keys' && command === 'list') {
    const listed = await listApiKeys(doc, t.tableName);
    if (listed.length === 0) print('no API keys');
    for (const k of listed) {
      print(
        `${JSON.stringify(k.name ?? '(unnamed)')}  created ${k.createdAt || '-'}  ${k.keyHash}  ${k.scopes.join(',')}  partner ${k.partner ?? '-'}${k.channels ? `  channels ${k.channels.join(',')}` : ''}${k.locations ? `  locations ${k.locations.join(',')}` : ''}  ${k.revoked ? `REVOKED ${k.revokedAt ?? ''}` : 'active'}`,
      );
    }
    return;
  }
  if (group === 'keys' && command === 'revoke') {
    const hash = rest.find((a) => !a.startsWith('--'));
    if (!hash) throw new AdminCliError('keys revoke <hash> (see keys list)');
    if (!(await revokeApiKey(doc, t.tableName, hash, systemClock())))
      throw new AdminCliError(`no key with hash ${hash}`);
    print(`revoked ${hash}: refused everywhere within a minute`);
    return;
  }
  if (group === 'channels' && command === 'set') {
    const channel = rest.find((a) => !a.startsWith('--'));
    if (!channel) {
      throw new AdminCliError(
        'channels set <channel> [--partner P] [--share S] [--buffer B] [--max-listed M] [--locations A,B] [--fulfilment-location L] [--location-map theirs=ours,...] [--push <connection> [--push-location theirs]]',
      );
    }
    const existing = await getChannel(doc, t.tableName, channel);
    const allocation = { ...(existing?.allocation ?? {}) };
    const share = num(values.share, 'share');
    const buffer = num(values.buffer, 'buffer');
    const maxListed = num(values['max-listed'], 'max-listed');
    const locations = list(values.locations);
    if (share !== undefined) allocation.share = share;
    if (buffer !== undefined) allocation.buffer = buffer;
    if (maxListed !== undefined) allocation.maxListed = maxListed;
    if (locations) allocation.locations = locations;
    const where: { fulfilmentLocation?: string; locationMap?: Record<string, string> } = {};
    if (values['fulfilment-location']) where.fulfilmentLocation = values['fulfilment-location'];
    if (values['location-map']) {
      const pairs = list(values['location-map'])!.map((p) => p.split('='));
      if (pairs.some((p) => p.length !== 2 || !p[0] || !p[1]))
        throw new AdminCliError('--location-map takes theirs=ours pairs, e.g. 655441491=WH-EAST,655441492=WH-WEST');
      where.locationMap = {
        ...((existing?.locationMap as Record<string, string> | undefined) ?? {}),
        ...Object.fromEntries(pairs),
      };
    }
    // pushing the channel's available-to-sell to it, through one of its connections (docs/outbound.md)
    const push = values.push
      ? { push: { connection: values.push, ...(values['push-location'] ? { location: values['push-location'] } : {}) } }
      : {};
    const parsed = ChannelConfigSchema.safeParse({
      ...(existing ?? {}),
      channel,
      ...(values.partner ? { partner: values.partner } : {}),
      allocation,
      ...where,
      ...push,
    });
    if (!parsed.success)
      throw new AdminCliError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const saved = await putChannel(doc, t.tableName, parsed.data, systemClock());
    print(`saved channel ${describeChannel(saved)}`);
    print(`the stock and KPI APIs use it within ${CHANNEL_CACHE_NOTE} (their channel cache)`);
    return;
  }
  if (group === 'channels' && command === 'list') {
    const all = await listChannels(doc, t.tableName, { maxAgeSeconds: 0, now: systemMsClock });
    if (all.length === 0) print('no channels');
    for (const c of all) print(describeChannel(c));
    return;
  }
  throw new AdminCliError(
    `unknown command: ${[group, command].filter(Boolean).join(' ')} (npm run hub -- --help lists every command)`,
  );
}
