import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import autocannon from 'autocannon';
import { awsClientConfig } from '#shared/aws/config.ts';
import { freePort } from '#infra/local/moto.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { type LocalHub, startLocalHub } from '#infra/local/hub.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listQuarantine } from '#shared/aws/quarantine.ts';
import { mixRequests } from './mix.ts';
import { mixFor, mixLabel, round, type BenchModule } from './lib.ts';

export const E2E_CONNECTIONS = 8;

/** Ingest deliveries the normalizer quarantined: the table's quarantine items, fetched orders left out. */
async function countQuarantined(hub: LocalHub): Promise<number> {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient(awsClientConfig({ ...process.env, HUB_AWS_ENDPOINT: hub.awsEndpoint, AWS_REGION: hub.region })),
  );
  try {
    const items = await listQuarantine(doc, hub.resources.tableName, { days: 2, now: new Date() });
    return items.filter((q) => q.queue !== 'hydrate').length;
  } finally {
    doc.destroy();
  }
}

/**
 * Swallows the handlers' JSON log lines so the bench output stays readable, and counts the
 * normalize outcomes they name ("normalized", with the outcome's status) as a breakdown only: a
 * line can be cut across writes and missed, so the lost-delivery figure is counted from the
 * poller, the table and the DLQ instead.
 */
function outcomeCounter() {
  const counts = { applied: 0, noop: 0, ignored: 0, quarantined: 0 };
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let buffer = '';
  // every JSON line is a handler's log line: count outcomes, print nothing
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (buffer === '' && !text.startsWith('{')) return (out as (...a: unknown[]) => boolean)(chunk, ...rest);
    buffer += text;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const j = JSON.parse(line) as { messageId?: string; status?: string };
        if (j.messageId && j.status && j.status in counts) counts[j.status as keyof typeof counts]++;
      } catch {
        out(`${line}\n`);
      }
    }
    return true;
  }) as typeof process.stdout.write;
  // warn-level lines (a quarantined delivery is one) go to stderr: they are outcomes too
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('EMF key')) return true;
    if (!text.startsWith('{')) return (err as (...a: unknown[]) => boolean)(chunk, ...rest);
    for (const line of text.split('\n')) {
      try {
        const j = JSON.parse(line) as { messageId?: string; status?: string };
        if (j.messageId && j.status && j.status in counts) counts[j.status as keyof typeof counts]++;
      } catch {
        // a partial or non-JSON line: not an outcome
      }
    }
    return true;
  }) as typeof process.stderr.write;
  return {
    counts,
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
    },
  };
}

/**
 * End to end through the local hub (startLocalHub: moto, the four handlers, the SQS poller):
 * pre-signed webhooks from the mix posted over loopback by autocannon, then the queue drained.
 */
export const e2eBench: BenchModule = {
  name: 'e2e',
  ownProcess: true,
  title: 'End-to-end through the local hub (moto)',
  async run(ctx) {
    const orders = ctx.quick ? 40 : 120;
    const mix = await mixFor(ctx, orders);
    const port = await freePort();
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const config = parseHubConfig(
      { connections: mix.connections.filter((c) => c.source !== 'amazon'), apiKeys: [], channels: [] },
      'bench config',
    );
    const counter = outcomeCounter();
    const hub = await startLocalHub({ port, config, quiet: true, prefix: 'bench' });
    try {
      // re-signed now: Standard Webhooks refuses timestamps more than 5 minutes off
      const signed = mixRequests(mix, { now: new Date() });
      let next = 0;
      const t0 = Date.now();
      const result = await autocannon({
        url: hub.url,
        connections: E2E_CONNECTIONS,
        amount: signed.length,
        duration: 30,
        timeout: 30,
        requests: [
          {
            setupRequest: (req: autocannon.Request) => {
              const r = signed[next++ % signed.length]!;
              return { ...req, method: 'POST' as const, path: r.path, headers: r.headers, body: r.body };
            },
          },
        ],
      });
      const postSeconds = (Date.now() - t0) / 1000;
      const accepted = result['2xx'];
      const sqs = new SQSClient(
        awsClientConfig({ ...process.env, HUB_AWS_ENDPOINT: hub.awsEndpoint, AWS_REGION: hub.region }),
      );
      const depth = async (url: string) => {
        const a = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        return (
          Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
          Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
        );
      };
      const drainStart = Date.now();
      const limitMs = (ctx.quick ? 120 : 240) * 1000;
      let last = '';
      let stable = 0;
      let drained = false;
      while (Date.now() - drainStart < limitMs) {
        await new Promise((r) => setTimeout(r, 500));
        const p = hub.stats().pollers.ingest!;
        const snapshot = JSON.stringify(p);
        const idle = p.records === p.deleted + p.failures;
        stable = snapshot === last && idle ? stable + 1 : 0;
        last = snapshot;
        if (stable >= 2 && (await depth(hub.resources.ingestQueueUrl)) === 0) {
          drained = true;
          break;
        }
      }
      const drainSeconds = (Date.now() - drainStart) / 1000;
      const dlq = await depth(hub.resources.ingestDlqUrl);
      const queued = await depth(hub.resources.ingestQueueUrl);
      sqs.destroy();
      const poller = hub.stats().pollers.ingest!;
      // every accepted delivery ends applied (or a no-op redelivery), ignored with a metric (a topic
      // the hub has no use for), quarantined with its reason, or in the DLQ. The first three are the
      // messages normalize succeeded on, which the poller deleted (a message is deleted once: a
      // failed delete leaves it to be handled and deleted again); quarantined ones are counted
      // from the table's quarantine items, the DLQ from its depth.
      const handled = poller.deleted;
      const quarantined = await countQuarantined(hub);
      const settled = handled - quarantined;
      const lost = accepted - (settled + quarantined + dlq + queued);
      const logged = counter.counts;
      const acceptedPerSecond = accepted / (result.duration || postSeconds);
      const label = `${mixLabel(mix, signed.length)} posted over HTTP (Amazon's ${mix.items.length - signed.length} arrive through SQS and are left out)`;
      const failures: string[] = [];
      if (!drained) failures.push(`e2e: the queue did not drain within ${limitMs / 1000} s`);
      if (lost !== 0)
        failures.push(
          `e2e: lost = ${lost} (accepted ${accepted}, handled ${handled} of which quarantined ${quarantined}, DLQ ${dlq}, still queued ${queued})`,
        );
      if (result.non2xx > 0 || result.errors > 0)
        failures.push(`e2e: ${result.non2xx} non-2xx answers and ${result.errors} connection errors`);
      ctx.log(`measured on ${label}; ${E2E_CONNECTIONS} connections, loopback`);
      ctx.log(
        `accepted ${accepted} (202) at ${round(acceptedPerSecond, 1)}/s; acknowledgement latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; non-2xx ${result.non2xx}, errors ${result.errors}`,
      );
      ctx.log(
        `drained in ${round(drainSeconds, 1)} s after the last post (${drained ? 'queue empty, poller idle' : 'NOT drained'}); poller: ${JSON.stringify(poller)}`,
      );
      ctx.log(
        `outcomes: accepted ${accepted} = applied, no-op or ignored ${settled} + quarantined ${quarantined} (table) + DLQ ${dlq} + still queued ${queued} + lost ${lost}; normalize deleted ${handled} messages (poller)`,
      );
      ctx.log(
        `as the handler's log lines say (a breakdown; a line cut across writes is missed): applied ${logged.applied}, noop ${logged.noop}, ignored ${logged.ignored}, quarantined ${logged.quarantined}`,
      );
      if (quarantined > 0)
        ctx.log(
          `quarantined deliveries are inventory levels posted seconds after the product delivery that maps their listing (the mix spaces them by a minute or more of sender time; a burst over HTTP does not): reason unmapped-listing, replayable`,
        );
      ctx.log(
        'note: moto serves one request at a time (~8 ms per DynamoDB write), so the drain time measures moto, not the hub',
      );
      for (const f of failures) ctx.log(`FAIL ${f}`);
      return {
        figures: {
          orders: mix.orders.length,
          deliveries: signed.length,
          seed: mix.seed,
          connections: E2E_CONNECTIONS,
          accepted,
          acceptedPerSecond: round(acceptedPerSecond, 1),
          latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average },
          non2xx: result.non2xx,
          errors: result.errors,
          drainSeconds: round(drainSeconds, 1),
          drained,
          outcomes: { handled, settled, quarantined, dlq, queued, logged: { ...logged } },
          poller,
          lost,
          note: 'moto serves one request at a time: drain time measures moto, not the hub',
        },
        headline: [
          {
            figure: 'Local hub: accepted webhooks/s (moto behind it)',
            value: `${round(acceptedPerSecond, 1)}/s, ack p50 ${result.latency.p50} ms / p99 ${result.latency.p99} ms`,
            measuredOn: label,
          },
          { figure: 'Local hub: drain time (measures moto)', value: `${round(drainSeconds, 1)} s`, measuredOn: label },
          {
            figure: 'Local hub: lost deliveries',
            value: String(lost),
            target: '0',
            meets: lost === 0,
            measuredOn: label,
          },
        ],
        failures,
      };
    } finally {
      await hub.stop();
      counter.restore();
    }
  },
};
