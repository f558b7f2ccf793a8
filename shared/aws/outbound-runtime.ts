import { awsClientConfig } from '#shared/aws/config.ts';
import { dynamoChannelPort } from '#shared/aws/channels.ts';
import { sqsOutboundQueue } from '#shared/aws/outbound-queue.ts';
import { dynamoOutboundStore, type DynamoOutboundStore } from '#shared/aws/outbound-store.ts';
import { documentClient } from '#shared/aws/table.ts';
import { secretsManagerApiCredentials } from '#shared/aws/api-credentials.ts';
import { dynamoChannelPush } from '#shared/aws/channel-push.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import type { OutboundDeps } from '#shared/outbound/deliver.ts';

export interface OutboundRuntime extends OutboundDeps {
  store: DynamoOutboundStore;
}

/** A subscriber that does not answer within this many seconds is retried on the schedule. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * The outbound function's dependencies, built once per container: HUB_TABLE_NAME,
 * HUB_OUTBOUND_QUEUE_URL, HUB_STAGE (the connections' API credentials, for channel pushes),
 * HUB_AWS_ENDPOINT locally.
 */
export function outboundRuntime(
  env: NodeJS.ProcessEnv = process.env,
  opts: { fetch?: typeof fetch } = {},
): OutboundRuntime {
  const tableName = env.HUB_TABLE_NAME;
  if (!tableName) throw new Error('HUB_TABLE_NAME is not set');
  const queueUrl = env.HUB_OUTBOUND_QUEUE_URL;
  if (!queueUrl) throw new Error('HUB_OUTBOUND_QUEUE_URL is not set');
  const doc = documentClient(awsClientConfig(env));
  const channels = dynamoChannelPort(doc, tableName, { maxAgeSeconds: 30, now: systemMsClock });
  const fetchFn = opts.fetch ?? fetch;
  return {
    store: dynamoOutboundStore(doc, tableName, { now: systemMsClock }),
    queue: sqsOutboundQueue({ queueUrl }),
    async post(url, init) {
      const res = await fetchFn(url, {
        method: 'POST',
        headers: init.headers,
        body: init.body,
        redirect: 'manual', // a redirect is a failed delivery, not a hop to somewhere else
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await res.body?.cancel();
      return { status: res.status };
    },
    async channelOwners() {
      const owners = new Map((await channels.list()).map((c) => [c.channel, c.partner ?? null]));
      return (channel) => owners.get(channel);
    },
    channelPush: dynamoChannelPush(doc, tableName, {
      channels,
      credentials: secretsManagerApiCredentials({ stage: env.HUB_STAGE ?? 'local', now: systemMsClock }),
      // a channel that does not answer within the delivery timeout is retried on the schedule
      fetch: (url, init) => fetchFn(url, { ...init, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) }),
      now: systemMsClock,
    }),
    now: systemClock,
    random: Math.random,
  };
}
