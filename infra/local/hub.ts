import { FUNCTION_TIMEOUT_SECONDS } from '#infra/hub-stack.ts';
import { ConfigError } from '#shared/domain/config-error.ts';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { FoldStreamEvent } from '#shared/stream/fold-event.ts';
import { awsClientConfig } from '#shared/aws/config.ts';
import { putApiKey } from '#shared/aws/api-keys.ts';
import { putChannel, putChannelConnection } from '#shared/aws/channels.ts';
import { dynamoConnectionStore } from '#shared/aws/connections.ts';
import { customerSaltSecretName } from '#shared/aws/customer-salt.ts';
import { liteAwsClient } from '#shared/aws/lite/client.ts';
import { ensureCustomerSaltSecret } from './customer-salt.ts';
import type { HubResources } from './provision.ts';
import { startMoto, type MotoServer } from './moto.ts';
import { demoHubConfig, type HubConfig } from './config.ts';
import { assertPortFree, createHubHttpServer, type HttpInvoke } from './http.ts';
import { SqsPoller, type SqsPollerStats } from './sqs-poller.ts';
import {
  StreamPoller,
  anyFilter,
  keyPrefixFilter,
  newImageEqualsFilter,
  type StreamPollerStats,
} from './stream-poller.ts';
import { systemClock, systemMsClock } from '#shared/domain/clock.ts';
import { LocalPersistence, type PersistCounts } from './persist.ts';

/**
 * The whole hub on one machine: moto (or any AWS-compatible endpoint) provisioned from the CDK
 * stack, the Lambda handlers served over HTTP, fed from SQS and from the table's stream exactly as
 * the cloud would (docs/architecture.md, principle 7). Used by `npm start`, the e2e tests and the
 * benchmarks. With `poll: false` neither the SQS pollers nor the stream poller are started:
 * accepted deliveries stay in the queue (for tests that inspect the queue, or an ingest-only hub).
 */

export interface LocalHubOptions {
  /** HTTP port; default HUB_PORT, else 3000; 0 picks a free port */
  port?: number;
  /** an AWS-compatible endpoint already running; default HUB_AWS_ENDPOINT, else a moto_server is started */
  awsEndpoint?: string;
  /** connections and API keys to seed; default: the demo config */
  config?: HubConfig;
  /** no per-request log lines (errors are still printed) */
  quiet?: boolean;
  /** resource name prefix, so several hubs can share one endpoint */
  prefix?: string;
  /**
   * start the SQS pollers that feed normalize and the stream poller that feeds fold; default true.
   * false leaves deliveries in the queue and the KPI counters unfolded
   */
  poll?: boolean;
  /**
   * keep the hub's state in this directory across restarts (infra/local/persist.ts): restored at
   * start when a snapshot is there, saved every `saveEverySeconds` (default 30) and on stop. Only
   * with the moto this hub starts; an endpoint of one's own keeps its own state
   */
  persist?: { dir: string; saveEverySeconds?: number };
}

export interface LocalHubPersistence {
  dir: string;
  /** what was written back at start; absent on a first start */
  restored?: PersistCounts & { savedAt: string };
}

export interface LocalHubStats {
  pollers: Record<string, SqsPollerStats>;
  /** the table stream's poller (feeds fold); absent when not polling */
  stream?: StreamPollerStats;
}

export interface LocalHub {
  url: string;
  port: number;
  awsEndpoint: string;
  region: string;
  resources: HubResources;
  config: HubConfig;
  /** set when this hub started its own moto_server (stopped with the hub) */
  moto?: MotoServer;
  /** set when the hub keeps its state across restarts */
  persistence?: LocalHubPersistence;
  stats(): LocalHubStats;
  /**
   * Resolves once fold has caught up with the table's stream: every write made before the call
   * (normalize's order writes included, once they are made) has been folded into the KPI counters.
   * At once when the hub does not poll. `timeoutMs` turns a fold that keeps failing into an error.
   */
  foldIdle(opts?: { timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** The stack's function timeouts; handlers may read getRemainingTimeInMillis(). */
type FunctionName = keyof typeof FUNCTION_TIMEOUT_SECONDS;

function lambdaContext(name: FunctionName, region: string): Context {
  const deadline = Date.now() + FUNCTION_TIMEOUT_SECONDS[name] * 1000;
  const functionName = `inventory-hub-local-${name}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

interface Handlers {
  ingest: (e: APIGatewayProxyEventV2, c: Context) => Promise<unknown>;
  stock: (e: APIGatewayProxyEventV2, c: Context) => Promise<unknown>;
  kpi: (e: APIGatewayProxyEventV2, c: Context) => Promise<unknown>;
  docs: (e: APIGatewayProxyEventV2, c: Context) => Promise<unknown>;
  normalize: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse | void>;
  hydrate: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse | void>;
  outbound: (e: SQSEvent, c: Context) => Promise<SQSBatchResponse | void>;
  fold: (e: FoldStreamEvent, c: Context) => Promise<unknown>;
}

/**
 * Handlers read their environment once, at module load, as they do in Lambda. A process can hence
 * serve only one set of resources: the first hub's environment is remembered and a later hub with
 * other resources is refused rather than silently writing to the first one's table.
 */
let loadedWith: string | undefined;
let handlers: Promise<Handlers> | undefined;

function loadHandlers(env: Record<string, string>): Promise<Handlers> {
  const signature = JSON.stringify(env);
  if (loadedWith !== undefined && loadedWith !== signature) {
    throw new Error(
      'startLocalHub: this process already loaded the handlers for other resources ' +
        `(${loadedWith}); handlers read their environment once at module load, so start each hub in its own process`,
    );
  }
  loadedWith = signature;
  Object.assign(process.env, env);
  handlers ??= (async () => {
    const [ingest, stock, kpi, docs, normalize, fold, hydrate, outbound] = await Promise.all([
      import('#functions/ingest/handler.ts'),
      import('#functions/stock/handler.ts'),
      import('#functions/kpi/handler.ts'),
      import('#functions/docs/handler.ts'),
      import('#functions/normalize/handler.ts'),
      import('#functions/fold/handler.ts'),
      import('#functions/hydrate/handler.ts'),
      import('#functions/outbound/handler.ts'),
    ]);
    return {
      ingest: ingest.handler as Handlers['ingest'],
      stock: stock.handler as Handlers['stock'],
      kpi: kpi.handler as Handlers['kpi'],
      docs: docs.handler as Handlers['docs'],
      normalize: normalize.handler as Handlers['normalize'],
      fold: fold.handler as Handlers['fold'],
      hydrate: hydrate.handler as Handlers['hydrate'],
      outbound: outbound.handler as Handlers['outbound'],
    };
  })();
  // a failed import (a handler with a syntax error) may be retried by the next start
  handlers.catch(() => {
    handlers = undefined;
    loadedWith = undefined;
  });
  return handlers;
}

export async function startLocalHub(opts: LocalHubOptions = {}): Promise<LocalHub> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const port = opts.port ?? (process.env.HUB_PORT ? Number(process.env.HUB_PORT) : 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`HUB_PORT must be a port number (0-65535), got ${port}`);
  const config = opts.config ?? demoHubConfig();
  const quiet = opts.quiet ?? false;
  const givenEndpoint = opts.awsEndpoint ?? process.env.HUB_AWS_ENDPOINT;
  // a taken port is found before moto and the CDK spend seconds starting; listen below still
  // reports it if another process takes the port in between
  if (port !== 0) await assertPortFree(port);
  // moto boots in its own process while this one loads aws-cdk-lib and synthesizes the stack
  // (the two slowest steps of a start, a few seconds each); provision.ts is imported only now so
  // that loading the CDK does not happen before moto is spawned
  const motoStarting = givenEndpoint ? undefined : startMoto();
  const loading = (async () => {
    const [provision, template] = await Promise.all([import('./provision.ts'), import('./template.ts')]);
    template.synthHubTemplate(); // memoized: provisionHub below reuses it
    return provision.provisionHub;
  })();
  let provisionHub: Awaited<typeof loading>;
  let moto: MotoServer | undefined;
  try {
    // all, not one after the other: a missing moto_server is reported at once
    [provisionHub, moto] = await Promise.all([loading, motoStarting]);
  } catch (err) {
    loading.catch(() => {});
    await (await motoStarting?.catch(() => undefined))?.stop();
    throw err;
  }
  const awsEndpoint = givenEndpoint ?? moto!.endpoint;
  const cleanup: Array<() => Promise<void>> = [];
  if (moto) cleanup.push(() => moto.stop());
  const runCleanup = async () => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        console.error(`local hub: shutdown step failed: ${String(err)}`);
      }
    }
  };

  // secrets are named by stage (hub/<stage>/connections/<id>) and not by table: hubs sharing one
  // endpoint under different prefixes would otherwise overwrite each other's secrets
  const stage = opts.prefix ? `local-${opts.prefix}` : 'local';
  try {
    const resources = await provisionHub({
      endpoint: awsEndpoint,
      region,
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    });
    const env: Record<string, string> = {
      AWS_REGION: region,
      HUB_AWS_ENDPOINT: awsEndpoint,
      HUB_STAGE: stage,
      HUB_TABLE_NAME: resources.tableName,
      HUB_INGEST_QUEUE_URL: resources.ingestQueueUrl,
      HUB_HYDRATE_QUEUE_URL: resources.hydrateQueueUrl,
      HUB_OUTBOUND_QUEUE_URL: resources.outboundQueueUrl,
      // the fold asks on every batch whether anything listens to stock-change events: a subscription
      // or push added locally takes effect at once (the stack's functions reuse the answer 30 s)
      HUB_LISTENERS_CACHE_SECONDS: process.env.HUB_LISTENERS_CACHE_SECONDS ?? '0',
      HUB_BODY_BUCKET: resources.bodyBucket,
      // EMF metric lines are for CloudWatch; locally they would drown the request log
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      ...(resources.spapiQueueUrl ? { HUB_SPAPI_QUEUE_URL: resources.spapiQueueUrl } : {}),
      ...(config.merchant?.timeZone ? { HUB_MERCHANT_TIME_ZONE: config.merchant.timeZone } : {}),
      // the secret customer references are hashed with (docs/kpis.md): the one exported, else the
      // hub's own, generated at the first start and kept with its state (ensureCustomerSaltSecret)
      ...(process.env.HUB_CUSTOMER_SALT
        ? { HUB_CUSTOMER_SALT: process.env.HUB_CUSTOMER_SALT }
        : { HUB_CUSTOMER_SALT_ID: customerSaltSecretName(stage) }),
      // fixed dummy credentials: anything that missed the endpoint fails instead of reaching a
      // real account with a developer's credentials
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    const loading = loadHandlers(env);
    // awaited below, after seeding; until then a failed import must not count as unhandled
    loading.catch(() => {});
    const clientConfig = awsClientConfig({ ...process.env, ...env });

    // the saved state goes back before anything reads or polls; then the config is not seeded
    // again (the snapshot holds what it seeded, with every change made since)
    let persistence: LocalHubPersistence | undefined;
    let saver: LocalPersistence | undefined;
    let startedUp = false;
    if (opts.persist && moto) {
      saver = new LocalPersistence(opts.persist.dir, awsEndpoint, region);
      const snapshot = LocalPersistence.read(opts.persist.dir);
      const restored = snapshot ? await saver.restore(snapshot, resources) : undefined;
      persistence = {
        dir: opts.persist.dir,
        ...(restored && snapshot ? { restored: { ...restored, savedAt: snapshot.savedAt } } : {}),
      };
      const s = saver;
      const timer = setInterval(
        () => {
          s.save(resources).catch((err) => console.error(`local hub: saving the state failed: ${String(err)}`));
        },
        (opts.persist.saveEverySeconds ?? 30) * 1000,
      );
      timer.unref();
      // runs after every poller and the HTTP server stopped (cleanup runs in reverse), before moto
      // stops; a start that failed half-way saves nothing over the snapshot it may have restored
      cleanup.push(async () => {
        clearInterval(timer);
        try {
          if (startedUp) await s.save(resources, { withQueues: true });
        } finally {
          s.close();
        }
      });
    }

    // after the restore, so a saved hub keeps its salt; before any delivery is normalized
    if (env.HUB_CUSTOMER_SALT_ID)
      await ensureCustomerSaltSecret(liteAwsClient({ env: { ...process.env, ...env } }), env.HUB_CUSTOMER_SALT_ID);
    const connections = dynamoConnectionStore({ tableName: resources.tableName, stage, now: systemMsClock });
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig));
    await Promise.all([
      ...(persistence?.restored ? [] : config.connections.map((c) => connections.put(c))),
      ...(persistence?.restored
        ? []
        : config.apiKeys.map(({ key, $comment: _c, ...attrs }) =>
            putApiKey(doc, resources.tableName, key, attrs, systemClock()),
          )),
      ...(persistence?.restored
        ? []
        : config.channels.map(({ $comment: _c, ...channel }) =>
            putChannel(doc, resources.tableName, channel, systemClock()),
          )),
      // SP-API notifications have no connection item: their channel is listed here instead
      ...(resources.spapiQueueUrl
        ? [
            putChannelConnection(
              doc,
              resources.tableName,
              { channel: process.env.HUB_SPAPI_CHANNEL ?? 'amazon', connectionId: 'amazon-spapi', source: 'amazon' },
              systemClock(),
            ),
          ]
        : []),
    ]);
    doc.destroy();
    const fns = await loading;

    const errorLog = (line: string) => console.error(line);
    const sqs = new SQSClient(clientConfig);
    // runs after the pollers stop (cleanup runs in reverse): their last deletes still need it
    cleanup.push(async () => sqs.destroy());
    // the queues the stack maps to functions, each polled as its event source mapping would:
    // ingest and SP-API → normalize (batched over a window); hydrate (thin orders fetched from the
    // senders' APIs, docs/hydration.md) and outbound (stock-change events to subscriptions, and
    // their retries) from queues of their own
    type Invoke = (event: SQSEvent) => Promise<SQSBatchResponse | void>;
    const normalize: Invoke = (event) => fns.normalize(event, lambdaContext('normalize', region));
    const sources: Array<{
      name: string;
      queueUrl: string;
      batchSize: number;
      windowSeconds: number;
      handler: Invoke;
    }> = [];
    if (opts.poll ?? true) {
      const batch = { batchSize: resources.normalizeBatchSize, windowSeconds: resources.normalizeBatchWindowSeconds };
      sources.push({ name: 'ingest', queueUrl: resources.ingestQueueUrl, ...batch, handler: normalize });
      if (resources.spapiQueueUrl)
        sources.push({ name: 'spapi', queueUrl: resources.spapiQueueUrl, ...batch, handler: normalize });
      sources.push(
        {
          name: 'hydrate',
          queueUrl: resources.hydrateQueueUrl,
          batchSize: resources.hydrateBatchSize,
          windowSeconds: 0,
          handler: (event) => fns.hydrate(event, lambdaContext('hydrate', region)),
        },
        {
          name: 'outbound',
          queueUrl: resources.outboundQueueUrl,
          batchSize: resources.outboundBatchSize,
          windowSeconds: 0,
          handler: (event) => fns.outbound(event, lambdaContext('outbound', region)),
        },
      );
    }
    const pollers = new Map<string, SqsPoller>();
    for (const source of sources) {
      const poller = new SqsPoller({
        sqs,
        queueUrl: source.queueUrl,
        region,
        batchSize: source.batchSize,
        batchWindowSeconds: source.windowSeconds,
        handler: source.handler,
        log: errorLog,
        ...visibilityOverride(process.env.HUB_VISIBILITY_TIMEOUT_SECONDS),
      });
      await poller.start();
      pollers.set(source.name, poller);
      cleanup.push(() => poller.stop());
    }

    // fold, fed from the table's stream as the stack's DynamoDB event source mapping does
    let streamPoller: StreamPoller | undefined;
    if (opts.poll ?? true) {
      const dynamo = new DynamoDBClient(clientConfig);
      const streams = new DynamoDBStreamsClient(clientConfig);
      cleanup.push(async () => {
        dynamo.destroy();
        streams.destroy();
      });
      const poller = new StreamPoller({
        dynamo,
        streams,
        tableName: resources.tableName,
        region,
        batchSize: resources.fold.batchSize,
        filter: anyFilter(
          keyPrefixFilter(resources.fold.keyAttribute, resources.fold.keyPrefix),
          ...(resources.fold.newImageEquals
            ? [newImageEqualsFilter(resources.fold.newImageEquals.attribute, resources.fold.newImageEquals.value)]
            : []),
        ),
        handler: (event) => fns.fold(event, lambdaContext('fold', region)),
        log: errorLog,
        quiet,
        // the restored order items were folded before the stop: their counters came back with them
        ...(persistence?.restored ? { skipExisting: true } : {}),
      });
      await poller.start();
      streamPoller = poller;
      cleanup.push(() => poller.stop());
    }
    const stats = (): LocalHubStats => ({
      pollers: Object.fromEntries([...pollers].map(([name, p]) => [name, { ...p.stats }])),
      ...(streamPoller ? { stream: { ...streamPoller.stats } } : {}),
    });

    const startedAt = new Date();
    const bind =
      (name: 'ingest' | 'stock' | 'kpi' | 'docs'): HttpInvoke =>
      (event) =>
        fns[name](event, lambdaContext(name, region));
    const http = createHubHttpServer({
      handlers: { ingest: bind('ingest'), stock: bind('stock'), kpi: bind('kpi'), docs: bind('docs') },
      log: (line) => {
        // quiet still shows server errors: a benchmark or test should not hide a 500
        if (!quiet || / 5\d\d \d+ms/.test(line)) (quiet ? errorLog : console.log)(line);
      },
      health: () => ({
        status: 'ok',
        stage,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
        awsEndpoint,
        region,
        resources,
        connections: config.connections.map((c) => ({ id: c.id, source: c.source, channel: c.channel })),
        apiKeys: config.apiKeys.length,
        ...stats(),
      }),
    });
    const { url, port: boundPort } = await http.listen(port);
    cleanup.push(() => http.close());

    let stopping: Promise<void> | undefined;
    startedUp = true;
    return {
      url,
      port: boundPort,
      awsEndpoint,
      region,
      resources,
      config,
      ...(moto ? { moto } : {}),
      ...(persistence ? { persistence } : {}),
      stats,
      foldIdle: (o) => streamPoller?.whenIdle(o) ?? Promise.resolve(),
      stop: () => (stopping ??= runCleanup()),
    };
  } catch (err) {
    await runCleanup();
    throw err;
  }
}

/** What `npm start` prints: where to send webhooks, with what secret, and how to try it. */
export function hubBanner(hub: LocalHub, configPath?: string): string {
  const lines: string[] = [];
  const shell = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  lines.push(
    `Inventory hub running at ${hub.url}   (AWS endpoint ${hub.awsEndpoint}${hub.moto ? ', moto started by the hub' : ''})`,
  );
  lines.push(`config: ${configPath ?? 'demo (set HUB_CONFIG=path/to/hub.config.json; see hub.config.example.json)'}`);
  // where the state lives and whether it outlives a restart: said before anyone connects a store
  const p = hub.persistence;
  lines.push(
    p?.restored
      ? `state: restored from ${p.dir} (saved ${p.restored.savedAt}: ${p.restored.items} items, ${p.restored.secrets} secrets, ${p.restored.messages} queued messages) — the same connections, secrets and keys as before; kept every 30 s and on stop (start with --fresh for an empty hub)`
      : p
        ? `state: kept in ${p.dir} every 30 s and on stop, restored at the next start (--fresh or HUB_PERSIST=0: start empty)`
        : hub.moto
          ? 'state: in the moto this hub started, not kept: a restart begins empty (HUB_PERSIST=0)'
          : `state: kept by ${hub.awsEndpoint} (HUB_AWS_ENDPOINT), for as long as it keeps it`,
  );
  lines.push(`health: curl ${hub.url}/health   ·   in a browser: ${hub.url}/ (the dashboard, the API reference)`);
  // one paste defines every name the README's examples use
  const exportKey = hub.config.apiKeys.find((k) => k.scopes.includes('admin')) ?? hub.config.apiKeys[0];
  const exportShop = hub.config.connections.find((c) => c.source === 'shopify' && c.secrets[0]);
  lines.push(
    '',
    "Paste into your shell to run the README's examples as written:",
    `  export HUB=${hub.url}${exportKey ? ` KEY=${shell(exportKey.key)}` : ''}${exportShop ? ` SHOPIFY_CONNECTION=${shell(exportShop.id)} SHOPIFY_SECRET=${shell(exportShop.secrets[0]!)}` : ''}`,
  );
  lines.push('', 'Connections (webhook URL, secret):');
  for (const c of hub.config.connections) {
    lines.push(`  ${c.id}  [${c.source}, channel ${c.channel}${c.partner ? `, partner ${c.partner}` : ''}]`);
    lines.push(`    POST ${hub.url}/webhooks/${c.id}`);
    if (c.secrets[0]) lines.push(`    secret: ${c.secrets[0]}`);
  }
  if (hub.config.apiKeys.length) {
    lines.push('', 'API keys:');
    for (const k of hub.config.apiKeys) {
      lines.push(`  ${k.key}  scopes ${k.scopes.join(',')}${k.partner ? `  partner ${k.partner}` : ''}`);
    }
  }
  const shop = hub.config.connections.find((c) => c.source === 'shopify' && c.secrets[0]);
  if (shop) {
    // the README's first webhook is order #1001: this is the next one, so pasting both places two
    // orders instead of updating one; it names no location, so it reserves at SKU-1's only
    // location, WH-MAIN, where the README's and the partner's counts below put the stock
    const body = JSON.stringify({
      id: 5_601_234_567_891,
      name: '#1002',
      created_at: '2026-01-16T10:00:00Z',
      updated_at: '2026-01-16T10:00:00Z',
      currency: 'USD',
      total_price: '19.99',
      financial_status: 'paid',
      fulfillment_status: null,
      location_id: null,
      line_items: [{ id: 13_601_234_567_891, sku: 'SKU-1', quantity: 1, price: '19.99', variant_id: 808950810 }],
    });
    lines.push('', `Try it — a signed Shopify orders/create to ${shop.id}:`);
    lines.push(`  BODY=${shell(body)}`);
    lines.push(`  SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac ${shell(shop.secrets[0]!)} -binary | base64)`);
    lines.push(
      `  curl -sS -i ${hub.url}/webhooks/${shop.id} -H 'content-type: application/json' -H "x-shopify-hmac-sha256: $SIG" ` +
        `-H 'x-shopify-topic: orders/create' -H "x-shopify-event-id: demo-$(date +%s%N)" ` +
        `-H "x-shopify-webhook-id: demo-$(date +%s%N)" -H 'x-shopify-shop-domain: demo.myshopify.com' ` +
        `-H "x-shopify-triggered-at: $(date -u +%Y-%m-%dT%H:%M:%SZ)" --data-binary "$BODY"`,
    );
  }
  const partner = hub.config.connections.find(
    (c) => c.source === 'standard-webhooks' && c.secrets[0]?.startsWith('whsec_'),
  );
  if (partner) {
    lines.push(
      '',
      `A partner's stock count, signed the Standard Webhooks way, to ${partner.id} (the HMAC key is the base64-decoded secret):`,
    );
    // the hub's own event format (docs/hub-format.md): an absolute stock count
    lines.push(
      `  BODY='{"type":"stock.set","timestamp":"2026-03-02T09:30:00Z","data":{"sku":"SKU-1","location":"WH-MAIN","onHand":120}}' ` +
        `ID="msg_$(date +%s%N)" TS=$(date +%s)`,
    );
    lines.push(
      `  KEY=$(printf '%s' ${shell(partner.secrets[0]!.slice('whsec_'.length))} | base64 -d | od -An -tx1 | tr -d ' \\n')`,
    );
    lines.push(
      `  SIG=$(printf '%s' "$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY -binary | base64)`,
    );
    lines.push(
      `  curl -sS -i ${hub.url}/webhooks/${partner.id} -H 'content-type: application/json' -H "webhook-id: $ID" ` +
        `-H "webhook-timestamp: $TS" -H "webhook-signature: v1,$SIG" --data-binary "$BODY"`,
    );
  }
  const key = hub.config.apiKeys.find((k) => k.scopes.includes('stock:read') || k.scopes.includes('admin'));
  if (key) {
    lines.push('', 'Read stock and KPIs:');
    lines.push(`  curl -s ${hub.url}/v1/stock/SKU-1 -H 'authorization: Bearer ${key.key}'`);
    // the demo orders were placed in January 2026: that month, day by day
    lines.push(
      `  curl -s '${hub.url}/v1/kpis/channels/${shop?.channel ?? 'CHANNEL'}?from=2026-01-01&to=2026-01-31&granularity=day' -H 'authorization: Bearer ${key.key}'`,
    );
  }
  lines.push('', 'A few months of demo business for the dashboard, from another shell: npm run demo');
  return lines.join('\n');
}

/** `HUB_VISIBILITY_TIMEOUT_SECONDS` (0-43200, SQS's range) for the local pollers; see SqsPollerOptions. */
function visibilityOverride(value: string | undefined): { visibilityTimeoutSeconds?: number } {
  if (value === undefined || value === '') return {};
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 43_200)
    throw new ConfigError(
      `HUB_VISIBILITY_TIMEOUT_SECONDS must be a whole number of seconds from 0 to 43200, got ${value}`,
    );
  return { visibilityTimeoutSeconds: n };
}
