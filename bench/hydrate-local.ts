import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/aws/config.ts';
import { keys } from '#shared/table/keys.ts';
import { runCli } from '#infra/local/cli.ts';
import { parseHubConfig } from '#infra/local/config.ts';
import { startLocalHub } from '#infra/local/hub.ts';
import { freePort } from '#infra/local/moto.ts';
import { signedRequest } from '../test/fixtures/signing.ts';
import { fakeSquare, squareOrder, squareOrderCreated } from '../test/support/fake-senders.ts';
import { percentile, round, type BenchModule } from './lib.ts';

const CONN = 'sq-bench';
const CHANNEL = 'square-bench';
const VARIATION = 'W62UWFY35CWMYGVWK6TWJDNI';
const LOCATION = 'L8GWV4NH3TQ2J';
const TOKEN = 'bench-square-token';

/**
 * Hydration latency on the local hub: a thin Square `order.created` posted over HTTP until the
 * fetched order is in the table (ingest → SQS → normalize → hydrate queue → fetch from a fake
 * Square API on loopback → normalize's merge). One order at a time, so each figure is one order's
 * path and not a queue. The local hub leaves out the deployed queue's 10 s delivery delay (the
 * wait that gathers a burst into one fetch), so a deployed hub adds those 10 s; the pollers' wait
 * between receives and moto's one-request-at-a-time service are in these figures.
 */
export const hydrateLocalBench: BenchModule = {
  name: 'hydrate-local',
  ownProcess: true,
  title: 'Hydration latency through the local hub (moto, fake Square API)',
  async run(ctx) {
    const n = ctx.quick ? 5 : 20;
    // the handlers run in this process: keep their per-message logs out of the bench's output
    const logLevel = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
    const port = await freePort();
    const api = await fakeSquare({ token: TOKEN });
    const config = parseHubConfig({
      connections: [
        {
          id: CONN,
          source: 'square',
          channel: CHANNEL,
          secret: randomBytes(16).toString('hex'),
          notificationUrl: `http://127.0.0.1:${port}/webhooks/${CONN}`,
        },
      ],
    });
    const hub = await startLocalHub({ port, config, quiet: true, prefix: 'bench-hydrate' });
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(
        awsClientConfig({ ...process.env, AWS_REGION: hub.region, HUB_AWS_ENDPOINT: hub.awsEndpoint }),
      ),
    );
    try {
      const cliEnv = {
        ...process.env,
        AWS_REGION: hub.region,
        HUB_AWS_ENDPOINT: hub.awsEndpoint,
        HUB_TABLE_NAME: hub.resources.tableName,
        HUB_STAGE: 'local-bench-hydrate',
        HUB_INGEST_QUEUE_URL: hub.resources.ingestQueueUrl,
        HUB_INGEST_DLQ_URL: hub.resources.ingestDlqUrl,
      };
      const quiet = () => undefined;
      await runCli(['connections', 'credentials', CONN, '--token', TOKEN, '--base-url', api.url], cliEnv, quiet);
      await runCli(['listings', 'map', CHANNEL, VARIATION, 'MUG-WHT'], cliEnv, quiet);
      const conn = hub.config.connections.find((c) => c.id === CONN)!;
      const latencies: number[] = [];
      for (let i = 0; i < n; i++) {
        const orderId = `bench-${randomUUID()}`;
        const at = new Date().toISOString();
        api.orders.set(
          orderId,
          squareOrder({ id: orderId, location_id: LOCATION, version: 1, created_at: at, updated_at: at }),
        );
        const req = signedRequest('square', conn, squareOrderCreated(orderId, LOCATION, at));
        const t0 = performance.now();
        const res = await fetch(`${hub.url}/webhooks/${CONN}`, {
          method: 'POST',
          headers: req.headers,
          body: new Uint8Array(req.body),
        });
        if (res.status !== 202) throw new Error(`the webhook was answered ${res.status}`);
        const deadline = Date.now() + 30_000;
        for (;;) {
          const got = await doc.send(
            new GetCommand({ TableName: hub.resources.tableName, Key: keys.order(CHANNEL, orderId) }),
          );
          if (got.Item) break;
          if (Date.now() > deadline) throw new Error(`order ${orderId} was not hydrated within 30 s`);
          await new Promise((r) => setTimeout(r, 10));
        }
        latencies.push(performance.now() - t0);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      const p50 = round(percentile(sorted, 50), 0);
      const p95 = round(percentile(sorted, 95), 0);
      const max = round(sorted[sorted.length - 1]!, 0);
      const fetches = api.requests.length;
      ctx.log(
        `${n} thin Square orders, one at a time: webhook → fetched order in the table p50 ${p50} ms, p95 ${p95} ms, max ${max} ms`,
      );
      ctx.log(
        `${fetches} calls to the fake Square API for ${n} orders; a deployed hub adds the hydrate queue's 10 s delivery delay`,
      );
      const measuredOn = `${n} thin Square orders posted one at a time to the local hub; moto, fake Square API on loopback`;
      return {
        figures: { orders: n, p50Ms: p50, p95Ms: p95, maxMs: max, apiCalls: fetches, deployedDelaySeconds: 10 },
        headline: [
          {
            figure: 'Hydration latency on the local hub: thin webhook → fetched order, p50 / p95',
            value: `${p50} / ${p95} ms (a deployed hub adds its 10 s gathering delay)`,
            measuredOn,
          },
        ],
      };
    } finally {
      if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
      else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
      doc.destroy();
      await hub.stop();
      await api.close();
    }
  },
};
